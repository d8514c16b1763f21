"""The numbered passages a reader answers from, and how a citation maps back to an exact span."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sleuth.types import Chunk, Citation


@dataclass(frozen=True)
class Passage:
    """Context passage ``[n]`` (numbered from 1): a chunk of a document, and how well it matched."""

    n: int
    chunk: Chunk
    title: str
    score: float
    relevance: float = 0.0
    """Cosine of the question and the passage (dense), used by the filter and for abstention."""
    row: int = 0
    """The chunk's row id in the docstore (how the indexes address it)."""
    info: Any = None
    """Page, section, authors and year of the chunk (:class:`sleuth.store.papers.ChunkInfo`), when known."""


def cite(passage: Passage, start: int | None = None, end: int | None = None) -> Citation:
    """A citation of ``passage`` or of the span ``[start, end)`` of its document inside it."""
    c = passage.chunk
    a = c.start if start is None else start
    b = c.end if end is None else end
    if not c.start <= a <= b <= c.end:
        raise ValueError(f"span [{a}, {b}) is outside passage [{c.start}, {c.end})")
    info = passage.info
    extra = {} if info is None else {"page": info.page_of(a), "section": info.section, "authors": info.authors,
                                     "year": info.year}
    return Citation(passage.n, c.doc_id, c.chunk_id, a, b, passage.title, c.text[a - c.start : b - c.start], **extra)


def render(passages: list[Passage]) -> str:
    """The context block an LLM reads: ``[n] title: passage`` per line."""
    return "\n\n".join(f"[{p.n}] {p.title + ': ' if p.title else ''}{p.chunk.text}" for p in passages)
