"""The numbered passages a reader answers from, and how a citation maps back to an exact span."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sleuth.ingest.structure import page_at, section_label_at
from sleuth.docstore.papers import authors_of, year_of
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
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The document's metadata (pages, sections, blocks), shared, not copied."""
    neighbour: bool = False
    """A passage next to a retrieved one, added so that an answer across the boundary can be read."""

    @property
    def page(self) -> int | None:
        return page_at(self.metadata, self.chunk.start)

    @property
    def section(self) -> str:
        return section_label_at(self.metadata, self.chunk.start) or ""


def cite(passage: Passage, start: int | None = None, end: int | None = None) -> Citation:
    """A citation of ``passage`` or of the span ``[start, end)`` of its document inside it."""
    c = passage.chunk
    a = c.start if start is None else start
    b = c.end if end is None else end
    if not c.start <= a <= b <= c.end:
        raise ValueError(f"span [{a}, {b}) is outside passage [{c.start}, {c.end})")
    md = passage.metadata
    return Citation(passage.n, c.doc_id, c.chunk_id, a, b, passage.title, c.text[a - c.start : b - c.start],
                    page_at(md, a), section_label_at(md, a) or "", tuple(authors_of(md)), year_of(md))


def label(p: Passage) -> str:
    """Where a passage is: ``title · §section · p. 6`` (the parts that are known)."""
    parts = [p.title] if p.title else []
    if p.section:
        parts.append(f"§{p.section}")
    if p.page:
        parts.append(f"p. {p.page}")
    return " · ".join(parts)


def render(passages: list[Passage]) -> str:
    """The context block an LLM reads: ``[n] title · §section · p. N: passage`` per passage."""
    return "\n\n".join(f"[{p.n}] {label(p) + ': ' if label(p) else ''}{p.chunk.text}" for p in passages)
