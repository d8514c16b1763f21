"""The server's hold on one collection: a read-only view for readers, swapped after every write."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.store.collection import Collection, IngestSummary
from sleuth.types import Answer


class CollectionState:
    """Readers share one read-only :class:`Collection`; writers open a writable one (which takes the
    collection's write lock), and afterwards readers get a freshly opened read-only view, so they see
    the new indexes. Questions are answered one at a time (the answer memory is one SQLite file)."""

    def __init__(self, directory: Path, generator: Any = None) -> None:
        self.directory = Path(directory)
        self.generator = generator
        self._swap = threading.Lock()
        self._write = threading.Lock()
        self._ask = threading.Lock()
        self._retired: list[Collection] = []
        self.col = Collection.open(self.directory, readonly=True)
        self.asker = Asker(self.col, generator)
        self.generation = 0

    def search(self, query: str, k: int, mode: str | None, where: tuple[str, ...] = ()) -> tuple[str, list[Any]]:
        col = self.col
        mode = mode or col.default_mode
        return mode, col.search(query, k, mode=mode, where=where)

    def ask(self, question: str, k: int, on_token: Any = None, where: tuple[str, ...] = ()) -> Answer:
        with self._ask:
            asker = self.asker
            # A filtered question is answered afresh: the memory holds unfiltered answers.
            wanted = replace(asker.options, k=k, where=where, memory=asker.options.memory and not where)
            saved, asker.options = asker.options, wanted
            try:
                return asker.ask(question, on_token=on_token)
            finally:
                asker.options = replace(saved, k=k)

    def document(self, doc_id: str) -> Any:
        return self.col.store.get_document(doc_id)

    def stats(self) -> dict[str, Any]:
        return self.col.stats()

    # -- writes ------------------------------------------------------------------------------

    def _writer(self) -> Collection:
        w = Collection.open(self.directory)
        w._encoder = self.col._encoder  # noqa: SLF001 - share the loaded model instead of loading it again
        return w

    def ingest(self, docs: list[Any]) -> IngestSummary:
        with self._write:
            w = self._writer()
            try:
                summary = w.ingest(docs)
            finally:
                w.close()
            self._reload()
        return summary

    def delete(self, doc_id: str) -> int:
        with self._write:
            w = self._writer()
            try:
                n = w.delete([doc_id])
            finally:
                w.close()
            self._reload()
        return n

    def _reload(self) -> None:
        fresh = Collection.open(self.directory, readonly=True)
        fresh._encoder = self.col._encoder  # noqa: SLF001
        with self._ask, self._swap:
            old, old_asker = self.col, self.asker
            self.col = fresh
            self.asker = Asker(fresh, self.generator, old_asker.options)
            self.generation += 1
        old_asker.close()
        # Readers still inside a request may hold the old view; close it only at shutdown.
        self._retired.append(old)

    def close(self) -> None:
        self.asker.close()
        for c in [*self._retired, self.col]:
            c.close()
