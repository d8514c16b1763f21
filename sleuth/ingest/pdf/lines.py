"""Characters -> text lines, one page at a time, from PDFium's text layer (pypdfium2).

PDFium gives every character its box, font size and weight in content-stream order, with the line
breaks and word spaces it inferred (``FPDFText_IsGenerated``). Lines are rebuilt from geometry rather
than taken from those breaks, because PDFium also breaks at every superscript and joins table cells:

1. a *fragment* is a run of characters in stream order on one baseline with no gap wider than
   ``GAP_EM`` ems (a wider gap is a column gutter or a table cell boundary);
2. a fragment joins the previous line when their boxes overlap vertically by at least half the
   smaller height and the horizontal gap is small (superscript markers and accents rejoin their
   line; text on the other side of a gutter does not);
3. inside a line, a character smaller than ``SUP_RATIO`` of the line's size and raised above its
   baseline is a superscript (a footnote or affiliation marker, dropped from the text of body lines);
   upper-case letters smaller than the largest letters of their word are small capitals and are
   lower-cased ("D ISCOVERY" -> "Discovery", the way it was typed);
4. spacing accents that PDFium emits after their word (``Oguz ˘``) are put back on the letter they
   sit over, as combining marks.

Geometry is in PDF points with y growing downwards from the top of the page. Only lines leave this
module (the characters of a page are dropped once its lines are built), so memory stays bounded by one
page whatever the length of the document.
"""

from __future__ import annotations

import ctypes
import math
import statistics
import unicodedata
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium_c

GAP_EM = 1.0
"""A horizontal gap wider than this many ems ends a fragment (word spaces are ~0.25-0.5 em)."""
SUP_RATIO = 0.85
WIDE_SPACE_EM = 0.6
SOFT_HYPHEN = "\ufffe"
"""PDFium's mark for a hyphen it found at the end of a line."""

# Spacing accents -> the combining mark that puts them on their letter.
_ACCENTS = {
    "\u02d8": "\u0306", "\u00a8": "\u0308", "\u00b4": "\u0301", "`": "\u0300", "\u02c6": "\u0302",
    "\u02dc": "\u0303", "\u00b8": "\u0327", "\u02c7": "\u030c", "\u02d9": "\u0307", "\u02da": "\u030a",
    "\u00af": "\u0304", "\u02dd": "\u030b", "\u02db": "\u0328",
}
_MARKERS = set("*∗†‡§¶,·0123456789abcdefghijklmnopqrstuvwxyzαβγδεζηθικλμνξοπρστυφχψω♠♣♥♦⋆★✉")


@dataclass(frozen=True)
class Line:
    """One line of text on a page: its text, box (points, y down), median font size and style."""

    text: str
    marked: str
    """The text with every superscript run replaced by ``|`` (author lines split on it)."""
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    max_size: float
    bold: bool
    page: int
    rotated: bool = False
    sup_first: bool = False
    """The line starts with a superscript (a footnote's marker)."""

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top


# A character: (char, x0, top, x1, bottom, size, bold, space_before)
_Char = tuple[str, float, float, float, float, float, bool, bool]


def page_lines(textpage: Any, page_height: float, page_no: int) -> list[Line]:
    """The lines of one page (a pypdfium2 ``PdfTextPage``), in content-stream order of their first character."""
    lines: list[list[_Char]] = []
    boxes: list[list[float]] = []
    rotated: list[bool] = []
    for frag, rot in _fragments(getattr(textpage, "raw", textpage), page_height):
        box = list(_box(frag))
        if lines and not rot and not rotated[-1] and _joins(lines[-1], boxes[-1], frag, box):
            lines[-1] = _merge(lines[-1], frag)
            last = boxes[-1]
            boxes[-1] = [min(last[0], box[0]), min(last[1], box[1]), max(last[2], box[2]), max(last[3], box[3])]
        else:
            lines.append(frag)
            boxes.append(box)
            rotated.append(rot)
    return [line for chars, rot in zip(lines, rotated) if (line := _line(chars, page_no, rot)) is not None]


