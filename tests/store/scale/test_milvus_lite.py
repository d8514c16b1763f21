"""The Milvus backend on the real Milvus Lite 2.5.1 engine: BM25, dense and hybrid search against the
embedded store on the same documents, idempotent and incremental ingest, and the errors.

Parity on a real collection (SciFact, within 0.01 nDCG@10) is shown by benchmarks/bench_backends.py;
here the documents are synthetic and small, so the whole file runs in well under a minute.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from support import synthetic_docs

from sleuth.config import Settings
from sleuth.errors import CollectionError, ConfigError
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from sleuth.store.milvus.collection import MilvusCollection  # noqa: E402
from sleuth.store.milvus.config import MilvusConfig  # noqa: E402

QUERIES = ["protein gene tumor", "quantum photon laser plasma", "wing airfoil shock wave", "Markerd7x", "sparse dense embedding"]
_names = (f"c{i}" for i in itertools.count())


@pytest.fixture
def config(lite_db: Path) -> MilvusConfig:
    return MilvusConfig(str(lite_db), next(_names))


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    # 250 words: most documents have two passages, so max-passage ranking is exercised.
    return synthetic_docs(40, seed=3, words=250) + [Document("t1", "", "Quantum Laser Plasma", "synthetic")]


@pytest.fixture(scope="module")
def pair(docs: list[Document], lite_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """The same documents in the embedded store and in Milvus Lite."""
    emb = Collection.create(tmp_path_factory.mktemp("emb") / "col")
    emb.ingest(docs)
    mil = MilvusCollection.create(MilvusConfig(str(lite_db), "pair"))
    summary = mil.ingest(docs)
    yield emb, mil, summary
    emb.close()
    mil.close()


def test_ingest_counts_match_the_embedded_store(pair, docs):
    emb, mil, summary = pair
    assert (summary.added, summary.skipped, summary.failed) == (len(docs), 0, [])
    assert mil.store.count_documents() == emb.store.count_documents() == len(docs)
    assert mil.store.count_chunks() == emb.store.count_chunks() > len(docs)


def test_dense_search_is_the_embedded_store_s(pair):
    emb, mil, _ = pair
    for q in QUERIES:
        a, b = emb.dense.search(q, 10), mil.dense.search(q, 10)
        assert a.doc_ids == b.doc_ids
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)


@pytest.mark.parametrize("mode", ["bm25", "hybrid", "hybrid-rrf"])
def test_lexical_and_hybrid_agree_with_the_embedded_store(pair, mode):
    """Milvus' BM25 approximates BM25F's title field by repetition (sleuth.store.milvus.rows), so the rankings
    are close, not equal: on this small vocabulary many scores nearly tie, and a title-only passage is
    shorter relative to the others than BM25F's per-field normalisation makes it."""
    emb, mil, _ = pair
    for q in QUERIES:
        a = [h.doc_id for h in emb.search(q, 10, mode=mode, snippets=False)]
        b = [h.doc_id for h in mil.search(q, 10, mode=mode, snippets=False)]
        assert len(a) == len(b) and a[0] in b[:3], (q, a, b)
        assert len(set(a) & set(b)) >= min(8, len(a)), (q, a, b)


def test_documents_rank_by_their_best_passage(pair):
    _, mil, _ = pair
    res = mil.lexical.search("protein gene", 40)
    assert len(res.doc_ids) == len(set(res.doc_ids))
    assert list(res.scores) == sorted(res.scores, reverse=True)
    stored = mil.store.get_chunks(res.chunk_ids.tolist())
    assert [stored[int(c)][0].doc_id for c in res.chunk_ids] == res.doc_ids


def test_hits_carry_the_passage_and_a_snippet(pair, docs):
    emb, mil, _ = pair
    (hit,) = mil.search("Markerd7x", 1, mode="bm25")
    (ref,) = emb.search("Markerd7x", 1, mode="bm25")
    assert hit.doc_id == "d7" and hit.chunk == ref.chunk and hit.title == ref.title
    assert hit.snippet == ref.snippet and hit.highlights == ref.highlights
    assert docs[7].text[hit.chunk.start:hit.chunk.end] == hit.chunk.text


def test_a_title_only_document_is_found_through_its_title(pair):
    _, mil, _ = pair
    assert mil.search("quantum laser plasma", 1, mode="bm25")[0].doc_id == "t1"


def test_stored_vectors_are_the_passages_embeddings(pair):
    emb, mil, _ = pair
    res = mil.dense.search("protein", 3)
    ref = emb.dense.search("protein", 3)
    np.testing.assert_allclose(mil.dense.vectors_for(res.chunk_ids.tolist()),
                               emb.dense.vectors_for(ref.chunk_ids.tolist()), atol=1e-6)


