import math

import numpy as np
import pytest
import scipy.sparse as sp

from sleuth.config import Settings
from reference_bm25 import bm25f_matrix

from sleuth.index.bm25 import inverse_norm, lucene_idf, weight
from sleuth.store.embedded.collection import Collection
from support import synthetic_docs


def test_lucene_idf_by_hand():
    # N = 4, df = 1: ln(1 + (4 - 1 + 0.5) / (1 + 0.5)) = ln(1 + 3.5/1.5)
    assert lucene_idf(np.array([1]), 4)[0] == pytest.approx(math.log(1 + 3.5 / 1.5))
    assert lucene_idf(np.array([4]), 4)[0] > 0  # never negative, unlike Robertson's raw IDF


def test_bm25_single_field_by_hand():
    # Two passages; term 0 occurs twice in passage 0 (length 4) and not in passage 1 (length 2).
    body = sp.csr_matrix(np.array([[2, 1], [0, 2]]))
    lens = np.array([4, 2])
    w = bm25f_matrix(body, lens, sp.csr_matrix((2, 2), dtype=np.int64), np.zeros(2), k1=1.2, b=0.75,
                     title_b=0.5, title_weight=0.0).toarray()
    idf0 = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    norm = 1 - 0.75 + 0.75 * 4 / 3
    tf = 2 / norm
    assert w[0, 0] == pytest.approx(idf0 * tf / (1.2 + tf))
    assert w[1, 0] == 0


def test_bm25f_title_adds_weighted_pseudo_frequency():
    body = sp.csr_matrix(np.array([[1], [1]]))
    title = sp.csr_matrix(np.array([[1], [0]]))
    w = bm25f_matrix(body, np.array([3, 3]), title, np.array([1, 0]), k1=1.5, b=0.75, title_b=0.0,
                     title_weight=2.0).toarray()
    idf = math.log(1 + (2 - 2 + 0.5) / (2 + 0.5))
    tf0 = 1 + 2 * 1  # body tf at average length + 2 x title tf with no title normalisation
    assert w[0, 0] == pytest.approx(idf * tf0 / (1.5 + tf0))
    assert w[1, 0] == pytest.approx(idf * 1 / (1.5 + 1))


def test_scores_equal_bm25s_lucene_on_a_single_field(tmp_path):
    """Differential test: with titles off and one passage per document, our BM25 is bm25s' 'lucene'."""
    bm25s = pytest.importorskip("bm25s")
    import Stemmer

    docs = synthetic_docs(150, seed=3, words=40)
    col = Collection.create(tmp_path / "c", Settings(encoder="none", title_weight=0.0, chunk_size=1000, k1=1.2, b=0.75))
    col.ingest(docs)
    lx = col.lexical
    ref = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    stem = Stemmer.Stemmer("english")
    ref.index(bm25s.tokenize([d.text for d in docs], stopwords="en", stemmer=stem, show_progress=False),
              show_progress=False)
    for q in ["protein gene tumor", "quantum photon laser laser", "graph retrieval ranking index", "wing"]:
        got = lx.search(q, len(docs))
        ours_by_doc = np.zeros(len(docs))
        ours_by_doc[[int(d[1:]) for d in got.doc_ids]] = got.scores
        tokens = bm25s.tokenize([q], stopwords="en", stemmer=stem, show_progress=False, return_ids=False)[0]
        theirs = ref.get_scores(tokens)
        assert theirs.max() > 0
        np.testing.assert_allclose(ours_by_doc, theirs, rtol=2e-5, atol=1e-5)


def test_posting_weights_by_hand():
    # As test_bm25f_title_adds_weighted_pseudo_frequency: body tf 1 at the average length (3), title tf 1
    # with no title normalisation (title_b 0) and weight 2: tf~ = 1 + 2 = 3; the second has no title.
    inv_b = inverse_norm(np.array([3, 3]), 0.75, 3.0)
    inv_t = 2.0 * inverse_norm(np.array([1, 0]), 0.0, 0.5)
    idf = math.log(1 + (2 - 2 + 0.5) / (2 + 0.5))
    w = weight(np.array([1, 1]), np.array([1, 0]), inv_b, inv_t, idf, 1.5)
    assert w.tolist() == pytest.approx([idf * 3 / 4.5, idf * 1 / 2.5])
    assert inverse_norm(np.array([5]), 0.75, 0.0) == 1.0  # no average length: no normalisation