def _fragments(textpage: Any, page_height: float) -> list[tuple[list[_Char], bool]]:
    n = pdfium_c.FPDFText_CountChars(textpage)
    if n <= 0:
        return []
    buf = ctypes.create_string_buffer((n + 1) * 2)
    got = pdfium_c.FPDFText_GetText(textpage, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)))
    text = buf.raw[: max(got - 1, 0) * 2].decode("utf-16-le", errors="replace")
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    out: list[tuple[list[_Char], bool]] = []
    cur: list[_Char] = []
    rot = bold = False
    space = word_start = True
    get_box, get_size, get_weight, get_angle = (pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetFontSize,
                                                pdfium_c.FPDFText_GetFontWeight, pdfium_c.FPDFText_GetCharAngle)
    last: _Char | None = None
    size = last_height = 1.0
    for i, ch in enumerate(text):
        if ch == "\r" or ch == "\n":
            if cur:
                out.append((cur, rot))
                cur = []
            space = word_start = True
            continue
        if ch == " " or ch == "\x00" or ch.isspace():
            space = word_start = True
            continue
        get_box(textpage, i, rect_ref)
        height = rect.top - rect.bottom
        # A loose box is as tall as its font size: the size is asked again only when the height changes.
        if word_start or abs(height - last_height) > 0.02 * abs(last_height):
            size = get_size(textpage, i) or 1.0
            last_height = height
        was_rot = rot
        # Weight and rotation are a font's and a text object's: reading them once a word is enough.
        if word_start:
            angle = get_angle(textpage, i) % math.pi
            rot = 0.05 < angle < math.pi - 0.05
            bold = get_weight(textpage, i) >= 600
            word_start = False
        x0, x1, t, b = rect.left, rect.right, rect.top, rect.bottom
        if x0 > x1:
            x0, x1 = x1, x0
        if t < b:
            t, b = b, t
        c: _Char = (ch, x0, page_height - t, x1, page_height - b, size, bold, space)
        space = False
        if cur and (rot != was_rot or (not rot and last is not None and _breaks(last, c))):
            out.append((cur, was_rot))
            cur = []
        cur.append(c)
        last = c
    if cur:
        out.append((cur, rot))
    return out


def _breaks(last: _Char, c: _Char) -> bool:
    """Whether character ``c`` starts a new fragment after ``last``."""
    if c[0] in _ACCENTS or c[0] == SOFT_HYPHEN:
        return False
    size = last[5] if last[5] > c[5] else c[5]
    gap = c[1] - last[3]
    # Inside one of PDFium's lines a stretched justified space can be wide; a gutter is not spaced.
    if gap > (3 * GAP_EM if c[7] else GAP_EM) * size or gap < -2 * size:
        return True
    overlap = (last[4] if last[4] < c[4] else c[4]) - (last[2] if last[2] > c[2] else c[2])
    h1, h2 = last[4] - last[2], c[4] - c[2]
    return overlap < 0.3 * (h1 if h1 < h2 else h2)


def _box(chars: list[_Char]) -> tuple[float, float, float, float]:
    xs0, tops, xs1, bottoms = zip(*(c[1:5] for c in chars))
    return min(xs0), min(tops), max(xs1), max(bottoms)


def _joins(line: list[_Char], lbox: list[float], frag: list[_Char], fbox: list[float]) -> bool:
    lx0, ltop, lx1, lbottom = lbox
    fx0, ftop, fx1, fbottom = fbox
    overlap = min(lbottom, fbottom) - max(ltop, ftop)
    if overlap < 0.5 * min(lbottom - ltop, fbottom - ftop):
        return False
    size = max(line[-1][5], frag[0][5])
    gap = fx0 - lx1
    return -0.5 * size <= gap <= GAP_EM * size


def _merge(line: list[_Char], frag: list[_Char]) -> list[_Char]:
    first = frag[0]
    gap = first[1] - line[-1][3]
    spaced = first[7] or gap > 0.2 * max(first[5], line[-1][5])
    return line + [(*first[:7], spaced), *frag[1:]]  # type: ignore[list-item]


