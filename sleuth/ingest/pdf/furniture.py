"""Page furniture: what is printed on the pages but is not the paper's text.

A line is furniture when it is
- rotated (the arXiv side stamp, vertical margin notes);
- in the top or bottom band of its page (``BAND`` of the height) and
  - repeats in that band on other pages once digits are ignored (running headers and footers,
    "Page 3 of 12"), or
  - is a bare page number (arabic or roman, optionally "Page N" / "N of M"), or
  - equals the document's title (running headers that repeat the title on a few pages only);
- a banner or imprint on the first page: journal/proceedings headers, copyright and licence lines,
  "Preprint submitted to ...", ISBN/DOI imprints, a lone date (``IMPRINT``), in a band of page 1;
- one of the notices arXiv appends to a rendering ("This figure ... is available in ... format from:").

These are the rules of running-header detection in pdfminer-based pipelines and of GROBID's header
model written as geometry and repetition; nothing is specific to one publisher.
"""

from __future__ import annotations

import re
from collections import Counter

from sleuth.ingest.pdf.clean import comparable
from sleuth.ingest.pdf.lines import Line

BAND = 0.09
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,5}|[ivxlcdm]{1,7})(?:\s*(?:/|of)\s*\d{1,5})?$", re.IGNORECASE)
IMPRINT = re.compile(
    r"(©|\(c\)|\bcopyright\b|\bpreprint\b|under review|submitted to|\bproceedings of\b|\bISBN\b|\bISSN\b|"
    r"permission to make|all rights reserved|licensed under|\bassociation for\b|(?<!\w)c (?:19|20)\d\d\b|\bvolume \d|\bvol\. ?\d|\bjmlr\b|"
    r"\bworkshop\b.*\b(19|20)\d\d\b|\bconference\b.*\b(19|20)\d\d\b|^https?://doi\.org/|^doi:)",
    re.IGNORECASE,
)
_DATE = re.compile(r"^(?:[A-Z][a-z]+\.? \d{1,2}, (?:19|20)\d\d|\d{1,2} [A-Z][a-z]+ (?:19|20)\d\d)$")
_ARXIV_NOTICE = re.compile(r"^This figure \".*\" is available in \".*\" format from:$|^https?://arxiv\.org/ps/\S+$")


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", comparable(text))


def _in_title(key: str, title_key: str) -> bool:
    """A running header repeating the title, or one of the lines it is set on."""
    return bool(title_key) and len(key) >= 8 and key in title_key


def in_band(line: Line, height: float) -> bool:
    return line.top < BAND * height or line.bottom > (1 - BAND) * height


def furniture(pages: list[list[Line]], heights: list[float], title: str) -> set[tuple[int, int]]:
    """(page, line index) of every furniture line (see the module docstring)."""
    repeats: Counter[str] = Counter()
    for page, height in zip(pages, heights):
        repeats.update({_key(ln.text) for ln in page if in_band(ln, height)})
    title_key = _key(title) if title else ""

    out: set[tuple[int, int]] = set()
    for p, (page, height) in enumerate(zip(pages, heights)):
        for i, ln in enumerate(page):
            text = ln.text.strip()
            if ln.rotated or _ARXIV_NOTICE.match(text):
                out.add((p, i))
            elif in_band(ln, height):
                key = _key(text)
                if (repeats[key] >= 2 and len(pages) > 1 and len(key) > 1) or _PAGE_NUMBER.match(text) \
                        or (p > 0 and _in_title(key, title_key)) or (p == 0 and (IMPRINT.search(text) or _DATE.match(text))):
                    out.add((p, i))
    return out
