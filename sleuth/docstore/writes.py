"""Writing to the docstore: each batch, delete or repair is one transaction that bumps the store's generation.

Callers hold the collection's write lock. :class:`Writes` is mixed into :class:`sleuth.docstore.store.DocStore`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from sleuth.docstore import papers
from sleuth.docstore.integrity import chunk_checksum, document_checksum
from sleuth.docstore.sqlite import sqlite_error
from sleuth.types import Document


class Writes:
    # Provided by DocStore: the file, whether it predates store_meta, the thread's connection and allocated().
    path: Path
    legacy: bool
    db: sqlite3.Connection

    def write_batch(
        self, docs: list[tuple[Document, str, list[tuple[int, int]]]], delete_first: Iterable[str] = (),
        sources: Iterable[papers.SourceRecord] = (),
    ) -> None:
        """Delete ``delete_first`` doc ids, insert each (document, hash, chunk spans), record ``sources``:
        one transaction."""
        now = time.time()
        try:
            self._write_batch(docs, delete_first, now, list(sources))
        except sqlite3.Error as exc:
            raise sqlite_error(self.path, exc, "write", "nothing of this batch was stored") from None

    def _write_batch(self, docs: list[tuple[Document, str, list[tuple[int, int]]]], delete_first: Iterable[str],
                     now: float, sources: list[papers.SourceRecord]) -> None:
        db = self.db
        with db:
            for doc_id in delete_first:
                db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            doc_row, chunk_row = self.allocated("documents"), self.allocated("chunks")
            for doc, digest, spans in docs:
                doc_row += 1
                db.execute(
                    "INSERT INTO documents (id, doc_id, title, text, source, metadata, hash, added, checksum, "
                    "authors, year) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc_row, doc.doc_id, doc.title, doc.text, doc.source,
                     papers.as_json(doc.metadata), digest, now,
                     document_checksum(doc_row, doc.doc_id, doc.source, digest, now), *papers.document_fields(doc)),
                )
                rows = [(chunk_row + i + 1, doc_row, i, a, b) for i, (a, b) in enumerate(spans)]
                chunk_row += len(rows)
                db.executemany("INSERT INTO chunks (id, doc, ord, start, end, checksum, page, section, page_breaks) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               [(*r, chunk_checksum(*r), *papers.chunk_fields(doc.metadata, r[3], r[4])) for r in rows])
            papers.put_sources(db, sources)
            self._bump(db)

    def delete(self, doc_ids: Iterable[str]) -> int:
        ids = list(doc_ids)
        try:
            with self.db as db:
                n = sum(db.execute("DELETE FROM documents WHERE doc_id = ?", (d,)).rowcount for d in ids)
                papers.forget_documents(db, ids)
                self._bump(db)
        except sqlite3.Error as exc:
            raise sqlite_error(self.path, exc, "write", "nothing was deleted") from None
        return n

    def delete_rows(self, rows: Iterable[int]) -> int:
        """Delete documents by row id (``sleuth doctor --repair`` removing damaged ones)."""
        try:
            with self.db as db:
                n = 0
                for row in rows:
                    db.execute("DELETE FROM chunks WHERE doc = ?", (row,))
                    n += db.execute("DELETE FROM documents WHERE id = ?", (row,)).rowcount
                self._bump(db)
        except sqlite3.Error as exc:
            raise sqlite_error(self.path, exc, "write", "nothing was deleted") from None
        return n

    def _bump(self, db: sqlite3.Connection) -> None:
        if not self.legacy:
            db.execute("UPDATE store_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                       "WHERE key = 'generation'")