def _line(chars: list[_Char], page_no: int, rotated: bool) -> Line | None:
    chars = _place_accents(chars)
    if not chars:
        return None
    sizes = [c[5] for c in chars if c[0].isalnum()] or [c[5] for c in chars]
    size = statistics.median(sizes)
    x0, top, x1, bottom = _box(chars)
    base = statistics.median(c[4] for c in chars if c[5] >= size * SUP_RATIO) if not rotated else bottom
    text, marked, sup_first = _render(chars, size, base, rotated)
    bold = sum(c[6] for c in chars) >= 0.9 * len(chars)
    if not text.strip() and not marked.strip(" |"):
        return None
    return Line(text, marked, x0, top, x1, bottom, size, max(sizes), bold, page_no, rotated, sup_first)


def _render(chars: list[_Char], size: float, base: float, rotated: bool) -> tuple[str, str, bool]:
    """The line's text (marker superscripts dropped) and its marked text (superscripts as ``|``)."""
    text: list[str] = []
    marked: list[str] = []
    in_sup = False
    sup_first = False
    word_max = _word_max_sizes(chars)
    for i, c in enumerate(chars):
        ch = c[0]
        sup = not rotated and c[5] < size * SUP_RATIO and c[4] < base - 0.15 * size
        if c[7] and text and not _small_caps_split(chars, i):
            text.append(" ")
            # A wide space separates names set on one line ("Jake Poznanski   Luca Soldaini").
            marked.append(" | " if c[1] - chars[i - 1][3] > WIDE_SPACE_EM * size else " ")
        if sup:
            if not in_sup:
                marked.append("|")
                sup_first = sup_first or i == 0
            in_sup = True
            if ch not in _MARKERS:
                text.append(ch)
            continue
        in_sup = False
        if ch.isupper() and c[5] < word_max[i] * SUP_RATIO:
            ch = ch.lower()
        text.append(ch)
        marked.append(ch)
    return "".join(text).strip(), "".join(marked).strip(), sup_first


def _small_caps_split(chars: list[_Char], i: int) -> bool:
    """A space between a word's large initial capital and its small capitals ("D ISCOVERY")."""
    prev, c = chars[i - 1], chars[i]
    lone = i == 1 or chars[i - 1][7]
    return (lone and prev[0].isupper() and c[0].isupper() and c[5] < prev[5] * SUP_RATIO
            and c[1] - prev[3] < 0.3 * prev[5])


def _word_max_sizes(chars: list[_Char]) -> list[float]:
    """For each character, the largest size of an upper-case letter in its word (0 if none)."""
    out = [0.0] * len(chars)
    words: list[tuple[int, int, float, bool]] = []
    start = 0
    for i in range(len(chars) + 1):
        if i == len(chars) or (i > start and chars[i][7]):
            biggest = max((c[5] for c in chars[start:i] if c[0].isupper()), default=0.0)
            small_caps = bool(biggest) and any(c[0].isupper() and c[5] < biggest * SUP_RATIO for c in chars[start:i])
            words.append((start, i, biggest, small_caps))
            start = i
    # A line set in small capitals: its all-small words ("AND") are lower-case words too.
    line_caps = max((w[2] for w in words if w[3]), default=0.0)
    for a, b, biggest, small_caps in words:
        for j in range(a, b):
            out[j] = biggest if small_caps else line_caps
    return out


def _place_accents(chars: list[_Char]) -> list[_Char]:
    """Spacing accents emitted after their word go back onto the letter below them (NFC)."""
    if not any(c[0] in _ACCENTS for c in chars):
        return chars
    out: list[_Char] = []
    for c in chars:
        mark = _ACCENTS.get(c[0])
        if mark is None:
            out.append(c)
            continue
        centre = (c[1] + c[3]) / 2
        for j in range(len(out) - 1, -1, -1):
            b = out[j]
            if b[0].isalpha() and b[1] - 0.5 <= centre <= b[3] + 0.5:
                out[j] = (unicodedata.normalize("NFC", b[0] + mark), *b[1:])  # type: ignore[assignment]
                break
        else:
            out.append(c)
    return out
