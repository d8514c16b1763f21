"""The reference the lexical index is checked against: BM25F scored for every live passage at once.

The whole passages x terms weight matrix (scipy), built from the docstore's live chunks with the
formula of :mod:`sleuth.index.bm25` written out independently, then documents ranked by their best
passage with ties by document id. Slow and simple, as a reference should be.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sleuth.config import Settings
from sleuth.docstore.store import DocStore
from sleuth.text import Analyzer


def _length_normalised(tf: sp.csr_matrix, lengths: np.ndarray, b: float) -> sp.csr_matrix:
    avg = float(lengths.mean()) if len(lengths) else 0.0
    out = tf.astype(np.float64, copy=True)
    if avg <= 0:
        return out
    norm = 1.0 - b + b * lengths.astype(np.float64) / avg
    out.data /= np.repeat(norm, np.diff(out.indptr))
    return out


def bm25f_matrix(body_tf, body_len, title_tf, title_len, *, k1, b, title_b, title_weight) -> sp.csr_matrix:
    n_docs = body_tf.shape[0]
    tf = _length_normalised(body_tf, body_len, b)
    if title_weight > 0 and title_tf.nnz:
        tf = tf + title_weight * _length_normalised(title_tf, title_len, title_b)
    tf = sp.csr_matrix(tf)
    present = (body_tf + title_tf) if title_weight > 0 else body_tf
    df = np.bincount(sp.csr_matrix(present).indices, minlength=body_tf.shape[1]).astype(np.float64)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    tf.data = idf[tf.indices] * tf.data / (k1 + tf.data)
    tf.eliminate_zeros()
    return tf


class Reference:
    def __init__(self, store: DocStore, settings: Settings) -> None:
        self.analyzer = Analyzer(stemmer=settings.stemmer, stopwords=settings.stopwords)
        rows = [c for batch in store.iter_chunks() for c in batch]
        self.chunk_ids = np.array([r.id for r in rows], np.int64)
        self.docs = [r.doc_id for r in rows]
        vocab: dict[str, int] = {}
        mats = {}
        lens = {}
        for field, texts in (("body", [r.text for r in rows]), ("title", [r.title for r in rows])):
            r_, c_ = [], []
            lens[field] = np.zeros(len(rows), np.int64)
            for i, t in enumerate(texts):
                terms = self.analyzer.terms(t)
                lens[field][i] = len(terms)
                for term in terms:
                    r_.append(i)
                    c_.append(vocab.setdefault(term, len(vocab)))
            mats[field] = (r_, c_)
        shape = (len(rows), max(len(vocab), 1))
        m = {f: sp.csr_matrix((np.ones(len(rc[0])), rc), shape=shape) for f, rc in mats.items()}
        self.vocab = vocab
        self.w = bm25f_matrix(m["body"], lens["body"], m["title"], lens["title"], k1=settings.k1, b=settings.b,
                              title_b=settings.title_b, title_weight=settings.title_weight).tocsc()

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.w.shape[0])
        for t in self.analyzer.terms(query):
            if t in self.vocab:
                out += self.w[:, self.vocab[t]].toarray().ravel()
        return out

    def search(self, query: str, k: int) -> list[tuple[str, float, int]]:
        """(doc id, score, best chunk id), best first."""
        s = self.scores(query)
        best: dict[str, tuple[float, int]] = {}
        for i in np.flatnonzero(s > 0).tolist():
            d = self.docs[i]
            if d not in best or s[i] > best[d][0] or (s[i] == best[d][0] and self.chunk_ids[i] < best[d][1]):
                best[d] = (float(s[i]), int(self.chunk_ids[i]))
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:k]
        return [(d, sc, c) for d, (sc, c) in ranked]


QUERIES = ["protein gene tumor", "quantum photon laser laser", "graph retrieval ranking index", "wing",
           "markerd7x protein", "cell cell cell signal pathway enzyme receptor membrane lattice", "absentword",
           "token model embedding dense sparse kernel optimizer descent gradient tensor vector matrix"]


def check_against_reference(col, queries=QUERIES, ks=(1, 3, 10, 100)) -> None:
    """The collection's lexical search equals the reference: documents, scores and best chunks."""
    ref = Reference(col.store, col.settings)
    lx = col.lexical
    for q in queries:
        for k in ks:
            want = ref.search(q, k)
            got = lx.search(q, k)
            assert got.doc_ids == [d for d, _, _ in want], (q, k)
            np.testing.assert_allclose(got.scores, [s for _, s, _ in want], rtol=1e-9)
            assert got.chunk_ids.tolist() == [c for _, _, c in want], (q, k)
