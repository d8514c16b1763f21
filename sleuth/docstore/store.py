"""The SQLite docstore: the source of truth for documents and their chunks.

Every derived index (lexical, vectors) is keyed by chunk row id, and row ids only grow
(AUTOINCREMENT; ids are assigned past the largest ever allocated), so "chunks with id > the last one
an index covers" is exactly what that index still has to catch up on after a crash. WAL with
``synchronous=FULL`` makes each commit durable.

The docstore is never created as a side effect: :meth:`DocStore.create` makes a new one with a fresh
id (``store_meta.id``) that the collection's meta.json and every derived index's manifest record, so
an index can tell its own docstore from a replaced or rolled-back one (see
:mod:`sleuth.store.embedded.binding`). Every row carries checksums (:mod:`sleuth.docstore.integrity`) that reads
verify: a damaged row raises :class:`DamagedRowError` naming it instead of being served.

Each thread gets its own SQLite connection, so a reader's snapshot is its own even when a server
shares one ``DocStore`` between request threads.
"""

from __future__ import annotations

import json
import sqlite3
from struct import error as struct_error
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sleuth.errors import CollectionError
from sleuth.docstore import papers
from sleuth.docstore.integrity import (
    DamagedRowError,
    chunk_checksum,
    content_digest,
    document_checksum,
)
from sleuth.docstore.writes import Writes
from sleuth.docstore.sqlite import Connections, create_docstore, migrate, sqlite_error
from sleuth.types import Chunk, Document

DOC_COLUMNS = "d.id, d.doc_id, d.title, d.text, d.source, d.metadata, d.hash, d.added, d.checksum"
CHUNK_COLUMNS = "c.id, c.doc, c.ord, c.start, c.end, c.checksum"
BATCH = 500  # ids per IN (...) list, below SQLite's variable limit


@dataclass(frozen=True)
class ChunkRow:
    """A chunk as the indexes see it: row id, the document's title, and the passage text."""

    id: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _DocRow:
    row: int
    doc_id: str
    title: str
    text: str
    source: str
    metadata: dict[str, Any]

    def document(self) -> Document:
        return Document(self.doc_id, self.text, self.title, self.source, self.metadata)


