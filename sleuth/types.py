"""The data contract every stage reads and writes.

Ids are strings; scores: higher is better; ranks start at 0. A chunk's ``start``/``end`` are
character offsets into its document's ``text`` so that a citation can point at an exact span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A document as ingested: BEIR-shaped (id, title, text) plus where it came from."""

    doc_id: str
    text: str
    title: str = ""
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: ``text == document.text[start:end]``."""

    doc_id: str
    start: int
    end: int
    text: str
    chunk_id: str = ""


@dataclass(frozen=True)
class Query:
    query_id: str
    text: str


@dataclass(frozen=True)
class Hit:
    """One ranked result. ``chunk`` is the best-scoring passage of the document, when known."""

    doc_id: str
    score: float
    rank: int
    chunk: Chunk | None = None
    title: str = ""
    snippet: str = ""
    highlights: tuple[tuple[int, int], ...] = ()
    """Character ranges of matched words inside ``snippet``."""


Ranking = dict[str, list[Hit]]
"""query id -> hits, best first."""
