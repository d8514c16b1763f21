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
from sleuth.rag.spans import without_citations

MIN_TERMS = 3
"""Sentences with fewer content terms are headings or fragments ("Methods.", "3.2 Training")."""

_CAPTION = re.compile(r"^\s*(table|tab\.|figure|fig\.)\s*\d+[a-z]?\s*[:.|]", re.IGNORECASE)
_YEAR = re.compile(r"(?:^|[\s(,])(?:19|20)\d\d[a-z]?\b")
_VENUE = re.compile(r"\b(?:In Proceedings|Proceedings of|Proc\.|arXiv preprint|arXiv:\d|Conference|Journal|Transactions|"
                    r"Workshop|Symposium|Press|pp\.|vol\.|doi:|https?://)", re.IGNORECASE)
_AUTHORS = re.compile(r"^\s*(?:\[\d+\]\s*)?[A-Z][\w'-]+,\s(?:[A-Z]\.\s?)+|\b[A-Z]\.\s?(?:[A-Z]\.\s?)?[A-Z][a-z]+(?:,| and)"
                      r"|^\s*(?:\[\d+\]\s*)?[A-Z][\w'-]+(?: [A-Z][\w'-]+)*, [A-Z][\w'-]+(?: [A-Z][\w'-]+)*(?:,| and)")
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
    if _is_reference(text):
        return "reference"
    tokens = _TOKEN.findall(text)
    if len(tokens) >= 4 and sum(bool(_NUMERIC.match(t)) for t in tokens) / len(tokens) >= 0.4:
        return "table"
    return "body"


_BULLET = re.compile(r"\s*(?:[•◦▪‣∙·*–-]\s|\(?\d{1,2}[.)]\s|\(?[a-z][.)]\s|\[\d+\]\s)")


def units(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that a sentence never crosses: paragraphs (blank lines), and within one, the
    breaks before a bullet or numbered item, and after a short line (a heading, a paragraph's last
    line; under 60% of the paragraph's longest line) or a line ending with ":" -- unless the line ends
    with a hyphen or the next one starts in lower case (the sentence goes on)."""
    out: list[tuple[int, int]] = []
    for para in [*re.finditer(r"(?:[^\n]|\n(?![ \t]*\n))+", text)]:
        lines = [(m.start() + para.start(), m.end() + para.start()) for m in re.finditer(r"[^\n]+", para.group())]
        if not lines:
            continue
        width = max(b - a for a, b in lines)
        start = lines[0][0]
        for (a, b), nxt in zip(lines, lines[1:] + [None]):
            if nxt is None:
                out.append((start, b))
            elif _BULLET.match(text, nxt[0]) or (
                    not text[a:b].rstrip().endswith("-") and not text[nxt[0] : nxt[0] + 1].islower()
                    and ((b - a) < 0.6 * width or text[a:b].rstrip().endswith(":"))):
                out.append((start, b))
                start = nxt[0]
    return out


def _is_reference(text: str) -> bool:
    """A bibliography entry: author names opening it, a year, a venue; two of the three. Citations in
    parentheses ("(Wang et al., 2019)") are blanked first: a body sentence may cite."""
    bare = without_citations(text)
    return sum((bool(_AUTHORS.search(bare)), bool(_YEAR.search(bare)), bool(_VENUE.search(bare)))) >= 2


_ABBREVIATION = re.compile(r"(?:\bet al|\be\.g|\bi\.e|\bcf|\bvs|\bFig|\bFigs|\bEq|\bEqs|\bSec|\bTab|\bNo|\bapprox)\.$")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` that never cross a unit boundary (:func:`units`); a cut right after an
    abbreviation ("et al. (2018)", "Fig. 3") is undone."""
    out: list[tuple[int, int]] = []
    for a, b in units(text):
        for x, y in sentence_spans(text[a:b]):
            if out and out[-1][1] >= a and _ABBREVIATION.search(text[out[-1][0] : out[-1][1]]):
                out[-1] = (out[-1][0], a + y)
            else:
                out.append((a + x, a + y))
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
