"""Source tracking: skip an unchanged file before parsing it, and give every document one identity.

With a ledger (what a collection knows of the files it indexed, :class:`Ledger`), reading a whole file
goes through :func:`tracked`:

1. the file's resolved path, size and mtime match its record: :class:`Unchanged`, nothing is read;
2. its sha256 matches its record (touched, not changed), or the record of another path (the same
   file copied elsewhere): :class:`Unchanged` again, the new path recorded as pointing at the same
   documents — one document, however many places hold the file;
3. otherwise it is parsed. Ids: a one-file-one-document format names its document by the path
   relative to the folder given (``paper.pdf``, ``A/paper.pdf``); if that id already belongs to a
   different file (``coll/A/paper.pdf`` indexed first, then ``coll/B/paper.pdf``), the folder's name
   is put in front (``B/paper.pdf``), and failing that the first 8 hex digits of the file's sha256
   (``paper.pdf~3e67fc1a``). Records of other formats keep the ids they carry. After the file's
   documents comes a :class:`SourceSeen`, which the collection records with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from sleuth.ingest.base import Format, Item, Options, Source, bad
from sleuth.atomic import sha256_file
from sleuth.types import Document


@dataclass(frozen=True)
class SourceRecord:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    doc_ids: tuple[str, ...]


@dataclass(frozen=True)
class Unchanged:
    """A source skipped because the collection already holds what it gives."""

    source: str
    record: SourceRecord


@dataclass(frozen=True)
class SourceSeen:
    """A source was read; ``record`` is to be stored once its documents are."""

    record: SourceRecord


class Ledger(Protocol):
    def get_source(self, path: str) -> SourceRecord | None: ...

    def source_by_hash(self, sha256: str) -> SourceRecord | None: ...

    def owner(self, doc_id: str) -> str | None:
        """The resolved path of the file that gave ``doc_id`` (None: no file, or not recorded)."""
        ...


class RunLedger:
    """A ledger plus the sources read earlier in this run (not yet committed, so not in the store)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.by_path: dict[str, SourceRecord] = {}
        self.by_hash: dict[str, SourceRecord] = {}
        self.owners: dict[str, str] = {}

    def remember(self, record: SourceRecord) -> None:
        self.by_path[record.path] = record
        self.by_hash.setdefault(record.sha256, record)
        for doc_id in record.doc_ids:
            self.owners.setdefault(doc_id, record.path)

    def get_source(self, path: str) -> SourceRecord | None:
        return self.by_path.get(path) or self.ledger.get_source(path)

    def source_by_hash(self, sha256: str) -> SourceRecord | None:
        return self.by_hash.get(sha256) or self.ledger.source_by_hash(sha256)

    def owner(self, doc_id: str) -> str | None:
        return self.owners.get(doc_id) or self.ledger.owner(doc_id)


def tracked(fmt: Format, source: Source, opts: Options, ledger: Ledger) -> Iterator[Item | Unchanged | SourceSeen]:
    """Read ``source`` unless the ledger says it is unchanged (see the module docstring)."""
    if source.start or source.end is not None:  # a byte range of a shared file: nothing to track
        yield from fmt.read(source, opts)
        return
    try:
        path = source.path.resolve()
        st = path.stat()
        known = ledger.get_source(str(path))
        if known and (known.size, known.mtime_ns) == (st.st_size, st.st_mtime_ns):
            yield Unchanged(str(source.path), known)
            return
        digest = sha256_file(path)
    except OSError as exc:
        yield bad(opts, source.path, None, f"cannot read: {exc.strerror or exc}", "check that it exists and is readable")
        return
    twin = known if known and known.sha256 == digest else ledger.source_by_hash(digest)
    if twin is not None:
        yield Unchanged(str(source.path), SourceRecord(str(path), st.st_size, st.st_mtime_ns, digest, twin.doc_ids))
        return
    ids: list[str] = []
    for item in fmt.read(source, opts):
        if isinstance(item, Document):
            if item.doc_id == source.rel:
                item = replace(item, doc_id=_own_id(source, str(path), digest, ledger))
            ids.append(item.doc_id)
        yield item
    if ids:
        record = SourceRecord(str(path), st.st_size, st.st_mtime_ns, digest, tuple(ids))
        if isinstance(ledger, RunLedger):
            ledger.remember(record)
        yield SourceSeen(record)


def _own_id(source: Source, path: str, digest: str, ledger: Ledger) -> str:
    rel = source.rel
    depth = len(Path(rel).parts)
    root = source.path.parents[depth - 1] if depth <= len(source.path.parents) else Path(".")
    folder = root.resolve().name
    for candidate in (rel, f"{folder}/{rel}" if folder else None, f"{rel}~{digest[:8]}"):
        if candidate is None:
            continue
        owner = ledger.owner(candidate)
        if owner is None or owner == path:
            return candidate
    return f"{rel}~{digest[:16]}"

