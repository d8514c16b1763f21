"""What the docstore keeps about papers, beside documents and chunks (all additive to the schema):

- ``documents.authors`` (JSON list) and ``documents.year``: copied from the metadata so that
  ``--where`` filters are one SQL query;
- ``chunks.page``, ``chunks.section`` and ``chunks.page_breaks`` (JSON ``[[offset, page], ...]`` of the
  pages that start inside the passage): every hit and citation can say "§5 Experiments · p. 6";
- ``sources``: one row per source file (resolved path, size, mtime, sha256, the document ids it gave),
  so an unchanged file is skipped before it is parsed and the same file in two places is one document;
- ``corrections``: metadata a user set by hand (``sleuth meta``), applied again whenever the document is
  re-indexed, so corrections win over extraction.

:func:`migrate` adds what an older collection lacks, in place (``ALTER TABLE ... ADD COLUMN`` and a
backfill from the stored metadata); a read-only open of an unmigrated collection reads defaults instead.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sleuth.ingest.sources import SourceRecord
from sleuth.ingest.structure import page_at, page_breaks, section_label_at
from sleuth.types import Document

TABLES = """
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    doc_ids TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_sha ON sources(sha256);
CREATE TABLE IF NOT EXISTS corrections (
    doc_id TEXT PRIMARY KEY,
    fields TEXT NOT NULL
);
"""
COLUMNS = {
    "documents": [("authors", "TEXT NOT NULL DEFAULT '[]'"), ("year", "INTEGER")],
    "chunks": [("page", "INTEGER"), ("section", "TEXT NOT NULL DEFAULT ''"), ("page_breaks", "TEXT NOT NULL DEFAULT '[]'")],
}


def columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def migrate(db: sqlite3.Connection) -> None:
    """Add the paper columns and tables to a docstore that lacks them (one transaction)."""
    with db:
        db.executescript(TABLES)
        added = False
        for table, cols in COLUMNS.items():
            have = columns(db, table)
            for name, decl in cols:
                if name not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
                    added = True
        if added:
            _backfill(db)


def _backfill(db: sqlite3.Connection) -> None:
    rows = db.execute("SELECT id, metadata FROM documents").fetchall()
    for row_id, md_json in rows:
        md = json.loads(md_json)
        if not (md.get("authors") or md.get("year") or md.get("page_offsets") or md.get("sections")):
            continue
        db.execute("UPDATE documents SET authors = ?, year = ? WHERE id = ?",
                   (json.dumps(authors_of(md), ensure_ascii=False), year_of(md), row_id))
        chunks = db.execute("SELECT id, start, end FROM chunks WHERE doc = ?", (row_id,)).fetchall()
        db.executemany("UPDATE chunks SET page = ?, section = ?, page_breaks = ? WHERE id = ?",
                       [(*chunk_fields(md, a, b), c) for c, a, b in chunks])


def year_of(md: dict[str, Any]) -> int | None:
    """The metadata's year as an integer (None when absent or not a number)."""
    try:
        return int(md["year"]) if md.get("year") not in (None, "") else None
    except (TypeError, ValueError):
        return None


def document_fields(doc: Document) -> tuple[str, int | None]:
    """(authors JSON, year) of a document as the documents table stores them."""
    return as_json(authors_of(doc.metadata)), year_of(doc.metadata)


def as_json(value: Any) -> str:
    """``json.dumps(value)`` (non-ASCII kept, unknown types as str); an empty list or dict, what most
    plain-text documents have, without the encoder (ingest writes several per document)."""
    if not value and isinstance(value, (list, dict)):
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value, ensure_ascii=False, default=str)


def authors_of(md: dict[str, Any]) -> list[str]:
    """The metadata's authors as a list of names (a BibTeX-style "A and B" string is split)."""
    authors = md.get("authors") or []
    if isinstance(authors, str):
        authors = authors.split(" and ")
    return [str(a).strip() for a in authors if str(a).strip()]


def chunk_fields(md: dict[str, Any], start: int, end: int) -> tuple[int | None, str, str]:
    """(page, section label, page_breaks JSON) of the passage ``[start, end)``."""
    return page_at(md, start), section_label_at(md, start) or "", as_json(page_breaks(md, start, end))


@dataclass(frozen=True)
class ChunkInfo:
    page: int | None
    section: str
    breaks: tuple[tuple[int, int], ...]
    authors: tuple[str, ...]
    year: int | None

    def page_of(self, offset: int) -> int | None:
        """The page of a character of this passage (a citation may start on a later page)."""
        page = self.page
        for at, p in self.breaks:
            if offset >= at:
                page = p
        return page


def chunk_info(db: sqlite3.Connection, chunk_ids: Iterable[int]) -> dict[int, ChunkInfo]:
    ids = [int(c) for c in chunk_ids]
    if "page" not in columns(db, "chunks"):
        return {}
    out: dict[int, ChunkInfo] = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        q = ("SELECT c.id, c.page, c.section, c.page_breaks, d.authors, d.year FROM chunks c "
             f"JOIN documents d ON d.id = c.doc WHERE c.id IN ({','.join('?' * len(part))})")
        for cid, page, section, breaks, authors, year in db.execute(q, part):
            out[cid] = ChunkInfo(page, section or "", tuple(tuple(b) for b in json.loads(breaks or "[]")),
                                 tuple(json.loads(authors or "[]")), year)
    return out