def test_reingest_skips_unchanged_and_replaces_changed(config):
    docs = synthetic_docs(6, seed=5)
    with MilvusCollection.create(config, Settings(encoder="none")) as col:
        col.ingest(docs)
        changed = Document("d2", "Zeppelin hovers above the harbour.", "Airships", "synthetic")
        s = col.ingest([*docs[:2], changed, *docs[3:]])
        assert (s.added, s.updated, s.skipped) == (0, 1, 5)
        assert col.store.count_documents() == 6
        assert col.search("zeppelin", 3, mode="bm25")[0].doc_id == "d2"
        assert col.search("Markerd2x", 3, mode="bm25") == []
        assert col.delete(["d2", "missing"]) == 1
        assert col.store.count_documents() == 5 and col.search("zeppelin", 3) == []


def test_ingest_reports_what_milvus_cannot_hold(config):
    huge = Document("big", "word " * 20_000, "", "synthetic")
    with MilvusCollection.create(config, Settings(encoder="none", chunker="fixed", chunk_size=20_000)) as col:
        s = col.ingest([huge, Document("ok", "fine text", "", "synthetic")])
    assert s.added == 1 and len(s.failed) == 1 and "65,535-byte limit" in s.failed[0].reason


def test_reopening_checks_settings_and_format(config, lite_db):
    with MilvusCollection.create(config, Settings(encoder="none")) as col:
        col.ingest(synthetic_docs(2))
    with pytest.raises(CollectionError, match="other settings"):
        MilvusCollection.open_or_create(config, Settings(encoder="none", k1=1.2))
    with MilvusCollection.open(config) as col:
        assert col.default_mode == "bm25" and col.settings.encoder == "none"
        with pytest.raises(CollectionError, match="without a dense encoder"):
            col.dense
        col.drop()
    with pytest.raises(CollectionError, match="No Milvus collection"):
        MilvusCollection.open(config)


def test_a_collection_not_made_by_sleuth_is_refused(config):
    from pymilvus import MilvusClient

    client = MilvusClient(config.uri)
    client.create_collection(config.collection, dimension=4)
    client.close()
    with pytest.raises(CollectionError, match="not made by sleuth"):
        MilvusCollection.open(config)


def test_config_errors_say_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="ending in .db"):
        MilvusConfig(str(tmp_path / "x.sqlite"))
    with pytest.raises(ConfigError, match="no HNSW"):
        MilvusConfig(str(tmp_path / "x.db"), index_type="HNSW")
    with pytest.raises(ConfigError, match="Did you mean 'HNSW'"):
        MilvusConfig("http://127.0.0.1:19530", index_type="HNSWW")
    with pytest.raises(ConfigError, match="collection name"):
        MilvusConfig(str(tmp_path / "x.db"), "bad-name")
    with pytest.raises(ConfigError, match="neither BM25"):
        MilvusCollection.create(MilvusConfig(str(tmp_path / "y.db"), bm25=False), Settings(encoder="none"))
    with pytest.raises(ConfigError, match="IVF_SQ8"):
        MilvusCollection.create(MilvusConfig(str(tmp_path / "y.db")), Settings(vector_format="int8"))


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(CollectionError, match="Cannot connect to Milvus"):
        MilvusCollection.open(MilvusConfig("http://127.0.0.1:9", "x"))


def test_document_ids_with_quotes_and_backslashes_survive_filters(config):
    odd = ['say "hi"', "back\\slash", "naïve ünïcode", "it's"]
    with MilvusCollection.create(config, Settings(encoder="none")) as col:
        col.ingest([Document(i, f"apples and pears number {n}", "", "synthetic") for n, i in enumerate(odd)])
        assert set(col.store.hashes(odd)) == set(odd)
        assert col.ingest([Document(odd[0], "changed text about plums", "", "synthetic")]).updated == 1
        assert col.search("plums", 5, mode="bm25")[0].doc_id == odd[0]
        assert col.delete(odd) == 4 and col.store.count_documents() == 0


def test_ask_answers_from_milvus_and_refuses_expansion_it_cannot_do(pair, docs):
    from sleuth.rag.pipeline import ask

    _, mil, _ = pair
    # Synthetic word salad is far from any question in meaning: turn abstention off to see the citations.
    answer = ask(mil, "Which passage mentions Markerd7x?", memory=False, min_relevance=0.0)
    assert not answer.abstained and answer.citations
    text = {d.doc_id: d.text for d in docs}
    for c in answer.citations:  # each citation is an exact span of its document
        assert text[c.doc_id][c.start:c.end] == c.quote
    with pytest.raises(ConfigError, match="--rewrite"):
        ask(mil, "protein gene tumor", memory=False, rewrite=True)
