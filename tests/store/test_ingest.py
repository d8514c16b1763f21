"""Ingest is idempotent (content hash), incremental, and keeps source, title and metadata."""

from support import synthetic_docs

from sleuth.config import Settings
from sleuth.ingest import Rejected
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document


def test_reingest_adds_nothing(tmp_path):
    docs = synthetic_docs(25)
    col = Collection.create(tmp_path / "c")
    first = col.ingest(docs)
    chunks = col.store.count_chunks()
    again = col.ingest(docs)
    assert (first.added, first.updated, first.skipped) == (25, 0, 0)
    assert (again.added, again.updated, again.skipped, again.chunks) == (0, 0, 25, 0)
    assert col.store.count_documents() == 25 and col.store.count_chunks() == chunks


def test_only_changed_documents_are_reindexed(tmp_path):
    docs = synthetic_docs(10)
    col = Collection.create(tmp_path / "c")
    col.ingest(docs)
    changed = Document("d4", "Completely new words about zebras.", docs[4].title, docs[4].source)
    s = col.ingest([*docs[:4], changed, *docs[5:], *synthetic_docs(2, prefix="n")])
    assert (s.added, s.updated, s.skipped) == (2, 1, 9)
    assert col.lexical.search("zebras", 3).doc_ids == ["d4"]
    assert col.lexical.search("markerd4x", 3).doc_ids == []
    assert col.store.count_documents() == 12


def test_metadata_change_alone_counts_as_update(tmp_path):
    col = Collection.create(tmp_path / "c")
    col.ingest([Document("a", "text", "T", "s", {"year": 1})])
    s = col.ingest([Document("a", "text", "T", "s", {"year": 2})])
    assert s.updated == 1 and col.store.get_document("a").metadata == {"year": 2}


def test_document_keeps_source_title_metadata_and_chunk_offsets(tmp_path):
    doc = Document("p1", "First sentence here. Second one follows.", "A Title", "/papers/p1.md", {"authors": ["X"]})
    col = Collection.create(tmp_path / "c", Settings(chunk_size=3))
    col.ingest([doc])
    assert col.store.get_document("p1") == doc
    hits = col.search("second follows", 1)
    c = hits[0].chunk
    assert doc.text[c.start : c.end] == c.text == "Second one follows."
    assert hits[0].title == "A Title" and c.chunk_id == "p1#1"


def test_rejected_records_are_reported_not_stored(tmp_path):
    col = Collection.create(tmp_path / "c")
    s = col.ingest([Document("a", "fine text"), Rejected("f.jsonl", 3, "invalid JSON"), Document("b", "   ")])
    assert s.added == 1
    assert [(f.source, f.line) for f in s.failed] == [("f.jsonl", 3), ("", None)]
    assert "no text" in s.failed[1].reason


def test_duplicate_id_in_one_input_keeps_the_last(tmp_path):
    col = Collection.create(tmp_path / "c")
    col.ingest([Document("a", "old words"), Document("a", "new words")])
    assert col.store.get_document("a").text == "new words" and col.store.count_documents() == 1
