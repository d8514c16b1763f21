"""Binding the derived indexes to their docstore, so they can never be served over another one.

Every derived index is keyed by chunk row id. If the docstore were replaced by a fresh one, or
rolled back (say its ``-wal`` file was deleted after a crash), new chunks would get ids the old
postings already use, and an old passage's words would find a new document. Three facts stop that:

- the docstore has an id (a random uuid written with its tables), recorded in meta.json and in
  every derived index's manifest (``"docstore"``); they must agree;
- a manifest records the highest chunk id it covers (``"covered"``); the docstore must have
  allocated at least that many ids (AUTOINCREMENT never hands out an id twice, so a smaller
  allocation means the docstore lost commits the index had seen);
- the docstore itself is never created inside an existing collection (:class:`DocStore`).

:func:`check` runs at every open, for readers and writers alike, and in ``sleuth doctor``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sleuth.errors import CollectionError
from sleuth.index.manifest import read_manifest, write_manifest
from sleuth.docstore.store import DocStore

class BindingError(CollectionError):
    """A docstore or a derived index that does not belong with the rest of the collection."""

    def __init__(self, what: str, fix: str, *, index: str | None = None) -> None:
        self.index = index  # None: the docstore itself is the stranger
        super().__init__(what, fix)


def check_docstore(directory: Path, meta: dict[str, Any], store: DocStore) -> None:
    """The docstore is the one meta.json was created with."""
    expected = meta.get("docstore_id")
    if expected is None:
        return  # format 1: no id recorded yet (the next writer records it)
    if store.id != expected:
        found = "has no id (an older or foreign file)" if store.id is None else f"has id {store.id}"
        raise BindingError(
            f"The docstore {store.path} does not belong to this collection: meta.json expects docstore "
            f"{expected}, but the file {found}. It was replaced, so the indexes beside it would attach "
            "their passages to the wrong documents.",
            f"Restore the collection's own docs.sqlite from a backup, or delete the collection (`sleuth rm --all "
            f"--collection {directory}`) and index its sources again.",
        )


def check_index(directory: Path, name: str, folder_name: str, store: DocStore) -> None:
    """The derived index ``name`` (in ``folder_name``) was built over this docstore and not beyond what it holds."""
    folder = directory / folder_name
    manifest = read_manifest(folder)
    owner = manifest.get("docstore")
    repair = f"Run `sleuth doctor --repair --collection {directory}` to rebuild it from the docstore."
    if owner is not None and store.id is not None and owner != store.id:
        raise BindingError(
            f"The {name} in {folder} was built over another docstore ({owner}, not {store.id}).", repair, index=name)
    covered, allocated = int(manifest.get("covered", 0)), store.allocated("chunks")
    if covered > allocated:
        raise BindingError(
            f"The {name} in {folder} covers passages up to id {covered}, but the docstore has only ever "
            f"allocated ids up to {allocated}: the docstore was rolled back (for example its -wal file was "
            "deleted) or replaced, and has lost documents the index had seen.",
            repair + " Documents added after the rollback point must then be indexed again.", index=name)


def check(directory: Path, meta: dict[str, Any], store: DocStore, indexes: list[tuple[str, str]]) -> None:
    """The docstore, then each derived index given as (name, folder)."""
    check_docstore(directory, meta, store)
    for name, folder in indexes:
        check_index(directory, name, folder, store)


def bind_manifests(directory: Path, store: DocStore, folders: list[str]) -> None:
    """Record the docstore id in the manifests (in ``folders``) written before it existed (writers only)."""
    for folder in folders:
        path = directory / folder
        if (path / "manifest.json").exists():
            manifest = read_manifest(path)
            if manifest.get("docstore") != store.id:
                write_manifest(path, {**manifest, "docstore": store.id})
