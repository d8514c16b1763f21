"""Checksums that let the docstore prove a row is what was written, and the error for one that is not.

SQLite's ``integrity_check`` sees broken pages and indexes, not a flipped bit inside a value: a text
byte, a chunk offset or a row id can change and still give a well-formed database. So every row
carries a checksum of its own columns, written with it and checked whenever the row is read:

- a document's *content* (title, text, metadata) is covered by its sha256 content hash, which ingest
  already keeps to skip unchanged documents (:func:`content_hash`);
- the document row's other columns (row id, doc id, source, content hash, time added) by a CRC-32;
- each chunk row (row id, document row, ordinal, start, end) by a CRC-32.

CRC-32 detects every single-bit and every burst error up to 32 bits in its input (Koopman 2002,
"32-bit cyclic redundancy codes for Internet applications"), which is the damage a flipped byte on
disk does; the content hash is cryptographic, so any change of content is caught.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from typing import Any

from sleuth.errors import CollectionError
from sleuth.types import Document


def content_hash(doc: Document) -> str:
    """sha256 over what indexing reads, so a changed title, text or metadata re-indexes the document."""
    return content_digest(doc.title, doc.text, doc.metadata)


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)
"""What ``json.dumps(..., sort_keys=True, ensure_ascii=False, default=str)`` builds on every call (the same
bytes: stored digests stay valid), made once: ingest and every verified read hash each document."""


def content_digest(title: str, text: str, metadata: Any) -> str:
    """:func:`content_hash` of the parts of a document."""
    payload = _ENCODER.encode([title, text, metadata])
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def document_checksum(row_id: int, doc_id: str, source: str, digest: str, added: float) -> int:
    """CRC-32 of a document row's columns other than its content (which ``digest`` covers)."""
    head = struct.pack("<qd", row_id, float(added))
    tail = "\x00".join((doc_id, source, digest)).encode("utf-8", "surrogatepass")
    return zlib.crc32(tail, zlib.crc32(head))


def chunk_checksum(row_id: int, doc_row: int, ordinal: int, start: int, end: int) -> int:
    """CRC-32 of a chunk row: its id, its document's row id, its ordinal and its character span."""
    return zlib.crc32(struct.pack("<qqqqq", row_id, doc_row, ordinal, start, end))


class DamagedRowError(CollectionError):
    """A docstore row whose stored values no longer match the checksum written with them."""

    def __init__(self, path: object, what: str) -> None:
        self.row = what
        super().__init__(
            f"{what} in {path} is damaged: its stored values no longer match the checksum written with them.",
            f"Run `sleuth doctor --collection {_collection_of(path)}` to list every damaged row; re-index their "
            "sources (`sleuth index PATH`) to replace them, or restore docs.sqlite from a backup.",
        )


def _collection_of(path: object) -> str:
    from pathlib import Path

    return str(Path(str(path)).parent)
