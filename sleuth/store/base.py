"""What every storage engine offers: search over its passages, ingest summaries, and the checks they share.

An engine (the embedded directory in :mod:`sleuth.store.embedded`, Milvus in :mod:`sleuth.store.milvus`)
subclasses :class:`Searchable` and declares what it can do in ``capabilities``; a verb that needs a capability the
engine lacks says so through :meth:`Searchable.require`, before doing anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sleuth.config import Settings
from sleuth.errors import ConfigError, InputError
from sleuth.rerank.cross_encoder import CrossEncoder
from sleuth.retrieve import get_pipeline
from sleuth.text import Analyzer
from sleuth.text.highlight import snippet
from sleuth.types import Document, Hit

MAX_QUERY_CHARS = 10_000

CAPABILITIES = {
    "where": "metadata filters (--where)",
    "passage-info": "pages, sections, authors and years on hits",
    "term-statistics": "query expansion without a generator (ask --rewrite)",
    "tune": "sleuth tune (trained models stored with the collection)",
    "import-vectors": "importing precomputed vectors (index --vectors)",
    "passages": "rankings of passages, several per document, for reading answers",
    "abstention": "an abstention threshold calibrated and stored with the collection",
    "sources": "a ledger of the files already indexed (unchanged files are skipped before they are read)",
    "documents": "the documents' full records (sleuth ls, show, meta, cite, synth)",
}
"""Capability name -> what it enables, as an error message names it."""


def default_collection() -> Path:
    """``$SLEUTH_COLLECTION``, else ``$SLEUTH_HOME/default``, else ``~/.sleuth/default``."""
    if os.environ.get("SLEUTH_COLLECTION"):
        return Path(os.environ["SLEUTH_COLLECTION"]).expanduser()
    return Path(os.environ.get("SLEUTH_HOME", "~/.sleuth")).expanduser() / "default"



@dataclass
class Failure:
    source: str
    line: int | None
    reason: str
    empty: bool = False
    """An empty input: reported, but nothing was wrong with it."""


@dataclass
class IngestSummary:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    failed: list[Failure] = field(default_factory=list)
    chunks: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added, "updated": self.updated, "skipped": self.skipped,
            "failed": len(self.failed), "chunks": self.chunks,
            "failures": [{"source": f.source, "line": f.line, "reason": f.reason} for f in self.failed],
        }


S = TypeVar("S", bound="Searchable")


class Searchable:
    """``search`` over any collection: the embedded one here, or :class:`sleuth.store.milvus.collection.MilvusCollection`.

    A subclass provides ``store`` (``get_chunks``), ``analyzer``, ``default_mode``, ``engine`` (its name
    in messages), ``capabilities`` (names from :data:`CAPABILITIES`) and whatever the pipelines read
    (``lexical``, ``dense``).
    """

    store: Any
    analyzer: Analyzer
    engine: str = "this engine"
    capabilities: frozenset[str] = frozenset()

    def require(self, capability: str, fix: str) -> None:
        """Refuse, with ``fix`` as the way out, when this engine lacks ``capability``."""
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {capability!r}")
        if capability not in self.capabilities:
            raise ConfigError(f"{self.engine[0].upper()}{self.engine[1:]} does not offer {CAPABILITIES[capability]}.", fix)

    @property
    def default_mode(self) -> str:
        raise NotImplementedError

    @property
    def tuned(self) -> dict[str, Any]:
        """What ``sleuth tune`` adopted (only the embedded store can be tuned)."""
        return {}

    @property
    def reranker(self) -> CrossEncoder | None:
        return None

    def close(self) -> None:
        raise NotImplementedError

    def unembedded(self) -> int:
        """Live passages without a vector yet; none for an engine that embeds passages as it writes them."""
        return 0

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search(self, query: str, k: int = 10, *, mode: str | None = None, snippets: bool = True,
               where: Iterable[str] = ()) -> list[Hit]:
        """The ``k`` best documents for ``query``, each with its best passage and a highlighted snippet.

        ``mode`` names a pipeline (see :data:`sleuth.retrieve.PIPELINES`); default :attr:`default_mode`.
        ``where`` holds metadata filters (``year>=2020``, ``author:Karpukhin``; see
        :mod:`sleuth.docstore.where`): only documents that pass them are ranked.
        """
        check_query(query)
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}.", "Pass -k 10, for example.")
        pipe = get_pipeline(mode or self.default_mode)
        ranked = self.ranked(lambda depth: pipe(self, query, depth), k, where)  # type: ignore[arg-type]
        if not snippets:
            return [Hit(doc_id, float(score), rank) for rank, (doc_id, score, _) in enumerate(ranked)]
        # One look-up for all passages: a round trip each would dominate a remote store's latency.
        chunks = self.store.get_chunks([int(c) for _, _, c in ranked])
        info = self.store.chunk_info(chunks) if "passage-info" in self.capabilities else {}
        hits = []
        for rank, (doc_id, score, chunk_id) in enumerate(ranked):
            found = chunks.get(int(chunk_id))
            if found is None:  # deleted by a writer since this index was loaded
                continue
            chunk, title = found
            text, marks = snippet(chunk.text, query, self.analyzer)
            ci = info.get(int(chunk_id))
            extra = {} if ci is None else {"page": ci.page, "section": ci.section, "authors": ci.authors, "year": ci.year}
            hits.append(Hit(doc_id, float(score), rank, chunk, title, text, marks, **extra))
        return hits

    def ranked(self, run: Callable[[int], list[tuple[str, float, int]]], k: int,
               where: Iterable[str] = ()) -> list[tuple[str, float, int]]:
        """``run(k)``, or with ``where`` filters the first ``k`` results that pass them."""
        from sleuth.docstore.where import filtered, parse_where

        conditions = parse_where(where)
        if not conditions:
            return run(k)
        self.require("where", "Drop --where, or search an embedded collection.")
        return filtered(run, k, self.store.matching(conditions), self.store.count_documents())


def batch_documents(items: Iterable[Any], batch_size: int, pending: dict[str, Document], commit: Callable[[], None],
                    other: Callable[[Any], None], on_item: Callable[[Any], None] | None = None) -> None:
    """Gather the Documents of ``items`` in ``pending`` and ``commit()`` every ``batch_size`` distinct ids, and
    before an id already pending (so a later copy of a document replaces the earlier one, in order); anything
    else (a rejected record, a ledger entry) goes to ``other``; ``on_item`` sees every item once handled. The
    caller commits the last, partial batch."""
    for item in items:
        if isinstance(item, Document):
            if item.doc_id in pending:
                commit()
            pending[item.doc_id] = item
            if len(pending) >= batch_size:
                commit()
        else:
            other(item)
        if on_item is not None:
            on_item(item)


def document_spans(doc: Document, settings: Settings) -> list[tuple[int, int]]:
    """The passages of ``doc`` as character spans; empty when it has neither text nor title."""
    from sleuth.chunking import chunk_document  # writers only: a search does not import the chunkers

    spans = chunk_document(doc.text, doc.metadata, settings.chunker, settings.chunk_size, settings.chunk_overlap)
    if not spans and doc.title.strip():
        spans = [(0, 0)]  # a title-only document: one empty passage, found through its title
    return spans


def check_query(query: str) -> None:
    if not isinstance(query, str) or not query.strip():
        raise InputError("The query is empty.", "Type some words to search for.")
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(
            f"The query is {len(query):,} characters long; the limit is {MAX_QUERY_CHARS:,}.",
            "Shorten it to the words that matter.",
        )
