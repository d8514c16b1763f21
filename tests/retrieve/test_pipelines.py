"""Dense and hybrid pipelines with the real packaged encoder, on the tiny fixture collection."""

from pathlib import Path

import pytest
from support import ROOT

from sleuth.evaluate.experiment import run_beir
from sleuth.ingest import read_paths
from sleuth.retrieve import get_pipeline
from sleuth.store.embedded.collection import Collection

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"


@pytest.fixture(scope="module")
def col(tmp_path_factory) -> Collection:
    c = Collection.create(tmp_path_factory.mktemp("p") / "c")
    c.ingest(read_paths([BEIR], fmt="beir"))
    return c


def test_dense_finds_a_paraphrase_with_no_shared_words(col):
    query = "how to mend a flat on my bike"  # no word in common with the bicycle document
    assert "bicycle" not in [d for d, _, _ in get_pipeline("bm25")(col, query, 3)]
    assert get_pipeline("dense")(col, query, 1)[0][0] == "bicycle"


def test_hybrid_is_the_default_mode_and_returns_each_document_once(col):
    assert col.default_mode == "hybrid"
    hits = col.search("honey bees", 5)
    assert hits[0].doc_id == "honeybee"
    assert len({h.doc_id for h in hits}) == len(hits)
    assert hits[0].chunk is not None and "nectar" in hits[0].chunk.text


@pytest.mark.parametrize("pipeline", ["dense", "hybrid", "hybrid-minmax", "hybrid-zscore"])
def test_pipelines_reach_a_quality_floor_on_the_fixture(tmp_path, pipeline):
    r = run_beir(BEIR, pipeline, collection_dir=tmp_path / "c")
    assert r["ndcg@10"] >= 0.9, r


def test_hybrid_rerank_without_a_trained_reranker_says_what_to_do(col):
    from sleuth.errors import CollectionError

    with pytest.raises(CollectionError) as e:
        col.search("honey bees", 3, mode="hybrid-rerank")
    assert "no trained reranker" in e.value.what and "sleuth tune" in e.value.fix


def test_try_tuned_is_in_memory_only(col):
    meta = (col.directory / "meta.json").read_text()
    col.try_tuned({"query_encoder": "models/nowhere"})
    assert col.tuned == {"query_encoder": "models/nowhere"}
    col.try_tuned(None)
    assert col.tuned == {} and (col.directory / "meta.json").read_text() == meta
    assert col.default_mode == "hybrid"


def test_set_tuned_refuses_a_missing_model_folder(col):
    from sleuth.errors import CollectionError

    with pytest.raises(CollectionError, match="does not exist"):
        col.set_tuned({"query_encoder": "models/nowhere"})
    assert col.tuned == {}
