"""The lexical index stays equal to a fresh build through adds, updates, deletes, merges and crashes."""

import json
import shutil

import numpy as np
import pytest
from support import synthetic_docs

from sleuth.config import Settings
from sleuth.errors import CollectionError
from sleuth.index import lexical
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document

LEX = Settings(encoder="none")  # these tests are about the lexical index
QUERIES = ["protein gene tumor", "quantum photon laser", "graph retrieval ranking", "wing airfoil shock",
           "markerd3x", "markere7x"]


def rankings(col, k=20):
    out = {}
    for q in QUERIES:
        r = col.lexical.search(q, k)
        out[q] = list(zip(r.doc_ids, np.round(r.scores, 4).tolist()))
    return out


@pytest.fixture(params=[Settings(encoder="none"), Settings(encoder="none", chunker="fixed", chunk_size=20, chunk_overlap=5)], ids=["sentence", "fixed"])
def settings(request):
    return request.param


def test_incremental_equals_fresh_build(tmp_path, settings):
    a, b = synthetic_docs(60, seed=1), synthetic_docs(40, seed=2, prefix="e")
    changed = [Document(d.doc_id, d.text + " Quantum laser addendum.", d.title, d.source) for d in a[:5]]
    inc = Collection.create(tmp_path / "inc", settings)
    inc.ingest(a)
    inc.ingest(b)
    inc.ingest(changed)
    inc.delete([d.doc_id for d in b[:10]])

    expected = [*changed, *a[5:], *b[10:]]
    fresh = Collection.create(tmp_path / "fresh", settings)
    fresh.ingest(expected)
    assert inc.store.count_documents() == fresh.store.count_documents() == len(expected)
    assert rankings(inc) == rankings(fresh)
    reopened = Collection.open(tmp_path / "inc", readonly=True)
    assert rankings(reopened) == rankings(fresh)


def test_deleted_document_is_never_found(tmp_path):
    col = Collection.create(tmp_path / "c", LEX)
    col.ingest(synthetic_docs(10))
    assert col.lexical.search("markerd3x", 5).doc_ids == ["d3"]
    col.delete(["d3"])
    assert col.lexical.search("markerd3x", 5).doc_ids == []
    assert "d3" not in col.lexical.search("protein cell gene", 100).doc_ids


def test_segments_are_merged_when_they_pile_up(tmp_path):
    col = Collection.create(tmp_path / "c", LEX)
    docs = synthetic_docs(2 * lexical.MERGE_FACTOR + 3)
    for d in docs:
        col.ingest([d])
    manifest = json.loads((tmp_path / "c" / "lexical" / "manifest.json").read_text())
    assert len(manifest["segments"]) < lexical.MERGE_FACTOR
    files = {p.name for p in (tmp_path / "c" / "lexical").iterdir()}
    assert files == {"manifest.json", *(e["file"] for e in manifest["segments"])}
    fresh = Collection.create(tmp_path / "f", LEX)
    fresh.ingest(docs)
    assert rankings(col) == rankings(fresh)


def test_a_mostly_deleted_segment_is_compacted_and_deletes_never_rewrite_a_segment(tmp_path):
    col = Collection.create(tmp_path / "c", LEX)
    col.ingest(synthetic_docs(40))
    seg = json.loads((tmp_path / "c" / "lexical" / "manifest.json").read_text())["segments"][0]
    col.delete([f"d{i}" for i in range(10)])
    after = json.loads((tmp_path / "c" / "lexical" / "manifest.json").read_text())["segments"][0]
    assert after["file"] == seg["file"] and after["deletes"]["live"] == 30  # a live-rows file, same segment
    col.delete([f"d{i}" for i in range(10, 25)])
    after = json.loads((tmp_path / "c" / "lexical" / "manifest.json").read_text())["segments"][0]
    assert after["file"] != seg["file"] and "deletes" not in after and after["rows"] == 15
    fresh = Collection.create(tmp_path / "f", LEX)
    fresh.ingest(synthetic_docs(40)[25:])
    assert rankings(col) == rankings(fresh)


