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
    page: int | None = None
    """1-based page where the passage starts (documents with pages: PDFs)."""
    section: str = ""
    """Title of the section the passage is in, when the document has sections."""
    authors: tuple[str, ...] = ()
    year: int | None = None

    def to_json(self) -> dict[str, object]:
        """The hit as ``sleuth search --json`` and ``GET /api/search`` give it (one shape for both)."""
        c = self.chunk
        return {
            "rank": self.rank, "doc_id": self.doc_id, "score": round(self.score, 6), "title": self.title,
            "snippet": self.snippet, "highlights": [list(x) for x in self.highlights],
            "passage": None if c is None else {"chunk_id": c.chunk_id, "start": c.start, "end": c.end},
            "authors": list(self.authors), "year": self.year, "section": self.section or None, "page": self.page,
        }


Ranking = dict[str, list[Hit]]
"""query id -> hits, best first."""


@dataclass(frozen=True)
class Citation:
    """A numbered context passage an answer cites: ``[n]`` in the text -> an exact document span."""

    n: int
    doc_id: str
    chunk_id: str
    start: int
    end: int
    title: str = ""
    quote: str = ""
    """The cited characters: ``document.text[start:end]``."""
    page: int | None = None
    """1-based page where the cited span starts (documents with pages: PDFs)."""
    section: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citations: tuple[int, ...]
    supported: bool
    support: float
    """How strongly the cited passages support the sentence (0..1; see :mod:`sleuth.rag.support`)."""
    span: tuple[int, int] | None = None
    """The answer inside the sentence (the number, the name, the reason), as offsets into ``text``."""


@dataclass(frozen=True)
class Abstention:
    """Why an answer declined, and what came closest."""

    reason: str
    """``low-relevance`` (no passage close enough), ``not-mentioned`` (no retrieved document names what
    the question names), ``no-passages`` or ``reader`` (the reader found nothing to say)."""
    message: str
    best_relevance: float | None = None
    threshold: float | None = None
    closest: Citation | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    sentences: tuple[AnswerSentence, ...] = ()
    abstained: bool = False
    reader: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    from_memory: bool = False
    memory_question: str = ""
    """When served from memory: the earlier question whose answer this is."""
    rejected_citations: tuple[int, ...] = ()
    """[n] markers the generator wrote that pointed at no context passage (removed from the text)."""
    abstention: Abstention | None = None
    """When ``abstained``: why, and the closest passage."""
    form: str = "sentences"
    """``sentences`` (text is the cited sentences) or ``table`` (text is a Markdown table, one row per
    cited document; a comparing question)."""
