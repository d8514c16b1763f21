"""The reference list: its lines -> entries -> parsed fields.

Entries are split the way the list is set, tried in this order:
1. numbered: every line that starts with "[12]" or "12." starts an entry;
2. hanging indent: a line that starts left of the list's most common continuation indent;
3. author-year: a line that starts with a capitalised surname ("Lewis, P.", "Karpukhin V", "Lo K.")
   after a line that ended an entry (a period, or a year/page/DOI at its end).
Each entry is parsed with the patterns of citation parsers such as ParsCit/GROBID in their simplest
form: authors before the year (or before the first period), the title as the next sentence, the venue
as the rest; DOI and arXiv id wherever they are printed.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sleuth.ingest.pdf.clean import Vocabulary, ends_hyphenated, join_hyphenated, normalize
from sleuth.ingest.pdf.lines import SOFT_HYPHEN, Line

_NUMBERED = re.compile(r"^\s*(?:\[(\d{1,4})\]|(\d{1,4})\.)\s+")
_AUTHOR_START = re.compile(r"^(?:[A-Z][\w'’\-]+(?:\s[A-Z][\w'’\-]+)?,\s*(?:[A-Z]\.|[A-Z][a-z]+)|[A-Z][\w'’\-]+\s+(?:[A-Z]\.?\s?){1,3}[,.]"
                           r"|[A-Z][a-z]+\s+[A-Z][\w'’\-]+(?:,| and)|[A-Z]\.\s?(?:[A-Z]\.\s?)*[A-Z][\w'’\-]+)")
_YEAR = re.compile(r"\(?\b((?:19|20)\d\d)[a-z]?\b\)?")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>,;]+[^\s\"<>,;.])")
_ARXIV = re.compile(r"(?:arXiv:?\s*|arxiv\.org/abs/)(\d{4}\.\d{4,5}(?:v\d+)?)", re.I)
_END = re.compile(r"(?:[.]|\d{4}[a-z]?\.?|\d+\s*[-–]\s*\d+\.?|\)\.?)$")


def split_entries(lines: list[Line], vocab: Vocabulary) -> list[str]:
    """The reference list's lines, as one string per entry (lines reflowed, hyphenation undone)."""
    lines = [ln for ln in lines if ln.text.strip()]
    if not lines:
        return []
    starts = _numbered(lines) or _hanging(lines) or _author_year(lines)
    entries: list[str] = []
    for a, b in zip(starts, starts[1:] + [len(lines)]):
        out = ""
        for ln in lines[a:b]:
            t = normalize(ln.text).strip()
            out = join_hyphenated(out, t, vocab) if out and ends_hyphenated(out) else f"{out} {t}".strip()
        if out:
            entries.append(out.replace(SOFT_HYPHEN, "-"))
    return entries


def _numbered(lines: list[Line]) -> list[int]:
    starts = [i for i, ln in enumerate(lines) if _NUMBERED.match(ln.text)]
    return starts if len(starts) >= max(2, len(lines) // 8) and starts[0] == 0 else []


def _hanging(lines: list[Line]) -> list[int]:
    # Per column: the x where lines start most often is either the entry start or the continuation.
    def col(ln: Line) -> tuple[int, int]:
        return ln.page, round(ln.x0 / 40)

    lefts: dict[tuple[int, int], float] = {}
    for ln in lines:
        key = col(ln)
        lefts[key] = min(lefts.get(key, ln.x0), ln.x0)
    indented = Counter(round(ln.x0 - lefts[col(ln)]) for ln in lines)
    indent = max((d for d in indented if 4 <= d <= 30), key=lambda d: indented[d], default=None)
    if indent is None or indented[indent] < len(lines) // 4:
        return []
    starts = [i for i, ln in enumerate(lines) if ln.x0 - lefts[col(ln)] < indent / 2]
    return starts if starts and starts[0] == 0 and len(starts) >= 2 else []


def _author_year(lines: list[Line]) -> list[int]:
    starts = [0]
    for i in range(1, len(lines)):
        prev = lines[i - 1].text.strip()
        if _END.search(prev) and _AUTHOR_START.match(lines[i].text.strip()):
            starts.append(i)
    return starts


def parse_entry(raw: str) -> dict[str, Any]:
    """Fields of one reference (see the module docstring); absent fields are left out."""
    text = _NUMBERED.sub("", raw).strip()
    out: dict[str, Any] = {"raw": raw}
    if m := _DOI.search(text):
        out["doi"] = m.group(1)
    if m := _ARXIV.search(text):
        out["arxiv_id"] = m.group(1)
    ym = _YEAR.search(text)
    if ym:
        out["year"] = int(ym.group(1))
        head, tail = text[: ym.start()], text[ym.end():]
        # "Authors. 2020. Title. Venue" or "Authors (2020). Title. Venue" or "Authors. Title. Venue, 2020."
        if len(head) > 0.6 * len(text) and "." in head:
            names, _, rest = head.partition(". ")
            parts = [p for p in re.split(r"\.\s+", rest) if p]
        else:
            names = head
            parts = [p for p in re.split(r"\.\s+", tail.lstrip(" .),:")) if p]
    else:
        names, _, rest = text.partition(". ")
        parts = [p for p in re.split(r"\.\s+", rest) if p]
    authors = _authors(names)
    if authors:
        out["authors"] = authors
    if parts:
        out["title"] = parts[0].strip(" .,“”\"")
        venue = ". ".join(parts[1:]).strip(" .,")
        venue = re.sub(r"\s*\b(?:19|20)\d\d[a-z]?\b.*$", "", venue)
        venue = _ARXIV.sub("", _DOI.sub("", venue)).replace("doi:", "").strip(" .,(")
        if venue:
            out["venue"] = venue
    return out


def _authors(names: str) -> list[str]:
    names = names.strip(" .,(")
    if not names:
        return []
    names = re.sub(r",?\s+et al\.?$", "", names)
    pieces = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*|;\s*", names) if p.strip()]
    # "Lewis, P., Perez, E." puts surname and initials in separate pieces: pair them again.
    out: list[str] = []
    for p in pieces:
        if out and re.fullmatch(r"(?:[A-Z]\.\s?-?)+", p):
            out[-1] = f"{p} {out[-1]}"
        else:
            out.append(p)
    return [p for p in out if 1 <= len(p.split()) <= 6 and p[:1].isupper()]
