"""Vector store: quantisation by hand, consistency with the docstore, damage detection."""

import shutil

import numpy as np
import pytest
from fake_encoder import HashEncoder
from support import synthetic_docs

from sleuth.errors import CollectionError
from sleuth.index import vectors
from sleuth.index.dense import DenseIndex
from sleuth.index.quantize import hamming, pack_signs, quantize_int8
from sleuth.docstore.store import DocStore
from sleuth.store.embedded.collection import Collection
from sleuth.config import Settings
from sleuth.types import Document

QUERIES = ["protein gene tumor", "quantum photon laser", "graph retrieval ranking", "markerd3x"]


def test_int8_quantisation_by_hand():
    m = np.array([[0.5, -0.25, 0.0], [0.0, 0.0, 0.0]], np.float32)
    q, s = quantize_int8(m)
    assert q.tolist() == [[127, -64, 0], [0, 0, 0]]  # -0.25 / (0.5/127) = -63.5 -> -64 (round half to even)
    assert s[0] == pytest.approx(0.5 / 127) and s[1] == 1.0
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 384)).astype(np.float32)
    q, s = quantize_int8(v)
    assert np.abs(q * s[:, None] - v).max() <= s.max() / 2 + 1e-6


def test_binary_signs_and_hamming_by_hand():
    m = np.array([[1, -1, 1, -1, 0, 0, 0, 0, 1], [-1, -1, -1, -1, -1, -1, -1, -1, -1]], np.float32)
    packed = pack_signs(m)
    assert packed.tolist() == [[0b10100000, 0b10000000], [0, 0]]
    assert hamming(packed, packed[0]).tolist() == [0, 3]


def dense_rankings(store_dir, encoder, fmt="float32"):
    store = DocStore(store_dir / "docs.sqlite", readonly=True)
    idx = DenseIndex.load(store_dir / "vectors", store, encoder, fmt)
    out = {q: idx.search(q, 10).doc_ids for q in QUERIES}
    store.close()
    return out, idx


def ingest(directory, docs_batches, deletes=(), encoder=None):
    encoder = encoder or HashEncoder()
    col = Collection.create(directory, Settings(encoder="none"))
    for batch in docs_batches:
        col.ingest(batch)
        vectors.flush(directory / "vectors", col.store, encoder)
    if deletes:
        col.delete(deletes)
        vectors.flush(directory / "vectors", col.store, encoder)
    col.close()
    return encoder


def test_incremental_vectors_equal_a_fresh_build(tmp_path):
    a, b = synthetic_docs(40, seed=1), synthetic_docs(30, seed=2, prefix="e")
    changed = [Document(d.doc_id, d.text + " quantum laser", d.title) for d in a[:4]]
    enc = ingest(tmp_path / "inc", [a, b, changed], deletes=[d.doc_id for d in b[:8]])
    ingest(tmp_path / "fresh", [[*changed, *a[4:], *b[8:]]])
    got, idx = dense_rankings(tmp_path / "inc", enc)
    want, _ = dense_rankings(tmp_path / "fresh", enc)
    assert got == want
    assert idx.n_chunks == DocStore(tmp_path / "inc" / "docs.sqlite").count_chunks()


def test_quantised_formats_agree_with_float32(tmp_path):
    enc = ingest(tmp_path / "c", [synthetic_docs(80)])
    exact, _ = dense_rankings(tmp_path / "c", enc, "float32")
    for fmt in ("int8", "binary"):
        got, idx = dense_rankings(tmp_path / "c", enc, fmt)
        for q in QUERIES:
            assert got[q][0] == exact[q][0], (fmt, q)
            assert len(set(got[q]) & set(exact[q])) >= 8
    assert dense_rankings(tmp_path / "c", enc, "binary")[1].bytes_per_passage() == 8  # 64 dims / 8


def test_a_search_never_embeds_the_backlog_it_reports_it(tmp_path):
    """After an interrupted embed, search ranks the embedded passages and counts the rest as pending."""
    enc = ingest(tmp_path / "c", [synthetic_docs(20)])
    col = Collection.open(tmp_path / "c")
    col.ingest(synthetic_docs(5, prefix="late"))  # encoder=none: the new passages get no vector
    store = DocStore(tmp_path / "c" / "docs.sqlite", readonly=True)
    enc.calls = 0
    idx = DenseIndex.load(tmp_path / "c" / "vectors", store, enc)
    assert idx.pending == 5 and idx.n_chunks == 20
    assert not {d for q in QUERIES for d in idx.search(q, 30).doc_ids} & {f"late{i}" for i in range(5)}
    assert enc.calls == len(QUERIES)  # one query encoding per search, no passage embedded
    vectors.flush(tmp_path / "c" / "vectors", col.store, enc)
    assert DenseIndex.load(tmp_path / "c" / "vectors", store, enc).pending == 0


