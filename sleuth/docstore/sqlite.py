"""SQLite plumbing of the docstore: the schema, creating and migrating it, per-thread connections, and
what a SQLite failure means for the user.

Kept apart from :mod:`sleuth.docstore.store` (which reads and writes documents) so that each stays
small; nothing here knows about documents beyond the schema.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sleuth.errors import CollectionError
from sleuth.atomic import disk_full_error
from sleuth.docstore.integrity import chunk_checksum, document_checksum

SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL,
    metadata TEXT NOT NULL,
    hash TEXT NOT NULL,
    added REAL NOT NULL,
    checksum INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    checksum INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX chunks_doc ON chunks(doc);
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
"""


def sqlite_uri(path: Path, mode: str) -> str:
    """A ``file:`` URI for ``path``: characters such as ``#``, ``?`` and ``%`` are percent-encoded, so
    that SQLite neither cuts the path short nor reads them as URI syntax."""
    return f"file:{quote(str(Path(path).absolute()))}?mode={mode}"


def _decode(raw: bytes) -> str:
    # A damaged byte must not crash a read: it becomes U+FFFD, which no checksum agrees with.
    return raw.decode("utf-8", "replace")


def create_docstore(path: Path, store_id: str, meta_copy: dict[str, Any]) -> None:
    """Write a new, empty docstore: tables and identity in one transaction (a kill leaves all or nothing)."""
    if path.exists():
        raise CollectionError(f"{path} already exists.", "Choose an empty directory for the collection.")
    try:
        db = sqlite3.connect(sqlite_uri(path, "rwc"), uri=True, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN")
            for statement in SCHEMA.split(";"):
                db.execute(statement)
            db.executemany("INSERT INTO store_meta (key, value) VALUES (?, ?)",
                           [("id", store_id), ("meta", json.dumps(meta_copy, sort_keys=True)), ("generation", "0")])
            db.execute("COMMIT")
        finally:
            db.close()
    except sqlite3.Error as exc:
        path.unlink(missing_ok=True)
        raise sqlite_error(path, exc, "create") from None


def migrate(db: sqlite3.Connection) -> None:
    """Add the id, the generation counter and the row checksums to a docstore written before them.

    One transaction, DDL included, so a kill mid-way leaves the old docstore as it was."""
    with db:
        db.execute("BEGIN")
        db.execute("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for table in ("documents", "chunks"):
            db.execute(f"ALTER TABLE {table} ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0")
        db.executemany("UPDATE documents SET checksum = ? WHERE id = ?", (
            (document_checksum(*r), r[0])
            for r in db.execute("SELECT id, doc_id, source, hash, added FROM documents").fetchall()))
        db.executemany("UPDATE chunks SET checksum = ? WHERE id = ?", (
            (chunk_checksum(*r), r[0]) for r in db.execute("SELECT id, doc, ord, start, end FROM chunks").fetchall()))
        db.executemany("INSERT INTO store_meta (key, value) VALUES (?, ?)",
                       [("id", uuid.uuid4().hex), ("generation", "0")])


class Connections:
    """One SQLite connection per thread, so each reader's snapshot (an open read transaction) is its own
    even when threads share one docstore; all are closed together."""

    def __init__(self, path: Path, readonly: bool) -> None:
        self.path, self.readonly = path, readonly
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "db", None)
        if conn is None:
            if self._closed:
                raise CollectionError(f"The docstore {self.path} was closed.", "Open the collection again.")
            conn = sqlite3.connect(sqlite_uri(self.path, "ro" if self.readonly else "rw"), uri=True,
                                   check_same_thread=False, timeout=30)
            conn.text_factory = _decode
            if not self.readonly:
                conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.db = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        self._closed = True
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


def _no_room(path: Path) -> bool:
    """Whether a failed write is most likely a full disk (or a file-size limit): SQLite reports a failed
    write or resize of its -wal / -shm files as an I/O error, not as SQLITE_FULL."""
    import resource
    import shutil

    try:
        if shutil.disk_usage(path.parent).free < 64 * 2**20:
            return True
    except OSError:
        return False
    return resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY


def sqlite_error(path: Path, exc: sqlite3.Error, action: str, kept: str = "") -> CollectionError:
    """What a SQLite failure means for the user, and what to do next."""
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc)
    after = f"; {kept}" if kept else ""
    if name == "SQLITE_FULL" or "disk is full" in text:
        return disk_full_error(path)
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "database is locked" in text:
        return CollectionError(f"The docstore {path} is busy ({text}){after}.",
                               "Another process holds it; wait for it to finish and run the command again.")
    if name in ("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN") or "readonly" in text or "unable to open" in text:
        return CollectionError(f"Cannot {action} the docstore {path} ({text}){after}.",
                               "Check that the file and its directory exist and are writable by you.")
    if name.startswith("SQLITE_IOERR") or "disk I/O" in text:
        if _no_room(path):
            return disk_full_error(path)
        return CollectionError(f"A disk error stopped a {action} of the docstore {path} ({text}){after}.",
                               "Check the disk (and free space), then run the command again.")
    return CollectionError(
        f"The docstore {path} is damaged or unreadable ({text}){after}.",
        f"Run `sleuth doctor --collection {path.parent}` for a report; restore docs.sqlite from a backup if "
        "it says the docstore is damaged.",
    )
