"""The SQLite docstore: the source of truth for documents and their chunks.

Every derived index (lexical, vectors) is keyed by chunk row id, and row ids only grow
(AUTOINCREMENT), so "chunks with id > the last one an index covers" is exactly what that index still
has to catch up on after a crash. WAL with ``synchronous=FULL`` makes each commit durable.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sleuth.errors import CollectionError
from sleuth.store import papers
from sleuth.types import Chunk, Document

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL,
    metadata TEXT NOT NULL,
    hash TEXT NOT NULL,
    added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc);
"""


def content_hash(doc: Document) -> str:
    """sha256 over what indexing reads, so a changed title, text or metadata re-indexes the document."""
    payload = json.dumps([doc.title, doc.text, doc.metadata], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ChunkRow:
    """A chunk as the indexes see it: row id, the document's title, and the passage text."""

    id: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int


class DocStore:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        try:
            if readonly:
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            else:
                self.db = sqlite3.connect(path, check_same_thread=False)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.executescript(SCHEMA)
                papers.migrate(self.db)
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("SELECT count(*) FROM documents").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CollectionError(
                f"The docstore {path} cannot be read ({exc}).",
                "If the file is damaged, restore it from a backup; `sleuth doctor` reports the state.",
            ) from None

    def close(self) -> None:
        self.db.close()

    # -- reads -------------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees one committed state, even while a writer commits (WAL snapshot)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("ROLLBACK")

    def hashes(self, doc_ids: Iterable[str]) -> dict[str, str]:
        ids = list(doc_ids)
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = f"SELECT doc_id, hash FROM documents WHERE doc_id IN ({','.join('?' * len(part))})"
            out.update(self.db.execute(q, part).fetchall())
        return out

    def count_documents(self) -> int:
        return self.db.execute("SELECT count(*) FROM documents").fetchone()[0]

    def count_chunks(self) -> int:
        return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def max_chunk_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0]

    def live_chunk_ids(self) -> np.ndarray:
        rows = self.db.execute("SELECT id FROM chunks ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunk_docs(self, chunk_ids: np.ndarray) -> list[str]:
        """doc_id of each chunk id (all must be live)."""
        found: dict[int, str] = {}
        ids = [int(c) for c in chunk_ids]
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = (
                "SELECT c.id, d.doc_id FROM chunks c JOIN documents d ON d.id = c.doc "
                f"WHERE c.id IN ({','.join('?' * len(part))})"
            )
            found.update(self.db.execute(q, part).fetchall())
        return [found[c] for c in ids]

    def iter_chunks(self, after: int = 0, batch: int = 2000) -> Iterator[list[ChunkRow]]:
        """Live chunks with id > ``after``, in id order, in batches."""
        last = after
        while True:
            rows = self.db.execute(
                "SELECT c.id, d.doc_id, d.title, d.text, c.start, c.end FROM chunks c "
                "JOIN documents d ON d.id = c.doc WHERE c.id > ? ORDER BY c.id LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            yield [ChunkRow(r[0], r[1], r[2], r[3][r[4] : r[5]], r[4], r[5]) for r in rows]
            last = rows[-1][0]

    def get_chunk(self, chunk_id: int) -> tuple[Chunk, str] | None:
        """The chunk and its document's title."""
        row = self.db.execute(
            "SELECT d.doc_id, d.title, d.text, c.start, c.end, c.ord FROM chunks c "
            "JOIN documents d ON d.id = c.doc WHERE c.id = ?",
            (chunk_id,),
        ).fetchone()
        if row is None:
            return None
        doc_id, title, text, start, end, ord_ = row
        return Chunk(doc_id, start, end, text[start:end], f"{doc_id}#{ord_}"), title

    def get_chunks(self, chunk_ids: Iterable[int]) -> dict[int, tuple[Chunk, str]]:
        """:meth:`get_chunk` for several ids; ids no longer live are absent."""
        found = ((c, self.get_chunk(c)) for c in chunk_ids)
        return {c: hit for c, hit in found if hit is not None}

    def get_document(self, doc_id: str) -> Document | None:
        row = self.db.execute(
            "SELECT doc_id, text, title, source, metadata FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        return Document(row[0], row[1], row[2], row[3], json.loads(row[4]))

    def iter_documents(self, batch: int = 1000) -> Iterator[Document]:
        """Every document, in insertion order, read ``batch`` rows at a time."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT id, doc_id, text, title, source, metadata FROM documents WHERE id > ? ORDER BY id LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            for r in rows:
                yield Document(r[1], r[2], r[3], r[4], json.loads(r[5]))
            last = rows[-1][0]

    def list_documents(self, limit: int = 100, offset: int = 0) -> list[tuple[str, str, str]]:
        """(doc_id, title, source) in insertion order."""
        return self.db.execute(
            "SELECT doc_id, title, source FROM documents ORDER BY id LIMIT ? OFFSET ?", (limit, offset)
        ).fetchall()

    # -- writes (callers hold the collection's write lock) -------------------------------------

    def write_batch(
        self, docs: list[tuple[Document, str, list[tuple[int, int]]]], delete_first: Iterable[str] = (),
        sources: Iterable[papers.SourceRecord] = (),
    ) -> None:
        """Delete ``delete_first`` doc ids, insert each (document, hash, chunk spans), record ``sources``:
        one transaction."""
        now = time.time()
        try:
            self._write_batch(docs, delete_first, now, list(sources))
        except sqlite3.OperationalError as exc:
            raise CollectionError(
                f"Could not write to the docstore {self.path} ({exc}); nothing of this batch was stored.",
                "If the disk is full, free some space and run the same command again: it resumes.",
            ) from None

    def _write_batch(self, docs: list[tuple[Document, str, list[tuple[int, int]]]], delete_first: Iterable[str],
                     now: float, sources: list[papers.SourceRecord]) -> None:
        with self.db:
            for doc_id in delete_first:
                self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            for doc, digest, spans in docs:
                cur = self.db.execute(
                    "INSERT INTO documents (doc_id, title, text, source, metadata, hash, added, authors, year) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc.doc_id, doc.title, doc.text, doc.source,
                     json.dumps(doc.metadata, ensure_ascii=False, default=str), digest, now,
                     *papers.document_fields(doc)),
                )
                self.db.executemany(
                    "INSERT INTO chunks (doc, ord, start, end, page, section, page_breaks) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(cur.lastrowid, i, a, b, *papers.chunk_fields(doc.metadata, a, b)) for i, (a, b) in enumerate(spans)],
                )
            papers.put_sources(self.db, sources)

    def delete(self, doc_ids: Iterable[str]) -> int:
        ids = list(doc_ids)
        with self.db:
            n = 0
            for doc_id in ids:
                n += self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount
            papers.forget_documents(self.db, ids)
        return n

    # -- papers (see sleuth.store.papers) ----------------------------------------------------------

    def chunk_info(self, chunk_ids: Iterable[int]) -> dict[int, papers.ChunkInfo]:
        """Page, section, authors and year of each chunk (empty for a collection not yet migrated)."""
        return papers.chunk_info(self.db, chunk_ids)

    def document_chunks(self, doc_id: str) -> list[dict[str, object]]:
        return papers.document_chunks(self.db, doc_id)

    def list_entries(self, limit: int = 100, offset: int = 0) -> list[dict[str, object]]:
        return papers.list_entries(self.db, limit, offset)

    def owner(self, doc_id: str) -> str | None:
        return papers.owner(self.db, doc_id) if "sources" in self._tables() else None

    def get_source(self, path: str) -> papers.SourceRecord | None:
        return papers.get_source(self.db, path) if "sources" in self._tables() else None

    def source_by_hash(self, sha256: str) -> papers.SourceRecord | None:
        return papers.source_by_hash(self.db, sha256) if "sources" in self._tables() else None

    def correction(self, doc_id: str) -> dict[str, object]:
        return papers.get_correction(self.db, doc_id) if "corrections" in self._tables() else {}

    def set_correction(self, doc_id: str, fields: dict[str, object]) -> None:
        papers.put_correction(self.db, doc_id, fields)

    def matching(self, conditions: list[object]) -> set[str]:
        """Ids of the documents that pass ``--where`` conditions (:mod:`sleuth.retrieve.where`)."""
        from sleuth.retrieve.where import matching_documents

        if "year" not in papers.columns(self.db, "documents"):
            raise CollectionError("This collection predates metadata filters and was opened read-only.",
                                  "Run `sleuth index` on it once (an already indexed folder will do): it is upgraded in place.")
        return matching_documents(self.db, conditions)  # type: ignore[arg-type]

    def _tables(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
