"""Blocks -> kinds -> one text with sections, non-body blocks and page offsets.

Kinds, from font statistics and position (the document's body size is the most common size of its
characters):
- ``caption``: starts "Figure 3:", "Table 2.", "Fig. 1" ...;
- ``heading``: at most three short lines, not ending a sentence, numbered ("3.2 Results",
  "A Appendix") or set apart by weight, size or capitals; its level is the numbering depth, or for an
  unnumbered heading 1 when it is as large as the largest headings;
- ``footnote``: smaller than the body, in the lower part of the page, starting with a marker or at the
  foot of the page;
- ``table``: other text smaller than the body (tables, figure labels); its rows stay separate lines;
- ``body``: the rest.

Assembly walks the pages' blocks in reading order. Body lines are reflowed into one paragraph (line-end
hyphenation undone by :func:`clean.join_hyphenated`); a paragraph left open at a column or page
break (no sentence end) continues with the next body block, and the floats met meanwhile (captions,
footnotes, tables) wait until it closes, so they never cut a body sentence. The reference list (after a
"References" heading, up to the next heading) is handed back as lines, not emitted, unless asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sleuth.ingest.pdf.clean import Vocabulary, ends_hyphenated, join_hyphenated, normalize
from sleuth.ingest.pdf.layout import Block
from sleuth.ingest.pdf.lines import SOFT_HYPHEN, Line

CAPTION = re.compile(r"^(?:fig(?:ure)?|table|tab|algorithm|listing|scheme|chart)\.?\s*[A-Z]?\d+[a-z]?\s*[.:|]", re.I)
NUMBERED = re.compile(r"^(?:((?:\d{1,2}|[A-Z])(?:\.\d{1,2}){0,3})\.?|(?:appendix|section)\s+([A-Z\d]+)[.:]?|[IVX]{1,5}\.)\s+(\S.*)$",
                      re.I)
_KNOWN = {"abstract", "introduction", "related work", "references", "bibliography", "acknowledgments",
          "acknowledgements", "acknowledgment", "acknowledgement", "conclusion", "conclusions", "appendix",
          "discussion", "results", "methods", "background", "limitations", "literature cited", "works cited"}
REFERENCES = re.compile(r"^(?:\d+\.?\s*)?(?:references?|bibliography|literature cited|works cited|cited literature)$",
                        re.I)
_ENDS = (".", "!", "?", ":", ".”", ".\"", "?”", ".)", ";")


@dataclass
class Assembled:
    text: str
    page_offsets: list[int]
    sections: list[dict[str, Any]]
    blocks: list[dict[str, Any]]
    references: list[Line] = field(default_factory=list)
    page_runs: list[list[int]] = field(default_factory=list)

    def out_of_page_order(self) -> bool:
        """Whether some text comes after a later page's (a float or footnote set after a paragraph that
        runs onto the next page): then ``page_runs``, not ``page_offsets``, says which page text is on."""
        return any(b[1] < a[1] for a, b in zip(self.page_runs, self.page_runs[1:]))


def heading_parts(text: str) -> tuple[str, int | None]:
    """A heading's title without its number, and its numbering depth (None when unnumbered)."""
    number, title = heading_number(text)
    return title, (number.count(".") + 1 if number else None)


def heading_number(text: str) -> tuple[str, str]:
    """("3.2", "Results") for "3.2 Results"; ("", text) for an unnumbered heading."""
    m = NUMBERED.match(text)
    if m and (m.group(1) or m.group(2) or text[:1] in "IVX"):
        number = m.group(1) or m.group(2) or text.split()[0].rstrip(".")
        return number, m.group(3).strip()
    return "", text.strip()


def classify(block: Block, body_size: float, page_height: float, cells: set[int], line_width: float) -> str:
    """The block's kind; ``cells`` holds the ids of lines that share their baseline with a nearby
    short line (table cells), which are never headings; ``line_width`` is the page's usual width of a
    body line (a heading's last line is shorter)."""
    first = block.lines[0].text.strip()
    text = block.text.strip()
    small = block.size < 0.92 * body_size
    if CAPTION.match(first):
        return "caption"
    if _is_heading(block, text, body_size):
        title, depth = heading_parts(text)
        known = _known(title)
        if known or not any(id(ln) in cells for ln in block.lines) and (
                depth is not None or block.lines[-1].width < 0.85 * line_width):
            return "heading"
    if small and block.top > 0.5 * page_height and (
            block.lines[0].sup_first or re.match(r"^[\d*∗†‡§¶]", first) or block.bottom > 0.86 * page_height):
        return "footnote"
    if small and not paragraph(block):
        return "table"
    return "body"