def test_an_older_format_is_rebuilt_by_the_next_writer_and_read_meanwhile(tmp_path):
    col = Collection.create(tmp_path / "c", LEX)
    col.ingest(synthetic_docs(30))
    want = rankings(col)
    lex = tmp_path / "c" / "lexical"
    for p in lex.iterdir():
        p.unlink()
    (lex / "seg-000001.npz").write_bytes(b"old scipy matrices")
    lexical.write_manifest(lex, {"version": 1, "covered": 30, "next": 2,
                                 "segments": [{"file": "seg-000001.npz", "sha256": "0" * 64, "rows": 30}]})
    assert lexical.is_outdated(lex)
    assert rankings(Collection.open(tmp_path / "c", readonly=True)) == want  # indexed in memory meanwhile
    Collection.open(tmp_path / "c").ingest([])
    assert not lexical.is_outdated(lex) and not (lex / "seg-000001.npz").exists()
    assert rankings(Collection.open(tmp_path / "c", readonly=True)) == want


def test_reader_catches_up_when_segments_were_never_written(tmp_path):
    """A crash after the docstore commit but before the segment write loses nothing."""
    col = Collection.create(tmp_path / "c", LEX)
    col.ingest(synthetic_docs(30))
    want = rankings(col)
    shutil.rmtree(tmp_path / "c" / "lexical")
    assert rankings(Collection.open(tmp_path / "c", readonly=True)) == want
    col2 = Collection.open(tmp_path / "c")
    col2.ingest(synthetic_docs(30))  # nothing new: but the writer persists the missing segment
    assert (tmp_path / "c" / "lexical" / "manifest.json").exists()
    assert rankings(Collection.open(tmp_path / "c")) == want


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_damaged_segment_is_detected_and_named(tmp_path, damage):
    col = Collection.create(tmp_path / "c", LEX)
    col.ingest(synthetic_docs(10))
    seg = next((tmp_path / "c" / "lexical").glob("seg-*.lex"))
    data = bytearray(seg.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
        seg.write_bytes(bytes(data))
    elif damage == "truncate":
        seg.write_bytes(bytes(data[: len(data) // 2]))
    else:
        seg.unlink()
    with pytest.raises(CollectionError, match=rf"{seg.name}.*(damaged|missing).*sleuth doctor"):
        Collection.open(tmp_path / "c").lexical


def test_a_large_segment_is_opened_without_reading_it_and_checked_by_verify(tmp_path, monkeypatch):
    from sleuth.index import container

    col = Collection.create(tmp_path / "c", LEX)
    col.ingest(synthetic_docs(10))
    seg = next((tmp_path / "c" / "lexical").glob("seg-*.lex"))
    data = bytearray(seg.read_bytes())
    data[-10] ^= 0xFF  # inside the last array, past the header
    seg.write_bytes(bytes(data))
    monkeypatch.setattr(container, "VERIFY_AT_OPEN", 0)  # as if the segment were big
    Collection.open(tmp_path / "c").lexical  # opens: large files are not read at open
    entry = json.loads((tmp_path / "c" / "lexical" / "manifest.json").read_text())["segments"][0]
    with pytest.raises(CollectionError, match=rf"{seg.name}.*damaged \(checksum mismatch\)"):
        container.verify(seg, entry, "fix")


def test_batch_search_equals_single_search(tmp_path):
    col = Collection.create(tmp_path / "c", Settings(encoder="none", chunk_size=15))
    col.ingest(synthetic_docs(50))
    lx = col.lexical
    for q, r in zip(QUERIES, lx.search_batch(QUERIES, 10)):
        s = lx.search(q, 10)
        assert r.doc_ids == s.doc_ids
        np.testing.assert_allclose(r.scores, s.scores, rtol=1e-5)


def test_max_passage_returns_each_document_once_with_its_best_chunk(tmp_path):
    col = Collection.create(tmp_path / "c", Settings(encoder="none", chunker="fixed", chunk_size=5))
    col.ingest([Document("a", "laser laser laser one two. three four five six seven laser"),
                Document("b", "nothing here at all. laser")])
    r = col.lexical.search("laser", 10)
    assert r.doc_ids == ["a", "b"]
    chunk, _ = col.store.get_chunk(int(r.chunk_ids[0]))
    assert chunk.text.startswith("laser laser laser")
