"""The indexes the embedded store derives from its docstore, registered so that ingest, delete, open, doctor and
repair loop over them: a new index kind is one class here and one line in :data:`DERIVED`.

Every derived index is rebuildable from the docstore, keyed by chunk row id, bound to the docstore
(:mod:`sleuth.store.embedded.binding`) and kept in its own folder with a checksummed manifest.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleuth.docstore.store import DocStore
from sleuth.errors import SleuthError
from sleuth.index import lexical, vectors
from sleuth.index.container import verify
from sleuth.index.manifest import read_manifest, write_manifest
from sleuth.index.vectors import verify_vector_segment
from sleuth.registry import Registry
from sleuth.store.embedded import binding
from sleuth.store.embedded.layout import LEXICAL, VECTORS

if TYPE_CHECKING:
    from sleuth.store.embedded.collection import Collection

Check = tuple[str, bool, str]
"""One line of a doctor report: (check name, ok, detail)."""


class Derived:
    """What the embedded store asks of a derived index."""

    name = ""
    """As reports and errors name it."""
    folder = ""
    """Its folder in the collection directory."""
    deferrable = False
    """Whether it may wait for a later ``sleuth index`` (``ingest(embed=False)``, an interrupted embed)."""

    def wanted(self, settings: Mapping[str, Any]) -> bool:
        """Whether a collection with these settings keeps this index."""
        return True

    def due(self, col: Collection, fresh: int) -> bool:
        """During an ingest, with ``fresh`` passages committed since this index last caught up: catch up now?"""
        raise NotImplementedError

    def flush(self, col: Collection, on_progress: Callable[[int], None] | None = None) -> None:
        """Bring the index up to date with the docstore (new passages in, deleted ones out); crash-safe."""
        raise NotImplementedError

    def verify(self, directory: Path, store: DocStore) -> list[Check]:
        """Read every file against its checksum and the manifest against the docstore (``sleuth doctor``)."""
        raise NotImplementedError

    def clear_damaged(self, directory: Path, failed: set[str]) -> str | None:
        """Before a repair's :meth:`flush`: remove what the failed checks named, and say what will be rebuilt."""
        if self.name not in failed:
            return None
        shutil.rmtree(directory / self.folder, ignore_errors=True)
        return f"rebuilt the {self.name} from the docstore"


def _bound(directory: Path, index: Derived, store: DocStore) -> str | None:
    try:
        binding.check_index(directory, index.name, index.folder, store)
    except SleuthError as exc:
        return exc.what
    return None


class Lexical(Derived):
    """BM25F segments (sleuth.index.lexical)."""

    name, folder = "lexical index", LEXICAL

    def due(self, col: Collection, fresh: int) -> bool:
        return fresh >= lexical.FLUSH_ROWS  # bounded memory, and a crash leaves a bounded tail

    def flush(self, col: Collection, on_progress: Callable[[int], None] | None = None) -> None:
        lexical.flush(col.directory / self.folder, col.store, col.analyzer)

    def verify(self, directory: Path, store: DocStore) -> list[Check]:
        lex = directory / self.folder
        try:
            problem = _bound(directory, self, store)
            if problem:
                return [(self.name, False, problem)]
            manifest = read_manifest(lex)
            if lexical.is_outdated(lex):
                return [(self.name, False, "lexical index is in an older format (searches index it in memory); "
                         "`sleuth doctor --repair` or any `sleuth index` rebuilds it")]
            fix = lexical.fix_message(lex)
            for entry in manifest["segments"]:  # every file, read in full against its checksum
                verify(lex / entry["file"], entry, fix)
                if entry.get("deletes"):
                    verify(lex / entry["deletes"]["file"], entry["deletes"], fix)
            pending = store.max_chunk_id() - int(manifest["covered"])
            detail = f"{len(manifest['segments'])} segment(s), checksums ok"
            if pending > 0:
                detail += f"; passages after id {manifest['covered']} not yet in a segment (indexed in memory on open)"
            return [(self.name, True, detail)]
        except (SleuthError, OSError) as exc:
            return [(self.name, False, getattr(exc, "what", str(exc)))]


class Vectors(Derived):
    """Dense vectors and their ANN graph (sleuth.index.vectors, sleuth.index.ann)."""

    name, folder = "vectors", VECTORS
    deferrable = True

    def wanted(self, settings: Mapping[str, Any]) -> bool:
        return settings.get("encoder", "minilm") != "none"

    def due(self, col: Collection, fresh: int) -> bool:
        return col.encoder is not None and col.unembedded() >= vectors.SEGMENT_ROWS

    def flush(self, col: Collection, on_progress: Callable[[int], None] | None = None) -> None:
        if col.encoder is not None:
            vectors.flush(col.directory / self.folder, col.store, col.encoder, on_progress)

    def verify(self, directory: Path, store: DocStore) -> list[Check]:
        vec = directory / self.folder
        try:
            problem = _bound(directory, self, store)
            if problem:
                return [(self.name, False, problem)]
            manifest = read_manifest(vec)
            for entry in manifest["segments"]:  # every file, read in full against its checksum
                verify_vector_segment(vec, entry)
            model = manifest.get("model") or {}
            pending = store.count_chunks_between(int(manifest["covered"]) + 1, 2**62)
            detail = (f"{len(manifest['segments'])} segment(s), checksums ok, "
                      f"model {model.get('id', '-')} ({model.get('checksum', '-')})")
            if pending > 0:
                detail += f"; {pending} passages are not embedded yet: run `sleuth index` to finish"
            checks = [(self.name, True, detail)]
        except (SleuthError, OSError) as exc:
            return [(self.name, False, getattr(exc, "what", str(exc)))]
        graph = manifest.get("ann")
        if graph:
            try:
                verify(vec / graph["file"], graph, "Run `sleuth doctor --repair` to rebuild the ANN graph.")
                checks.append(("ann graph", True, f"{graph['rows']} vectors, checksum ok"))
            except SleuthError as exc:
                checks.append(("ann graph", False, exc.what))
        return checks

    def clear_damaged(self, directory: Path, failed: set[str]) -> str | None:
        if self.name in failed:
            shutil.rmtree(directory / self.folder, ignore_errors=True)
            return "re-embedded every passage"
        if "ann graph" in failed:  # the vectors are fine: rebuild only the graph from them
            folder = directory / self.folder
            write_manifest(folder, {k: v for k, v in read_manifest(folder).items() if k != "ann"})
            return "rebuilt the ANN graph from the vectors"
        return None


DERIVED: Registry[Derived] = Registry("derived index")
DERIVED.add(Lexical.name, Lexical())
DERIVED.add(Vectors.name, Vectors())


def kept(settings: Mapping[str, Any]) -> Iterator[Derived]:
    """The derived indexes a collection with these settings keeps, in flush order."""
    for name in DERIVED:
        index = DERIVED.get(name)
        if index.wanted(settings):
            yield index