def paragraph(block: Block) -> bool:
    """Running text (in any size): several lines mostly as wide as the block, mostly words."""
    if len(block.lines) < 2 or block.words < 15:
        return False
    text = block.text
    wide = sum(ln.width >= 0.7 * (block.x1 - block.x0) for ln in block.lines[:-1])
    letters = sum(ch.isalpha() for ch in text)
    return wide >= 0.7 * (len(block.lines) - 1) and letters >= 0.6 * len(text.replace(" ", ""))


def body_line_width(lines: list[Line], body_size: float) -> float:
    """The median width of the page's body-size lines (a column's width, near enough)."""
    widths = sorted(ln.width for ln in lines if abs(ln.size - body_size) < 0.1 * body_size)
    return widths[len(widths) // 2] if widths else float("inf")


def table_cells(lines: list[Line], page_width: float) -> set[int]:
    """Ids of short lines with a short neighbour on their baseline less than 6 ems away (table cells)."""
    out: set[int] = set()
    rows: list[list[Line]] = []
    for ln in sorted(lines, key=lambda x: x.top):
        if rows and ln.top - rows[-1][0].top < 0.3 * ln.size:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    for row in rows:
        row.sort(key=lambda x: x.x0)
        for a, b in zip(row, row[1:]):
            if 0 <= b.x0 - a.x1 < 6 * a.size and max(a.width, b.width) < 0.25 * page_width:
                out.update((id(a), id(b)))
    return out


def _known(title: str) -> bool:
    return title.lower().rstrip(".:") in _KNOWN or bool(REFERENCES.match(title))


def _is_heading(block: Block, text: str, body_size: float) -> bool:
    if len(block.lines) > 3 or len(text) > 120 or len(text.split()) > 16 or sum(ch.isalpha() for ch in text) < 3:
        return False
    if text.endswith((".", ",", ";")) and not REFERENCES.match(text.rstrip(".")):
        return False
    if text[:1].islower() or block.size < 0.85 * body_size:
        return False
    title, depth = heading_parts(text)
    if title.lower().rstrip(".:") in _KNOWN or REFERENCES.match(title):
        return True
    letters = [ch for ch in title if ch.isalpha()]
    caps = len(letters) > 3 and all(ch.isupper() for ch in letters)
    styled = all(ln.bold for ln in block.lines) or block.size > 1.1 * body_size or caps
    if depth is not None:
        return (styled or len(block.lines) == 1) and title[:1].isupper() and not re.search(r"\d\s*[=<>%]", title)
    return styled and title[:1].isupper()


def demote_table_headings(blocks: list[Block], body_size: float) -> None:
    """An unnumbered body-size "heading" followed on its page by table text is a table's header cell."""
    following = ""
    for b in reversed(blocks):
        if b.kind == "heading" and following == "table" and b.size < 1.1 * body_size:
            title, depth = heading_parts(b.text)
            if depth is None and not _known(title):
                b.kind = "table"
        if b.kind in ("heading", "table", "body"):
            following = b.kind


def reflow(lines: list[Line], vocab: Vocabulary) -> str:
    """One paragraph from its lines: joined by spaces, line-end hyphenation undone."""
    out = ""
    for ln in lines:
        t = normalize(ln.text).strip()
        if not t:
            continue
        if out and ends_hyphenated(out):
            out = join_hyphenated(out, t, vocab)
        else:
            out = f"{out} {t}" if out else t
    return out.replace(SOFT_HYPHEN, "-")


def table_text(lines: list[Line]) -> str:
    """A table's rows as lines: cells on one baseline joined left to right."""
    rows: list[list[Line]] = []
    for ln in sorted(lines, key=lambda x: (x.top, x.x0)):
        if rows and abs(ln.top - rows[-1][0].top) < 0.5 * ln.size:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return "\n".join(" ".join(normalize(c.text) for c in sorted(r, key=lambda x: x.x0)) for r in rows).replace(
        SOFT_HYPHEN, "-")


def _reference_like(b: Block) -> bool:
    """Reference-list text, as opposed to a table or figure on the same pages: captions never are,
    and most lines of a reference block run (nearly) the width of the block."""
    if b.kind == "caption" or b.extra.get("cells"):
        return False
    if b.kind != "table" or len(b.lines) == 1:
        return True
    width = b.x1 - b.x0
    return sum(ln.width >= 0.6 * width for ln in b.lines) >= 0.6 * len(b.lines)


class Assembler:
    """Accumulates the ordered blocks of each page into one text (see the module docstring)."""

    def __init__(self, vocab: Vocabulary, *, include_references: bool = False) -> None:
        self.vocab = vocab
        self.include_references = include_references
        self.parts: list[str] = []
        self.pos = 0
        self.open = False
        self.pending: list[Block] = []
        self.page_offsets: list[int] = []
        self.page_runs: list[list[int]] = []  # [offset, 1-based page] where the text's page changes
        self.sections: list[dict[str, Any]] = []
        self.blocks: list[dict[str, Any]] = []
        self.references: list[Line] = []
        self.in_references = False
        self.page_no = -1
        self.page_open = False

    def _emit(self, text: str, *, join: bool = False, page: int | None = None) -> int:
        """Append ``text`` as a new paragraph (or, with ``join``, to the open one); returns its start.

        ``page``: the page the text comes from (the first text of the current page fixes its offset).
        """
        if join and self.parts:
            last = self.parts[-1]
            if ends_hyphenated(last):
                joined = join_hyphenated(last, text, self.vocab)
                self.pos += len(joined) - len(last)
                self.parts[-1] = joined
                start = self.pos - len(text)
                self._mark_page(start, page)
                return start
            text = " " + text
        elif self.parts:
            text = "\n\n" + text
        self.parts.append(text)
        start = self.pos + (len(text) - len(text.lstrip()))
        self.pos += len(text)
        self._mark_page(start, page)
        return start

    def _mark_page(self, start: int, page: int | None) -> None:
        if page is not None and (not self.page_runs or self.page_runs[-1][1] != page + 1):
            self.page_runs.append([start, page + 1])
        if self.page_open and page == self.page_no:
            self.page_offsets[-1] = start
            self.page_open = False

    def _flush(self) -> None:
        for b in self.pending:
            body = table_text(b.lines) if b.kind == "table" else reflow(b.lines, self.vocab)
            if body:
                start = self._emit(body, page=b.page)
                self.blocks.append({"kind": b.kind, "start": start, "end": self.pos})
        self.pending.clear()

    def page(self, blocks: list[Block]) -> None:
        """Add one page's blocks, in reading order."""
        if self.page_open:  # the previous page gave no text: it starts where the next one does
            self.page_offsets[-1] = self.pos
        self.page_no = blocks[0].page if blocks else self.page_no + 1
        self.page_offsets.append(self.pos)
        self.page_open = True
        for b in blocks:
            if b.kind == "heading":
                self._heading(b)
            elif self.in_references and _reference_like(b):
                self.references.extend(b.lines)
                if self.include_references:
                    self._emit(reflow(b.lines, self.vocab), page=b.page)
            elif b.kind == "body":
                self._body(b)
            else:
                self.pending.append(b)

    def _heading(self, b: Block) -> None:
        text = reflow(b.lines, self.vocab)
        title, depth = heading_parts(text)
        if self.in_references and not (depth is not None and title[:1].isupper() and len(b.lines) == 1) \
                and not re.match(r"^(appendix|supplementary)", title, re.I):
            self.references.extend(b.lines)  # a bold line inside the list (a year, a group)
            return
        self.open = False
        self._flush()
        self.in_references = bool(REFERENCES.match(title.rstrip(".:")))
        if self.in_references and not self.include_references:
            start = self.pos  # an empty section: the list is parsed into the metadata, not indexed
        else:
            start = self._emit(text, page=b.page)
            self.blocks.append({"kind": "heading", "start": start, "end": self.pos})
        self._close_section(start)
        level = depth if depth is not None else 1
        self.sections.append({"title": title.rstrip(".:").strip(), "start": start, "end": None, "level": level,
                              "number": heading_number(text)[0], "size": round(b.size, 1)})

    def _body(self, b: Block) -> None:
        text = reflow(b.lines, self.vocab)
        if not text:
            return
        if self.open and self.parts:
            self._emit(text, join=True, page=b.page)
        else:
            self.open = False
            self._flush()
            self._emit(text, page=b.page)
        self.open = not text.endswith(_ENDS)
        if not self.open:
            self._flush()

    def _close_section(self, at: int) -> None:
        if self.sections and self.sections[-1]["end"] is None:
            self.sections[-1]["end"] = at

    def finish(self) -> Assembled:
        if self.page_open:
            self.page_offsets[-1] = self.pos
        self.open = False
        self._flush()
        for i, at in enumerate(self.page_offsets):  # pages after the last text (a references page)
            if self.page_runs and at >= self.page_runs[-1][0] and i + 1 > self.page_runs[-1][1]:
                self.page_runs.append([at, i + 1])
        self._close_section(self.pos)
        text = "".join(self.parts)
        return Assembled(text, self.page_offsets, _levels(self.sections), self.blocks, self.references, self.page_runs)


def _levels(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unnumbered headings smaller than the (median) numbered top-level ones are subsections (level 2)."""
    top = sorted(s["size"] for s in sections if s["number"] and s["level"] == 1)
    biggest = top[len(top) // 2] if top else max((s["size"] for s in sections), default=0)
    out = []
    for s in sections:
        level = s["level"] if s["number"] else (1 if s["size"] >= biggest - 0.3 else 2)
        d = {"title": s["title"], "start": s["start"], "end": s["end"], "level": level}
        if s["number"]:
            d["number"] = s["number"]
        out.append(d)
    return out
