"""The server's hold on one collection: a read-only *view* for readers, replaced after every write.

A view is an opened read-only :class:`Collection` with its indexes already loaded, and the
:class:`Asker` over it. Requests borrow the current view (:meth:`CollectionState.view`) and give it
back when they finish; a replaced view is closed as soon as the last request using it returns, so
memory does not grow with the number of writes.

A view is replaced when this server writes (at once, before the write returns), and when anyone
else does — a ``sleuth index`` in a terminal — which the server notices by comparing, at most every
``FRESHNESS_S`` seconds, the docstore's write generation and the index manifests' file stamps with
those its view was loaded from. The new view is loaded by one thread while the others keep serving
the old one, so a reload is done once and never stalls readers. Questions are answered one at a
time (the answer memory is one SQLite file).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.server.malloc import limit_arenas, release_free_memory
from sleuth.store.base import IngestSummary
from sleuth.store.embedded.collection import Collection
from sleuth.store.embedded.layout import LEXICAL, VECTORS
from sleuth.store.embedded.meta import META
from sleuth.types import Answer

FRESHNESS_S = 0.25


class View:
    """One loaded read-only collection, its asker, and how many requests are using it."""

    def __init__(self, col: Collection, asker: Asker, stamp: tuple[Any, ...]) -> None:
        self.col, self.asker, self.stamp = col, asker, stamp
        self.users = 0
        self.retired = False

    def close(self) -> None:
        self.asker.close()
        self.col.close()
        release_free_memory()


class CollectionState:
    def __init__(self, directory: Path, generator: Any = None) -> None:
        limit_arenas()
        self.directory = Path(directory)
        self.generator = generator
        self._lock = threading.Lock()  # guards _view, users counts and retirement
        self._reload_lock = threading.Lock()  # one reload at a time
        self._write = threading.Lock()
        self._ask = threading.Lock()
        self._options = AskOptions()
        self._checked = 0.0
        self._view = self._load(None)
        self.generation = 0

    # -- views ---------------------------------------------------------------------------------

    def _stamp(self, col: Collection) -> tuple[Any, ...]:
        """What changes when anyone commits: the docstore's write generation, the manifests and meta.json."""
        files = []
        for name in (f"{LEXICAL}/manifest.json", f"{VECTORS}/manifest.json", META):
            try:
                st = os.stat(self.directory / name)
                files.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except FileNotFoundError:
                files.append(None)
        return (col.store.generation(), *files)

    def _load(self, old: View | None) -> View:
        col = Collection.open(self.directory, readonly=True)
        try:
            if old is not None:
                col._encoder = old.col._encoder  # noqa: SLF001 - share the loaded model, do not load it again
            stamp = self._stamp(col)
            col.lexical  # noqa: B018 - loaded here, once, not by the first requests racing for it
            if col.settings.encoder != "none":
                col.dense  # noqa: B018
            return View(col, Asker(col, self.generator, self._options), stamp)
        except BaseException:
            col.close()
            raise

    @property
    def col(self) -> Collection:
        """The current view's collection (for code that only reads counts)."""
        return self._view.col

    @contextmanager
    def view(self) -> Iterator[View]:
        """Borrow the current view for one request."""
        self._maybe_reload()
        with self._lock:
            v = self._view
            v.users += 1
        try:
            yield v
        finally:
            with self._lock:
                v.users -= 1
                done = v.retired and v.users == 0
            if done:
                v.close()

    def _maybe_reload(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < FRESHNESS_S:
            return
        if not self._reload_lock.acquire(blocking=force):
            return  # another thread is reloading; keep serving the current view meanwhile
        try:
            self._checked = time.monotonic()
            current = self._view
            if not force and self._stamp(current.col) == current.stamp:
                return
            fresh = self._load(current)
            with self._lock:
                old, self._view = self._view, fresh
                old.retired = True
                done = old.users == 0
                self.generation += 1
            if done:
                old.close()
        finally:
            self._reload_lock.release()

    # -- reads ---------------------------------------------------------------------------------

    def search(self, query: str, k: int, mode: str | None, where: tuple[str, ...] = ()) -> tuple[str, list[Any]]:
        with self.view() as v:
            mode = mode or v.col.default_mode
            return mode, v.col.search(query, k, mode=mode, where=where)

    def ask(self, question: str, k: int, on_token: Any = None, where: tuple[str, ...] = ()) -> Answer:
        with self.view() as v, self._ask:
            asker = v.asker
            # A filtered question is answered afresh: the memory holds unfiltered answers.
            saved = replace(asker.options, k=k)
            asker.options = replace(saved, where=where, memory=saved.memory and not where) if where else saved
            try:
                return asker.ask(question, on_token=on_token)
            finally:
                asker.options = saved

    def document(self, doc_id: str) -> Any:
        with self.view() as v:
            return v.col.store.get_document(doc_id)

    def stats(self) -> dict[str, Any]:
        with self.view() as v:
            return v.col.stats()

    def count_documents(self) -> int:
        with self.view() as v:
            return v.col.store.count_documents()

    # -- writes ------------------------------------------------------------------------------

    def _writer(self) -> Collection:
        w = Collection.open(self.directory)
        w._encoder = self._view.col._encoder  # noqa: SLF001 - share the loaded model instead of loading it again
        return w

    def ingest(self, docs: list[Any]) -> IngestSummary:
        with self._write:
            w = self._writer()
            try:
                summary = w.ingest(docs)
            finally:
                w.close()
            self._maybe_reload(force=True)
        return summary

    def delete(self, doc_id: str) -> int:
        with self._write:
            w = self._writer()
            try:
                n = w.delete([doc_id])
            finally:
                w.close()
            self._maybe_reload(force=True)
        return n

    def close(self) -> None:
        with self._lock:
            self._view.close()
