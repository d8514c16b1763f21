"""Candidate sentences for the extractive reader: every sentence of the context passages, and the
sentences just outside them (an answer often sits across a passage boundary), each with what kind
of block it is in.

Block kinds: ``body``, and the non-body blocks of a paper: ``caption``, ``table``, ``footnote``,
``heading`` (from ``metadata["blocks"]`` when the reader of the file recorded them) and ``reference``
(a bibliography entry). When a document carries no block list, captions ("Table 3: ...", "Figure 2.
..."), table rows (mostly numbers) and reference entries (authors, year, venue) are recognised by
their shape, so that today's plain PDF text and tomorrow's structured text are read alike.

Scoring uses a cleaned copy of each sentence (:func:`clean`: NFKC, words broken at a line end
rejoined, line breaks as spaces); citations keep the exact characters of the document.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

from sleuth.chunking.splitters import sentence_spans
from sleuth.rag.context import Passage

MIN_TERMS = 3
"""Sentences with fewer content terms are headings or fragments ("Methods.", "3.2 Training")."""

_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_CAPTION = re.compile(r"^\s*(table|tab\.|figure|fig\.)\s*\d+[a-z]?\s*[:.|]", re.IGNORECASE)
_REF_SIGNS = (
    re.compile(r"\bet al\.?"),
    re.compile(r"(?:^|[\s(,])(?:19|20)\d\d[a-z]?[.)]"),
    re.compile(r"\b(?:In Proceedings|Proceedings of|Proc\.|arXiv preprint|arXiv:\d|Conference on|Journal of|"
               r"Transactions on|pp\.|vol\.|doi:|https?://)", re.IGNORECASE),
    re.compile(r"\b[A-Z]\.\s?(?:[A-Z]\.\s?)?[A-Z][a-z]+(?:,| and)"),
)
_TOKEN = re.compile(r"\S+")
_NUMERIC = re.compile(r"^[(\[]?[-+±]?\d[\d.,%x×]*[)\]]?$")


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    start: int
    """Offsets into the document (``passage.chunk`` holds them)."""
    end: int
    text: str
    clean: str
    block: str = "body"


def clean(text: str) -> str:
    """Text for scoring: NFKC (ligatures undone), "neu-\\nral" -> "neural", whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(?<=[a-z])-\s*\n\s*(?=[a-z])", "", text)
    return " ".join(text.split())


def block_kind(text: str, start: int, blocks: list[dict] | None) -> str:
    """The block a sentence starting at ``start`` belongs to (from ``blocks``, else by its shape)."""
    if blocks:
        starts = [b.get("start", 0) for b in blocks]
        i = bisect_right(starts, start) - 1
        if i >= 0 and blocks[i].get("start", 0) <= start < blocks[i].get("end", 0):
            return str(blocks[i].get("kind", "body"))
        return "body"
    if _CAPTION.match(text):
        return "caption"
    if sum(bool(p.search(text)) for p in _REF_SIGNS) >= 2:
        return "reference"
    tokens = _TOKEN.findall(text)
    if len(tokens) >= 4 and sum(bool(_NUMERIC.match(t)) for t in tokens) / len(tokens) >= 0.4:
        return "table"
    return "body"


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` that never cross a blank line (a paragraph, page or block break)."""
    out: list[tuple[int, int]] = []
    last = 0
    for m in [*_PARAGRAPH.finditer(text), None]:
        end = m.start() if m else len(text)
        out.extend((last + a, last + b) for a, b in sentence_spans(text[last:end]))
        if m:
            last = m.end()
    return out


def passage_candidates(p: Passage, terms: object, *, only: str | None = None) -> list[Candidate]:
    """The sentences of ``p`` with at least :data:`MIN_TERMS` content terms (``terms``: text -> list).

    ``only``: ``"first"`` or ``"last"`` keeps just that sentence (a neighbour passage's side facing
    the retrieved one)."""
    base, text = p.chunk.start, p.chunk.text
    blocks = p.metadata.get("blocks") if isinstance(p.metadata.get("blocks"), list) else None
    spans = sentences(text)
    if only == "first":
        spans = spans[:1]
    elif only == "last":
        spans = spans[-1:]
    out = []
    for a, b in spans:
        s = text[a:b]
        c = clean(s)
        if len(terms(c)) >= MIN_TERMS:  # type: ignore[operator]
            out.append(Candidate(p, base + a, base + b, s, c, block_kind(s, base + a, blocks)))
    return out