def test_imported_vectors_equal_embedded_ones_and_the_model_is_checked(tmp_path):
    enc = ingest(tmp_path / "a", [synthetic_docs(30)])
    col = Collection.create(tmp_path / "b", Settings(encoder="none"))
    col.ingest(synthetic_docs(30))
    ids = np.array([r.id for b in col.store.iter_chunks() for r in b])
    texts = [vectors.passage_text(r.title, r.text) for b in col.store.iter_chunks() for r in b]
    d = tmp_path / "b" / "vectors"
    with pytest.raises(Exception, match="No vector for 1 passage"):
        vectors.import_vectors(d, col.store, [(np.delete(ids, 3), np.delete(enc.encode_passages(texts), 3, axis=0))],
                               model_id=enc.model_id, checksum=enc.checksum, dim=enc.dim)
    v = enc.encode_passages(texts)
    n = vectors.import_vectors(d, col.store, [(ids[20:][::-1], v[20:][::-1]), (ids[:20], v[:20])][::-1],
                               model_id=enc.model_id, checksum=enc.checksum, dim=enc.dim)
    assert n == 30
    assert dense_rankings(tmp_path / "b", enc)[0] == dense_rankings(tmp_path / "a", enc)[0]
    with pytest.raises(CollectionError, match="was embedded with test-hash-64"):
        vectors.import_vectors(d, col.store, [(ids[:0], np.zeros((0, enc.dim)))], model_id="other", checksum="x", dim=enc.dim)


def test_an_import_in_small_windows_over_deleted_passages_equals_embedding(tmp_path, monkeypatch):
    monkeypatch.setattr(vectors, "IMPORT_ROWS", 4)  # windows of 4 ids, most with a gap
    docs = synthetic_docs(30)
    gone = [d.doc_id for d in docs[3:30:4]]
    enc = ingest(tmp_path / "a", [docs], deletes=gone)
    col = Collection.create(tmp_path / "b", Settings(encoder="none"))
    col.ingest(docs)
    col.delete(gone)
    rows = [r for b in col.store.iter_chunks() for r in b]
    ids = np.array([r.id for r in rows])
    v = enc.encode_passages([vectors.passage_text(r.title, r.text) for r in rows])
    n = vectors.import_vectors(tmp_path / "b" / "vectors", col.store, [(ids[i : i + 7], v[i : i + 7]) for i in range(0, len(ids), 7)],
                               model_id=enc.model_id, checksum=enc.checksum, dim=enc.dim)
    assert n == len(ids) == 30 - len(gone)
    assert dense_rankings(tmp_path / "b", enc)[0] == dense_rankings(tmp_path / "a", enc)[0]


def test_segments_are_written_every_segment_rows_and_merged(tmp_path, monkeypatch):
    monkeypatch.setattr(vectors, "SEGMENT_ROWS", 5)
    monkeypatch.setattr(vectors, "MERGE_FACTOR", 3)
    enc = ingest(tmp_path / "c", [synthetic_docs(12), synthetic_docs(12, prefix="e")])
    manifest = vectors.read_manifest(tmp_path / "c" / "vectors")
    assert len(manifest["segments"]) < 3
    assert sum(e["rows"] for e in manifest["segments"]) == 24
    fresh = ingest(tmp_path / "f", [[*synthetic_docs(12), *synthetic_docs(12, prefix="e")]])
    assert dense_rankings(tmp_path / "c", enc)[0] == dense_rankings(tmp_path / "f", fresh)[0]


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
@pytest.mark.parametrize("kind", ["f32", "ids", "docs"])
def test_damaged_vector_files_are_detected_and_named(tmp_path, damage, kind):
    enc = ingest(tmp_path / "c", [synthetic_docs(10)])
    path = next((tmp_path / "c" / "vectors").glob(f"vec-*.{kind}.npy"))
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-3] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    else:
        path.unlink()
    with pytest.raises(CollectionError, match=rf"{path.name}.*(damaged|missing).*sleuth doctor --repair"):
        dense_rankings(tmp_path / "c", enc)


def test_opening_with_another_model_is_a_clear_error(tmp_path):
    ingest(tmp_path / "c", [synthetic_docs(5)])
    with pytest.raises(CollectionError, match="was embedded with test-hash-64 .* but the encoder now is other-model"):
        dense_rankings(tmp_path / "c", HashEncoder("other-model", "f" * 16))


def test_beyond_the_threshold_a_persisted_graph_finds_the_same_neighbours(tmp_path, monkeypatch):
    monkeypatch.setattr(vectors, "ANN_THRESHOLD", 100)
    monkeypatch.setattr(vectors, "SEGMENT_ROWS", 64)
    enc = ingest(tmp_path / "c", [synthetic_docs(200), synthetic_docs(100, prefix="e")], deletes=["d1", "e2"])
    manifest = vectors.read_manifest(tmp_path / "c" / "vectors")
    assert manifest["ann"]["rows"] == 300 and (tmp_path / "c" / "vectors" / manifest["ann"]["file"]).exists()
    approx, idx = dense_rankings(tmp_path / "c", enc)
    assert idx.uses_ann
    monkeypatch.setattr(vectors, "ANN_THRESHOLD", 10**6)
    fresh = ingest(tmp_path / "f", [[d for d in synthetic_docs(200) + synthetic_docs(100, prefix="e")
                                     if d.doc_id not in ("d1", "e2")]])
    exact, idx2 = dense_rankings(tmp_path / "f", fresh)
    assert not idx2.uses_ann
    overlap = [len(set(exact[q]) & set(approx[q])) for q in QUERIES]
    assert sum(overlap) >= 0.9 * 10 * len(QUERIES), overlap
    assert all(exact[q][0] == approx[q][0] for q in QUERIES)
    assert not {"d1", "e2"} & {d for q in QUERIES for d in approx[q]}
