"""The embedded store's directory layout, and what creating or removing one may leave behind.

    DIR/meta.json      format version and settings (written once, atomically)
    DIR/docs.sqlite    documents and chunks (source of truth; WAL, synchronous=FULL)
    DIR/lexical/       BM25 segments + manifest (derived; rebuildable from the docstore)
    DIR/vectors/       dense vectors + manifest with the encoder's id and checksum (derived)
    DIR/models/        models ``sleuth tune`` trained for this collection (query encoder, reranker)
    DIR/write.lock     held by the one process allowed to write
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sleuth.docstore.sqlite import sqlite_uri
from sleuth.errors import CollectionError
from sleuth.store.embedded.meta import META

DOCSTORE = "docs.sqlite"
LEXICAL = "lexical"
VECTORS = "vectors"
LOCK = "write.lock"
LEFTOVERS = {DOCSTORE, f"{DOCSTORE}-wal", f"{DOCSTORE}-shm", f"{DOCSTORE}-journal", LOCK}
"""What an interrupted :meth:`Collection.create` can leave behind (besides ``.meta.json.tmp-*``)."""


def refuse_foreign(directory: Path) -> None:
    """Refuse a non-empty directory unless all it holds is what an interrupted create leaves."""
    if not directory.is_dir():
        return
    clear_trash(directory)
    names = {p.name for p in directory.iterdir()}
    strays = {n for n in names - LEFTOVERS if not n.startswith(f".{META}.tmp-")}
    if strays or (DOCSTORE in names and not empty_docstore(directory / DOCSTORE)):
        raise CollectionError(
            f"{directory} exists and is not empty, and it is not a sleuth collection.",
            "Choose an empty or new directory for --collection.",
        )


def empty_docstore(path: Path) -> bool:
    """True for a docstore file holding no document (or no bytes at all)."""
    if path.stat().st_size == 0:
        return True
    try:
        db = sqlite3.connect(sqlite_uri(path, "ro"), uri=True)
        try:
            return db.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
        finally:
            db.close()
    except sqlite3.Error:
        return False


def clear_trash(directory: Path) -> None:
    """Delete what an interrupted ``remove`` of ``directory`` left (a hidden, renamed sibling)."""
    for trash in directory.parent.glob(f".{directory.name}.removing-*"):
        shutil.rmtree(trash, ignore_errors=True)
