"""Health checks of a collection directory, and repair from the docstore.

The docstore is the source of truth; the lexical segments and the vectors are derived from it, so
damage to them is repaired by rebuilding them (re-embedding, for vectors). meta.json is restored
from the copy the docstore keeps. Damaged document rows are named; repair removes them so that
indexing their sources again restores them. A docstore that is missing, empty, replaced or broken
at the page level cannot be repaired from anything: repair refuses rather than turn a lost docstore
into an empty "healthy" collection.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import CollectionError, SleuthError
from sleuth.store.embedded import binding
from sleuth.store.embedded.derived import kept
from sleuth.docstore.store import DocStore
from sleuth.store.embedded.layout import DOCSTORE
from sleuth.store.embedded.lock import WriteLock
from sleuth.store.embedded.meta import check_meta, checksum, immutable_part, read_meta, save_meta
from sleuth.docstore.sqlite import sqlite_uri

SHOWN = 10  # damaged rows named in a report


@dataclass
class Report:
    checks: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    """What ``repair`` did, in order."""

    def add(self, name: str, ok: bool, detail: str, **extra: Any) -> None:
        self.checks.append({"check": name, "ok": ok, "detail": detail, **extra})

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks)

    def failed(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.checks if c["check"] == name and not c["ok"]), None)


def diagnose(directory: Path) -> Report:
    """Check meta.json, the docstore (pages, identity, every row's checksums) and every derived index."""
    report = Report()
    meta = _check_meta(directory, report)
    store = _check_docstore(directory, meta, report)
    if store is None:
        return report
    try:
        settings = (meta or store.meta_copy() or {}).get("settings", {})
        for index in kept(settings):
            for name, ok, detail in index.verify(directory, store):
                report.add(name, ok, detail)
    finally:
        store.close()
    return report


def _check_meta(directory: Path, report: Report) -> dict[str, Any] | None:
    try:
        meta = read_meta(directory)
    except SleuthError as exc:
        report.add("meta.json", False, str(exc))
        return None
    report.add("meta.json", True, f"format version {meta['format_version']}, checksum and settings ok")
    return meta


def _check_docstore(directory: Path, meta: dict[str, Any] | None, report: Report) -> DocStore | None:
    path = directory / DOCSTORE
    try:
        store = DocStore(path, readonly=True)
    except SleuthError as exc:
        report.add("docstore", False, exc.what, lost=True)
        return None
    try:
        db = sqlite3.connect(sqlite_uri(path, "ro"), uri=True)
        try:
            verdict = "; ".join(r[0] for r in db.execute("PRAGMA integrity_check(20)"))
        finally:
            db.close()
        if meta is not None:
            binding.check_docstore(directory, meta, store)
        copy_differs = meta is not None and not store.legacy and not _copy_agrees(store.meta_copy(), meta)
        damaged = store.damaged()
        docs, chunks = store.count_documents(), store.count_chunks()
    except (SleuthError, sqlite3.Error) as exc:
        report.add("docstore", False, f"{path} cannot be read: {exc}", lost=True)
        store.close()
        return None
    if verdict != "ok":
        report.add("docstore", False, f"{docs} documents, {chunks} passages; integrity: {verdict}", lost=True)
        return store
    if damaged:
        names = "; ".join(what for what, *_ in damaged[:SHOWN]) + ("; ..." if len(damaged) > SHOWN else "")
        report.add("docstore", False, f"{len(damaged)} damaged row(s) (checksum mismatch): {names}",
                   damaged=[{"row": what, "doc_id": doc, "source": src} for what, _, doc, src in damaged])
        return store
    if copy_differs:
        report.add("docstore", False, "its copy of meta.json differs from meta.json (a damaged row)", copy=True)
        return store
    checked = "row checksums ok" if not store.legacy else "rows written before checksums (not checked)"
    report.add("docstore", True, f"{docs} documents, {chunks} passages; integrity: ok; {checked}")
    return store


def _copy_agrees(copy: dict[str, Any] | None, meta: dict[str, Any]) -> bool:
    keys = ("format", "format_version", "created", "settings", "docstore_id")
    return copy is not None and all(copy.get(k) == meta.get(k) for k in keys)


def repair(directory: Path) -> Report:
    """Restore meta.json, remove damaged document rows and rebuild damaged derived indexes (under the
    write lock), then diagnose again. Refuses when the docstore itself is lost or broken."""
    from sleuth.store.embedded.collection import Collection

    before = diagnose(directory)
    lost = before.failed("docstore")
    if lost and lost.get("lost"):
        raise CollectionError(
            f"Cannot repair {directory}: the docstore, the source of truth for every document, is lost or "
            f"broken ({lost['detail']}). Rebuilding the indexes from it would turn the collection into an empty "
            "or wrong one.",
            "Restore docs.sqlite from a backup, or delete the collection (`sleuth rm --all`) and index its sources "
            "again.",
        )
    actions: list[str] = []
    with WriteLock(directory):
        if before.failed("meta.json"):
            actions.append(_restore_meta(directory))
        col = Collection(directory, read_meta(directory), readonly=False, bind=False)
        try:
            failed = before.failed("docstore")
            if failed and failed.get("copy"):
                col.store.set_meta_copy(immutable_part(col.meta))
                actions.append("rewrote the docstore's copy of meta.json from meta.json")
            elif failed:
                actions.append(_remove_damaged(col.store, failed))
            col._bind_manifests(locked=True)  # noqa: SLF001 - a format-1 collection is bound as it is repaired
            failed_checks = {c["check"] for c in before.checks if not c["ok"]}
            for index in kept(col.settings.to_dict()):
                if action := index.clear_damaged(directory, failed_checks):
                    actions.append(action)
                index.flush(col)
        finally:
            col.close()
    after = diagnose(directory)
    after.actions = actions
    return after


def _restore_meta(directory: Path) -> str:
    store = DocStore(directory / DOCSTORE, readonly=True)
    try:
        copy = store.meta_copy()
    finally:
        store.close()
    if copy is None:
        raise CollectionError(
            f"Cannot repair {directory / 'meta.json'}: this docstore was written before sleuth kept a copy of it.",
            "Restore meta.json from a backup, or re-create the collection and index its sources again.",
        )
    save_meta(directory, check_meta(directory, {**copy, "checksum": checksum(copy)}))
    return "restored meta.json from the docstore's copy (models chosen by `sleuth tune`, if any, are forgotten)"


def _remove_damaged(store: DocStore, check: dict[str, Any]) -> str:
    rows = sorted({r for _, r, _, _ in store.damaged() if r is not None})
    named = sorted({(d["doc_id"], d["source"]) for d in check.get("damaged", []) if d["doc_id"]})
    store.delete_rows(rows)
    orphans = store.db.execute("SELECT count(*) FROM chunks WHERE doc NOT IN (SELECT id FROM documents)").fetchone()[0]
    if orphans:
        with store.db as db:
            db.execute("DELETE FROM chunks WHERE doc NOT IN (SELECT id FROM documents)")
    listed = ", ".join(f"{d!r} ({s})" if s else repr(d) for d, s in named[:SHOWN])
    return (f"removed {len(rows)} damaged document(s) {listed}{' ...' if len(named) > SHOWN else ''}"
            f"{f' and {orphans} orphaned passage(s)' if orphans else ''}; index their sources again to restore them")
