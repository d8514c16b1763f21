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
        found = self.live_chunk_docs(chunk_ids)
        return [found[int(c)] for c in chunk_ids]

    def iter_chunks(self, after: int = 0, batch: int = 2000) -> Iterator[list[ChunkRow]]:
        """Live chunks with id > ``after``, in id order, in batches.

        Each document's text is read once per batch and sliced, so a batch holds one copy of the text
        of the documents it touches, never one per passage (a 2 MB document with thousands of
        passages costs 2 MB, not gigabytes).
        """
        last = after
        while True:
            rows = self.db.execute(
                "SELECT c.id, c.doc, c.start, c.end FROM chunks c WHERE c.id > ? ORDER BY c.id LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            docs = sorted({r[1] for r in rows})
            texts: dict[int, tuple[str, str, str]] = {}
            for i in range(0, len(docs), 500):
                part = docs[i : i + 500]
                q = f"SELECT id, doc_id, title, text FROM documents WHERE id IN ({','.join('?' * len(part))})"
                texts.update((r[0], r[1:]) for r in self.db.execute(q, part))
            out = []
            for cid, doc, a, b in rows:
                found = texts.get(doc)
                if found is not None:  # a chunk whose document is gone (never: deletes cascade)
                    out.append(ChunkRow(cid, found[0], found[1], found[2][a:b], a, b))
            del texts
            yield out
            last = rows[-1][0]

    def live_chunk_docs(self, chunk_ids: np.ndarray) -> dict[int, str]:
        """doc_id of each chunk id that is still live (deleted ones are absent)."""
        found: dict[int, str] = {}
        ids = [int(c) for c in chunk_ids]
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = ("SELECT c.id, d.doc_id FROM chunks c JOIN documents d ON d.id = c.doc "
                 f"WHERE c.id IN ({','.join('?' * len(part))})")
            found.update(self.db.execute(q, part).fetchall())
        return found

    def chunk_ids_between(self, lo: int, hi: int) -> np.ndarray:
        """Ids of the live chunks with lo <= id <= hi, ascending."""
        rows = self.db.execute("SELECT id FROM chunks WHERE id BETWEEN ? AND ? ORDER BY id", (lo, hi)).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def count_chunks_between(self, lo: int, hi: int) -> int:
        return self.db.execute("SELECT count(*) FROM chunks WHERE id BETWEEN ? AND ?", (lo, hi)).fetchone()[0]

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
        self, docs: list[tuple[Document, str, list[tuple[int, int]]]], delete_first: Iterable[str] = ()
    ) -> None:
        """Delete ``delete_first`` doc ids, then insert each (document, hash, chunk spans); one transaction."""
        now = time.time()
        try:
            self._write_batch(docs, delete_first, now)
        except sqlite3.OperationalError as exc:
            raise CollectionError(
                f"Could not write to the docstore {self.path} ({exc}); nothing of this batch was stored.",
                "If the disk is full, free some space and run the same command again: it resumes.",
            ) from None

    def _write_batch(self, docs: list[tuple[Document, str, list[tuple[int, int]]]], delete_first: Iterable[str],
                     now: float) -> None:
        with self.db:
            for doc_id in delete_first:
                self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            for doc, digest, spans in docs:
                cur = self.db.execute(
                    "INSERT INTO documents (doc_id, title, text, source, metadata, hash, added) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (doc.doc_id, doc.title, doc.text, doc.source,
                     json.dumps(doc.metadata, ensure_ascii=False, default=str), digest, now),
                )
                self.db.executemany(
                    "INSERT INTO chunks (doc, ord, start, end) VALUES (?, ?, ?, ?)",
                    [(cur.lastrowid, i, a, b) for i, (a, b) in enumerate(spans)],
                )

    def delete(self, doc_ids: Iterable[str]) -> int:
        with self.db:
            n = 0
            for doc_id in doc_ids:
                n += self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount
        return n
