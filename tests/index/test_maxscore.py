"""Differential tests: MaxScore over segments (and the exhaustive pass small collections take) rank
exactly as scoring every live passage does."""

import random

import pytest
from reference_bm25 import QUERIES, check_against_reference
from support import synthetic_docs

from sleuth.config import Settings
from sleuth.index import lexical, maxscore
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document


@pytest.fixture(autouse=True, params=["maxscore", "exhaustive"])
def path(request, monkeypatch):
    monkeypatch.setattr(maxscore, "EXHAUSTIVE_ROWS", 0 if request.param == "maxscore" else 10**9)
    return request.param


@pytest.mark.parametrize("settings", [
    Settings(encoder="none"),
    Settings(encoder="none", chunker="fixed", chunk_size=12, chunk_overlap=3),
    Settings(encoder="none", title_weight=0.0, chunk_size=20),
    Settings(encoder="none", chunker="fixed", chunk_size=7, b=1.0, title_b=0.0, k1=0.9),
], ids=["sentence", "fixed-overlap", "no-title", "tiny-chunks"])
@pytest.mark.parametrize("factor", [3, 100], ids=["merging", "no-merges"])
def test_many_segments_deletes_and_updates_rank_as_the_reference(tmp_path, monkeypatch, settings, factor):
    from sleuth.index import postings

    monkeypatch.setattr(postings, "MERGE_CHUNK", 50)  # merges work through several chunks of postings
    monkeypatch.setattr(lexical, "FLUSH_ROWS", 17)  # several segments per ingest
    monkeypatch.setattr(lexical, "MERGE_FACTOR", factor)
    col = Collection.create(tmp_path / "c", settings)
    docs = synthetic_docs(120, seed=5)
    rng = random.Random(1)
    for i in range(0, 120, 30):
        col.ingest(docs[i : i + 30])
        col.delete(rng.sample([d.doc_id for d in docs[: i + 30]], 4))
    col.ingest([Document(d.doc_id, d.text + " quantum laser photon", d.title) for d in docs[40:50]])
    manifest = lexical.read_manifest(tmp_path / "c" / "lexical")
    if factor == 100:
        assert len(manifest["segments"]) > 3
        assert any(e.get("deletes") for e in manifest["segments"]), "no deletes file: the test lost its point"
    check_against_reference(col)
    check_against_reference(Collection.open(tmp_path / "c", readonly=True))


def test_the_unflushed_tail_and_unreflected_deletes_rank_as_the_reference(tmp_path, monkeypatch):
    """A crash after docstore commits (adds and a delete) but before the index caught up."""
    col = Collection.create(tmp_path / "c", Settings(encoder="none", chunk_size=15))
    col.ingest(synthetic_docs(60, seed=2))
    monkeypatch.setattr(lexical, "flush", lambda *a, **k: None)  # the index writes never happen
    col.ingest(synthetic_docs(20, seed=3, prefix="e"))
    col.delete(["d1", "d2", "e3"])
    col.ingest([Document("d5", "entirely new words about quantum lasers", "New")])
    monkeypatch.undo()
    reader = Collection.open(tmp_path / "c", readonly=True)
    check_against_reference(reader, QUERIES + ["markerd1x", "markere3x", "quantum lasers"])
    assert reader.lexical.search("markerd1x", 5).doc_ids == []


def test_common_terms_are_not_read_in_full(tmp_path, monkeypatch, path):
    """Sublinear: a rare term's postings decide the top k; the common term is only looked up."""
    if path == "exhaustive":
        pytest.skip("the exhaustive pass reads every posting by design")
    docs = [Document(f"d{i}", "common words here " * 3 + ("rareterm" if i % 500 == 0 else ""), "") for i in range(3000)]
    col = Collection.create(tmp_path / "c", Settings(encoder="none"))
    col.ingest(docs)
    read = []
    real = maxscore._essential
    monkeypatch.setattr(maxscore, "_essential", lambda segs, sc, t, s: (read.append(t.text), real(segs, sc, t, s))[1])
    got = col.lexical.search("rareterm common", 3)
    assert len(got.doc_ids) == 3 and all(int(d[1:]) % 500 == 0 for d in got.doc_ids)
    assert read == ["rareterm"], read