class DocStore(Writes):
    """Open an existing docstore (never creates one); :meth:`create` makes a new one."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if not self.path.is_file() or self.path.stat().st_size == 0:
            state = "empty (0 bytes)" if self.path.is_file() else "missing"
            raise CollectionError(
                f"The docstore {self.path} is {state}, but {self.path.parent} is a collection: its documents "
                "are lost (the indexes beside it cannot be rebuilt without it).",
                "Restore docs.sqlite from a backup, or delete the collection (`sleuth rm --all`) and index its "
                "sources again. sleuth never creates an empty docstore inside an existing collection.",
            )
        self._conns = Connections(self.path, readonly)
        self._seen_tables: set[str] = set()
        with self._errors("open"):
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"documents", "chunks"} <= tables:
                raise CollectionError(
                    f"The docstore {self.path} holds no sleuth tables: it is not this collection's docstore.",
                    "Restore docs.sqlite from a backup, or delete the collection and index its sources again.",
                )
            self.legacy = "store_meta" not in tables
            if self.legacy and not readonly:
                migrate(self.db)
                self.legacy = False
            if not readonly:
                papers.migrate(self.db)
            self.id: str | None = None if self.legacy else self._meta_value("id")
        # Read-only views of a docstore older than the checksums select a stand-in column.
        self._dcols = DOC_COLUMNS.replace("d.checksum", "0") if self.legacy else DOC_COLUMNS
        self._ccols = CHUNK_COLUMNS.replace("c.checksum", "0") if self.legacy else CHUNK_COLUMNS

    @classmethod
    def create(cls, path: Path, store_id: str, meta_copy: dict[str, Any]) -> DocStore:
        """A new, empty docstore at ``path`` (which must not exist) with id ``store_id``; ``meta_copy`` is
        kept inside it so that a damaged meta.json can be restored (``sleuth doctor --repair``)."""
        create_docstore(Path(path), store_id, meta_copy)
        return cls(path)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        return self._conns.get()

    def close(self) -> None:
        self._conns.close()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise sqlite_error(self.path, exc, action) from None

    # -- identity ------------------------------------------------------------------------------

    def _meta_value(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def meta_copy(self) -> dict[str, Any] | None:
        """The collection meta this docstore was created with (None for docstores older than the copy)."""
        if self.legacy:
            return None
        with self._errors("read"):
            raw = self._meta_value("meta")
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError:
            raise DamagedRowError(self.path, "The copy of meta.json (store_meta 'meta')") from None

    def set_meta_copy(self, meta_copy: dict[str, Any]) -> None:
        with self._errors("write"), self.db:
            self.db.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('meta', ?)",
                            (json.dumps(meta_copy, sort_keys=True),))

    def generation(self) -> int:
        """A counter every write transaction increments: a reader compares it to see new commits."""
        if self.legacy:
            return 0
        with self._errors("read"):
            value = self._meta_value("generation")
        return int(value) if value and value.isdigit() else 0

    def allocated(self, table: str = "chunks") -> int:
        """The largest row id ever allocated in ``table`` (deleted rows included)."""
        with self._errors("read"):
            seq = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
            top = self.db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        return max(int(seq[0]) if seq and isinstance(seq[0], int) else 0, int(top))

    # -- reads -------------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees one committed state, even while a writer commits (WAL snapshot)."""
        db = self.db
        if db.in_transaction:
            yield
            return
        with self._errors("read"):
            db.execute("BEGIN")
        try:
            yield
        finally:
            db.execute("ROLLBACK")

    def hashes(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """doc_id -> content hash of those present; a row whose checksum fails maps to ``"damaged"``,
        so that ingesting its source again replaces it."""
        ids = list(doc_ids)
        out: dict[str, str] = {}
        with self._errors("read"):
            for i in range(0, len(ids), BATCH):
                part = ids[i : i + BATCH]
                q = (f"SELECT id, doc_id, source, hash, added, {'0' if self.legacy else 'checksum'} FROM documents "
                     f"WHERE doc_id IN ({','.join('?' * len(part))})")
                for row, doc_id, source, digest, added, check in self.db.execute(q, part):
                    try:
                        ok = self.legacy or document_checksum(row, doc_id, source, digest, added) == check
                    except (TypeError, ValueError, OverflowError, struct_error):
                        ok = False
                    out[str(doc_id)] = digest if ok else "damaged"
        return out

    def count_documents(self) -> int:
        with self._errors("read"):
            return self.db.execute("SELECT count(*) FROM documents").fetchone()[0]

    def count_chunks(self) -> int:
        with self._errors("read"):
            return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def max_chunk_id(self) -> int:
        with self._errors("read"):
            return self.db.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0]

    def live_chunk_ids(self) -> np.ndarray:
        with self._errors("read"):
            rows = self.db.execute("SELECT id FROM chunks ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunk_docs(self, chunk_ids: np.ndarray) -> list[str]:
        """doc_id of each chunk id (all must be live)."""
        found = self.live_chunk_docs(chunk_ids)
        return [found[int(c)] for c in chunk_ids]

    def _verified_doc(self, r: tuple[Any, ...]) -> _DocRow:
        row, doc_id, title, text, source, metadata, digest, added, check = r
        try:
            meta = json.loads(metadata)
            row_ok = self.legacy or document_checksum(row, doc_id, source, digest, added) == check
            if row_ok and isinstance(meta, dict) and content_digest(title, text, meta) == digest:
                return _DocRow(row, doc_id, title, text, source, meta)
        except (TypeError, ValueError, AttributeError, OverflowError):
            pass  # a damaged record header can turn a value into another type (or NULL)
        raise DamagedRowError(self.path, f"Document {doc_id!r} (row {row})")

    def _verify_chunk(self, r: tuple[Any, ...]) -> None:
        if self.legacy:
            return
        try:
            if all(type(v) is int for v in r[:6]) and chunk_checksum(r[0], r[1], r[2], r[3], r[4]) == r[5]:
                return
        except (TypeError, OverflowError, struct_error):
            pass
        raise DamagedRowError(self.path, f"Passage row {r[0]}")

    def _docs_by_row(self, rows: Iterable[int]) -> dict[int, _DocRow]:
        ids = sorted(set(rows))
        out: dict[int, _DocRow] = {}
        for i in range(0, len(ids), BATCH):
            part = ids[i : i + BATCH]
            q = f"SELECT {self._dcols} FROM documents d WHERE d.id IN ({','.join('?' * len(part))})"
            for r in self.db.execute(q, part):
                out[r[0]] = self._verified_doc(r)
        return out

    def iter_chunks(self, after: int = 0, batch: int = 2000) -> Iterator[list[ChunkRow]]:
        """Live chunks with id > ``after``, in id order, in batches. Each document's text is read once
        per batch, not once per passage."""
        last = after
        while True:
            with self._errors("read"):
                rows = self.db.execute(
                    f"SELECT {self._ccols} FROM chunks c WHERE c.id > ? ORDER BY c.id LIMIT ?", (last, batch)
                ).fetchall()
                if not rows:
                    return
                for r in rows:
                    self._verify_chunk(r)
                docs = self._docs_by_row(r[1] for r in rows)
            yield [ChunkRow(r[0], docs[r[1]].doc_id, docs[r[1]].title, docs[r[1]].text[r[3] : r[4]], r[3], r[4])
                   for r in rows if r[1] in docs]
            last = rows[-1][0]

    def live_chunk_docs(self, chunk_ids: Iterable[int]) -> dict[int, str]:
        """doc_id of each chunk id that is still live (deleted ones are absent)."""
        found: dict[int, str] = {}
        ids = [int(c) for c in chunk_ids]
        with self._errors("read"):
            for i in range(0, len(ids), BATCH):
                part = ids[i : i + BATCH]
                q = ("SELECT c.id, d.doc_id FROM chunks c JOIN documents d ON d.id = c.doc "
                     f"WHERE c.id IN ({','.join('?' * len(part))})")
                found.update(self.db.execute(q, part).fetchall())
        return found

    def chunk_ids_between(self, lo: int, hi: int) -> np.ndarray:
        """Ids of the live chunks with lo <= id <= hi, ascending."""
        with self._errors("read"):
            rows = self.db.execute("SELECT id FROM chunks WHERE id BETWEEN ? AND ? ORDER BY id", (lo, hi)).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def count_chunks_between(self, lo: int, hi: int) -> int:
        with self._errors("read"):
            return self.db.execute("SELECT count(*) FROM chunks WHERE id BETWEEN ? AND ?", (lo, hi)).fetchone()[0]

    def get_chunk(self, chunk_id: int) -> tuple[Chunk, str] | None:
        """The chunk and its document's title."""
        return self.get_chunks([chunk_id]).get(int(chunk_id))

    def get_chunks(self, chunk_ids: Iterable[int]) -> dict[int, tuple[Chunk, str]]:
        """(chunk, its document's title) for several ids, in one look-up; ids no longer live are absent."""
        ids = [int(c) for c in chunk_ids]
        out: dict[int, tuple[Chunk, str]] = {}
        with self._errors("read"), self.snapshot():
            rows = []
            for i in range(0, len(ids), BATCH):
                part = ids[i : i + BATCH]
                q = f"SELECT {self._ccols} FROM chunks c WHERE c.id IN ({','.join('?' * len(part))})"
                rows += self.db.execute(q, part).fetchall()
            for r in rows:
                self._verify_chunk(r)
            docs = self._docs_by_row(r[1] for r in rows)
        for cid, doc_row, ordinal, start, end, _ in rows:
            d = docs.get(doc_row)
            if d is not None:
                out[cid] = (Chunk(d.doc_id, start, end, d.text[start:end], f"{d.doc_id}#{ordinal}"), d.title)
        return out

    def get_document(self, doc_id: str) -> Document | None:
        with self._errors("read"):
            r = self.db.execute(f"SELECT {self._dcols} FROM documents d WHERE d.doc_id = ?", (doc_id,)).fetchone()
            return None if r is None else self._verified_doc(r).document()

    def iter_documents(self, batch: int = 1000) -> Iterator[Document]:
        """Every document, in insertion order, read ``batch`` rows at a time."""
        last = 0
        while True:
            with self._errors("read"):
                rows = self.db.execute(
                    f"SELECT {self._dcols} FROM documents d WHERE d.id > ? ORDER BY d.id LIMIT ?", (last, batch)
                ).fetchall()
                docs = [self._verified_doc(r).document() for r in rows]
            if not rows:
                return
            yield from docs
            last = rows[-1][0]

    def list_documents(self, limit: int = 100, offset: int = 0) -> list[tuple[str, str, str]]:
        """(doc_id, title, source) in insertion order."""
        with self._errors("read"):
            rows = self.db.execute(
                f"SELECT {self._dcols} FROM documents d ORDER BY d.id LIMIT ? OFFSET ?", (limit, offset)
            ).fetchall()
            return [(d.doc_id, d.title, d.source) for d in map(self._verified_doc, rows)]

    def damaged(self) -> list[tuple[str, int | None, str, str]]:
        """Check every row's checksum (``sleuth doctor``): (what, document row, doc_id, source) of each
        damaged row; a damaged passage names the document it belongs to, when that can be told."""
        out: list[tuple[str, int | None, str, str]] = []
        with self._errors("read"), self.snapshot():
            docs = {}
            for r in self.db.execute(f"SELECT {self._dcols} FROM documents d ORDER BY d.id"):
                docs[r[0]] = (r[1], r[4])
                try:
                    self._verified_doc(r)
                except DamagedRowError as exc:
                    out.append((exc.row, r[0], r[1], r[4]))
            for r in self.db.execute(f"SELECT {self._ccols} FROM chunks c ORDER BY c.id"):
                owner = docs.get(r[1])
                try:
                    self._verify_chunk(r)
                except DamagedRowError as exc:
                    out.append((exc.row, r[1] if owner else None, *(owner or ("", ""))))
                    continue
                if owner is None:
                    out.append((f"Passage row {r[0]} (its document row {r[1]} does not exist)", None, "", ""))
        return out

    # -- papers (see sleuth.docstore.papers) ----------------------------------------------------------

    def chunk_info(self, chunk_ids: Iterable[int]) -> dict[int, papers.ChunkInfo]:
        """Page, section, authors and year of each chunk (empty for a collection not yet migrated)."""
        return papers.chunk_info(self.db, chunk_ids)

    def document_chunks(self, doc_id: str) -> list[dict[str, object]]:
        return papers.document_chunks(self.db, doc_id)

    def list_entries(self, limit: int = 100, offset: int = 0) -> list[dict[str, object]]:
        return papers.list_entries(self.db, limit, offset)

    def owner(self, doc_id: str) -> str | None:
        return papers.owner(self.db, doc_id) if self._has_table("sources") else None

    def get_source(self, path: str) -> papers.SourceRecord | None:
        return papers.get_source(self.db, path) if self._has_table("sources") else None

    def source_by_hash(self, sha256: str) -> papers.SourceRecord | None:
        return papers.source_by_hash(self.db, sha256) if self._has_table("sources") else None

    def correction(self, doc_id: str) -> dict[str, object]:
        return self.corrections([doc_id]).get(doc_id, {})

    def corrections(self, doc_ids: Iterable[str]) -> dict[str, dict[str, object]]:
        """The hand-set fields (``sleuth meta``) of those of ``doc_ids`` that have any."""
        return papers.get_corrections(self.db, list(doc_ids)) if self._has_table("corrections") else {}

    def set_correction(self, doc_id: str, fields: dict[str, object]) -> None:
        papers.put_correction(self.db, doc_id, fields)

    def matching(self, conditions: list[object]) -> set[str]:
        """Ids of the documents that pass ``--where`` conditions (:mod:`sleuth.docstore.where`)."""
        from sleuth.docstore.where import matching_documents

        if "year" not in papers.columns(self.db, "documents"):
            raise CollectionError("This collection predates metadata filters and was opened read-only.",
                                  "Run `sleuth index` on it once (an already indexed folder will do): it is upgraded in place.")
        return matching_documents(self.db, conditions)  # type: ignore[arg-type]

    def _has_table(self, name: str) -> bool:
        # Tables are added by migrations and never dropped, so one that exists is remembered (ingest
        # asks once per document); one that does not is asked again (another process may migrate).
        if name not in self._seen_tables:
            if self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone():
                self._seen_tables.add(name)
        return name in self._seen_tables
