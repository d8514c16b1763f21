"""Health checks of a collection directory, and repair of the derived indexes from the docstore.

The docstore is the source of truth; the lexical segments and the vectors are derived from it, so
any damage to them is repaired by rebuilding them (re-embedding, for vectors). Damage to the
docstore itself can only be reported.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import SleuthError
from sleuth.index import lexical, vectors
from sleuth.index.container import verify
from sleuth.index.manifest import read_manifest, write_manifest
from sleuth.index.vectors import verify_vector_segment
from sleuth.store.lock import WriteLock
from sleuth.store.meta import read_meta


@dataclass
class Report:
    checks: list[dict[str, Any]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append({"check": name, "ok": ok, "detail": detail})

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks)


def diagnose(directory: Path) -> Report:
    """Check meta.json, the docstore's integrity, and the checksum of every index file (each named when damaged)."""
    from sleuth.store.collection import DOCSTORE, LEXICAL, VECTORS  # the collection module imports this one's users

    report = Report()
    try:
        meta = read_meta(directory)
        report.add("meta.json", True, f"format version {meta['format_version']}")
    except SleuthError as exc:
        report.add("meta.json", False, str(exc))
        return report
    max_chunk = 0
    try:
        db = sqlite3.connect(f"file:{directory / DOCSTORE}?mode=ro", uri=True)
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        docs, chunks = db.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)").fetchone()
        max_chunk = db.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0]
        db.close()
        report.add("docstore", verdict == "ok", f"{docs} documents, {chunks} passages; integrity: {verdict}")
    except sqlite3.DatabaseError as exc:
        report.add("docstore", False, f"{directory / DOCSTORE} cannot be read: {exc}")
        return report
    lex = directory / LEXICAL
    try:
        manifest = read_manifest(lex)
        if lexical.is_outdated(lex):
            raise SleuthError("lexical index is in an older format (searches index it in memory)",
                              "Run `sleuth doctor --repair` or any `sleuth index` to rebuild it.")
        fix = lexical.fix_message(lex)
        for entry in manifest["segments"]:  # every file, read in full against its checksum
            verify(lex / entry["file"], entry, fix)
            if entry.get("deletes"):
                verify(lex / entry["deletes"]["file"], entry["deletes"], fix)
        pending = max_chunk - int(manifest["covered"])
        detail = f"{len(manifest['segments'])} segment(s), checksums ok"
        if pending > 0:
            detail += f"; passages after id {manifest['covered']} not yet in a segment (indexed in memory on open)"
        report.add("lexical index", True, detail)
    except SleuthError as exc:
        report.add("lexical index", False, exc.what)
    if meta["settings"].get("encoder", "minilm") == "none":
        return report
    vec = directory / VECTORS
    try:
        manifest = read_manifest(vec)
        for entry in manifest["segments"]:  # every file, read in full against its checksum
            verify_vector_segment(vec, entry)
        model = manifest.get("model") or {}
        detail = f"{len(manifest['segments'])} segment(s), checksums ok, model {model.get('id', '-')} ({model.get('checksum', '-')})"
        pending = _count(directory / DOCSTORE, "SELECT count(*) FROM chunks WHERE id > ?", int(manifest["covered"]))
        if pending > 0:
            detail += f"; {pending} passages are not embedded yet: run `sleuth index` to finish"
        report.add("vectors", True, detail)
    except SleuthError as exc:
        report.add("vectors", False, exc.what)
        return report
    if manifest.get("ann"):
        graph = manifest["ann"]
        try:
            verify(vec / graph["file"], graph, "Run `sleuth doctor --repair` to rebuild the ANN graph.")
            report.add("ann graph", True, f"{graph['rows']} vectors, checksum ok")
        except SleuthError as exc:
            report.add("ann graph", False, exc.what)
    return report


def _count(db_path: Path, sql: str, *args: object) -> int:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return int(db.execute(sql, args).fetchone()[0])
    finally:
        db.close()


def repair(directory: Path) -> Report:
    """Rebuild every damaged derived index from the docstore (under the write lock), then diagnose again."""
    from sleuth.store.collection import LEXICAL, VECTORS, Collection

    broken = {c["check"] for c in diagnose(directory).checks if not c["ok"]}
    with Collection.open(directory) as col, WriteLock(directory):
        if "lexical index" in broken:
            shutil.rmtree(directory / LEXICAL, ignore_errors=True)
            lexical.flush(directory / LEXICAL, col.store, col.analyzer)
        if col.encoder is not None:
            if "vectors" in broken:
                shutil.rmtree(directory / VECTORS, ignore_errors=True)
            elif "ann graph" in broken:  # the vectors are fine: rebuild only the graph from them
                manifest = {k: v for k, v in read_manifest(directory / VECTORS).items() if k != "ann"}
                write_manifest(directory / VECTORS, manifest)
            vectors.flush(directory / VECTORS, col.store, col.encoder)
    return diagnose(directory)
