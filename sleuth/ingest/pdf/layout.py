"""Lines -> blocks -> reading order, for one page.

Blocks: consecutive lines (content-stream order) of one size that follow each other down a column
— each starts within a line's height of the last and overlaps it horizontally — form a block; a new
paragraph also starts after a short line that ends a sentence, or at a first-line indent (the
paragraph rules of pdfminer's ``LAParams`` and of pdftotext, in ems rather than points).

Reading order is a restricted XY-cut (Nagy & Seth 1984; as in PdfAct and papermage's layout): the
page's gutter is the vertical line in the middle of the page that the fewest lines cross; when both
sides hold at least six lines and fewer lines cross it than half of either side's (full-width tables
and titles do cross), or when no line at all crosses it and both sides hold two, the page has two
columns. Body blocks that cross
the gutter (titles, abstracts, full-width paragraphs) cut the page into bands; each band is read left
column then right column, top to bottom. Floats (captions, tables, figure text, footnotes) never cut a
band: they are emitted in their place but kept apart as their own blocks by the assembler, so a
full-width figure in mid-page does not reorder the columns around it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import numpy as np

from sleuth.ingest.pdf.lines import Line

_SENTENCE_END = (".", "!", "?", ":", ".”", ".\"", "?”", ".)")


@dataclass
class Block:
    lines: list[Line]
    kind: str = "body"
    """body | heading | caption | footnote | table."""
    order: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def x0(self) -> float:
        return min(ln.x0 for ln in self.lines)

    @property
    def x1(self) -> float:
        return max(ln.x1 for ln in self.lines)

    @property
    def top(self) -> float:
        return min(ln.top for ln in self.lines)

    @property
    def bottom(self) -> float:
        return max(ln.bottom for ln in self.lines)

    @property
    def size(self) -> float:
        return statistics.median(ln.size for ln in self.lines)

    @property
    def page(self) -> int:
        return self.lines[0].page

    @property
    def text(self) -> str:
        return " ".join(ln.text for ln in self.lines)

    @property
    def words(self) -> int:
        return sum(len(ln.text.split()) for ln in self.lines)


def group_blocks(lines: list[Line]) -> list[Block]:
    """Blocks of consecutive lines (see the module docstring)."""
    blocks: list[Block] = []
    for ln in lines:
        cur = blocks[-1] if blocks else None
        if cur is not None and _continues(cur, ln):
            cur.lines.append(ln)
        else:
            blocks.append(Block([ln]))
    return blocks


def _continues(block: Block, ln: Line) -> bool:
    last = block.lines[-1]
    if ln.sup_first and ln.x0 < last.x0 + 3 * ln.size:
        return False  # a footnote (or affiliation) starts at its marker
    size = max(last.size, ln.size)
    if abs(last.size - ln.size) > max(0.5, 0.12 * size) or last.bold != ln.bold and (last.bold or len(block.lines) == 1):
        return False
    gap = ln.top - last.bottom
    if gap > 0.8 * size or ln.top < last.top + 0.3 * size:
        return False
    if ln.x0 >= block.x1 or ln.x1 <= block.x0:
        return False
    left = min(x.x0 for x in block.lines)
    right = max(x.x1 for x in block.lines)
    ends = last.text.rstrip().endswith(_SENTENCE_END)
    if ends and last.x1 < right - 2 * size and len(block.lines) > 1:
        return False  # a short last line ending a sentence: the paragraph is over
    indent = ln.x0 - left
    return not (ends and 0.7 * size < indent < 4 * size and ln.x1 >= right - size)


def gutter(lines: list[Line], width: float) -> float | None:
    """The x of the page's column gutter, or None for a one-column page (see the module docstring)."""
    body = [ln for ln in lines if not ln.rotated and ln.width > 0.15 * width]
    if len(body) < 4:
        return None
    x0 = np.array([ln.x0 for ln in body])[:, None]
    x1 = np.array([ln.x1 for ln in body])[:, None]
    xs = np.arange(int(width * 0.3), int(width * 0.7), 2, dtype=np.float64)
    crossing = ((x0 < xs - 1) & (x1 > xs + 1)).sum(axis=0)
    best = int(crossing.min())
    # The middle of the widest run of positions with that count.
    at = np.flatnonzero(crossing == best)
    runs = np.split(at, np.flatnonzero(np.diff(at) > 1) + 1)
    run = max(runs, key=len)
    g = float((xs[run[0]] + xs[run[-1]]) / 2)
    left = int((x1 <= g).sum())
    right = int((x0 >= g).sum())
    if best == 0 and left >= 2 and right >= 2:  # a sparse page, but nothing crosses: still two columns
        return g
    if best > 0.5 * min(left, right) or left < 6 or right < 6:
        return None
    return g


def reading_order(blocks: list[Block], gutter_x: float | None) -> list[Block]:
    """``blocks`` in reading order (see the module docstring)."""
    by_top = sorted(blocks, key=lambda b: (b.top, b.x0))
    if gutter_x is None:
        return by_top
    out: list[Block] = []
    left: list[Block] = []
    right: list[Block] = []

    def flush() -> None:
        out.extend(sorted(left, key=lambda b: b.top))
        out.extend(sorted(right, key=lambda b: b.top))
        left.clear()
        right.clear()

    for b in by_top:
        if b.x1 <= gutter_x + 2:
            left.append(b)
        elif b.x0 >= gutter_x - 2:
            right.append(b)
        elif b.kind in ("body", "heading"):
            flush()
            out.append(b)
        else:
            (left if (b.x0 + b.x1) / 2 < gutter_x else right).append(b)
    flush()
    return out