def document_chunks(db: sqlite3.Connection, doc_id: str) -> list[dict[str, Any]]:
    """The passages of one document in order: chunk id, span, page, section."""
    has = "page" in columns(db, "chunks")
    cols = "c.ord, c.start, c.end" + (", c.page, c.section" if has else ", NULL, ''")
    rows = db.execute(f"SELECT {cols} FROM chunks c JOIN documents d ON d.id = c.doc WHERE d.doc_id = ? ORDER BY c.ord",
                      (doc_id,)).fetchall()
    return [{"chunk_id": f"{doc_id}#{o}", "start": a, "end": b, "page": p, "section": sec or None}
            for o, a, b, p, sec in rows]


LISTED = ("doc_id", "source", "title", "authors", "year", "arxiv_id", "doi")


def list_entries(db: sqlite3.Connection, limit: int, offset: int) -> list[dict[str, Any]]:
    """Documents in insertion order with their paper metadata (the fields of ``LISTED``)."""
    rows = db.execute("SELECT doc_id, source, title, metadata FROM documents ORDER BY id LIMIT ? OFFSET ?",
                      (limit, offset)).fetchall()
    out = []
    for doc_id, source, title, md_json in rows:
        md = json.loads(md_json)
        out.append({"doc_id": doc_id, "source": source, "title": title, "authors": list(md.get("authors") or []),
                    "year": year_of(md), "arxiv_id": md.get("arxiv_id") or None, "doi": md.get("doi") or None})
    return out


# -- sources ---------------------------------------------------------------------------------------

def get_source(db: sqlite3.Connection, path: str) -> SourceRecord | None:
    row = db.execute("SELECT path, size, mtime_ns, sha256, doc_ids FROM sources WHERE path = ?", (path,)).fetchone()
    return None if row is None else SourceRecord(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])))


def source_by_hash(db: sqlite3.Connection, sha256: str) -> SourceRecord | None:
    row = db.execute("SELECT path, size, mtime_ns, sha256, doc_ids FROM sources WHERE sha256 = ? LIMIT 1",
                     (sha256,)).fetchone()
    return None if row is None else SourceRecord(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])))


def owner(db: sqlite3.Connection, doc_id: str) -> str | None:
    """The path of the recorded source that gave ``doc_id``, if any."""
    pattern = "%" + json.dumps(doc_id, ensure_ascii=False).replace("%", "\\%").replace("_", "\\_") + "%"
    for path, ids in db.execute("SELECT path, doc_ids FROM sources WHERE doc_ids LIKE ? ESCAPE '\\'", (pattern,)):
        if doc_id in json.loads(ids):
            return str(path)
    return None


def put_sources(db: sqlite3.Connection, records: Iterable[SourceRecord]) -> None:
    """Insert or replace source records (inside the caller's transaction)."""
    db.executemany("INSERT OR REPLACE INTO sources (path, size, mtime_ns, sha256, doc_ids) VALUES (?, ?, ?, ?, ?)",
                   [(r.path, r.size, r.mtime_ns, r.sha256, json.dumps(list(r.doc_ids))) for r in records])


def forget_documents(db: sqlite3.Connection, doc_ids: Iterable[str]) -> None:
    """Drop source records that point at deleted documents (so re-indexing the file adds it again)."""
    gone = set(doc_ids)
    if not gone:
        return
    for path, ids in db.execute("SELECT path, doc_ids FROM sources").fetchall():
        if gone & set(json.loads(ids)):
            db.execute("DELETE FROM sources WHERE path = ?", (path,))


# -- corrections -----------------------------------------------------------------------------------

def get_correction(db: sqlite3.Connection, doc_id: str) -> dict[str, Any]:
    return get_corrections(db, [doc_id]).get(doc_id, {})


def get_corrections(db: sqlite3.Connection, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The hand-set fields of those of ``doc_ids`` that have any (one query per 500 ids)."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(doc_ids), 500):
        part = doc_ids[i : i + 500]
        q = f"SELECT doc_id, fields FROM corrections WHERE doc_id IN ({','.join('?' * len(part))})"
        out.update((d, json.loads(f)) for d, f in db.execute(q, part))
    return out


def put_correction(db: sqlite3.Connection, doc_id: str, fields: dict[str, Any]) -> None:
    with db:
        db.execute("INSERT OR REPLACE INTO corrections (doc_id, fields) VALUES (?, ?)",
                   (doc_id, json.dumps(fields, ensure_ascii=False)))


def corrected(doc: Document, fields: dict[str, Any]) -> Document:
    """``doc`` with the hand-set fields applied: ``title`` to the title, the rest to the metadata.

    What they replace is kept under ``metadata["extracted"]``, so that :func:`uncorrected` can undo it.
    """
    if not fields:
        return doc
    extracted = dict(doc.metadata.get("extracted") or {})
    for k in fields:
        extracted.setdefault(k, doc.title if k == "title" else doc.metadata.get(k))
    md = {**doc.metadata, **{k: v for k, v in fields.items() if k != "title"}, "corrected": sorted(fields),
          "extracted": extracted}
    return Document(doc.doc_id, doc.text, fields.get("title", doc.title), doc.source, md)


def uncorrected(doc: Document) -> Document:
    """``doc`` as it was extracted, before any correction (see :func:`corrected`)."""
    extracted = doc.metadata.get("extracted") or {}
    md = {k: v for k, v in doc.metadata.items() if k not in ("corrected", "extracted")}
    for k, v in extracted.items():
        if k == "title":
            continue
        if v is None:
            md.pop(k, None)
        else:
            md[k] = v
    return Document(doc.doc_id, doc.text, extracted.get("title", doc.title), doc.source, md)
