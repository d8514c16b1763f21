"""Paper metadata from the first page, offline: title, authors, year, arXiv id, DOI, venue.

- Title: the lines of page 1 (upper 60%) set in the largest font, one after another, skipping
  banners, stamps and imprints; the PDF's /Title only when no such lines exist and it does not look
  like a file name or a tool's default. Lines above the title are the page's banner (journal header).
- Front matter: the lines after the title and above the abstract (or the first paragraph): authors,
  affiliations, e-mails. Authors are the pieces of those lines, split at commas, "and", superscript
  markers and wide spaces, that look like personal names (2-5 capitalised words, initials and
  particles allowed, no affiliation words), set in the font of the first name found.
- arXiv id and year: the arXiv stamp ("arXiv:2004.04906v3 [cs.CL] 30 Sep 2020"), else an id printed on
  page 1, else the file name; the year from the stamp's date, else a year in the banner, imprint or
  front matter, else the arXiv id's yymm, else the PDF's creation date.
- DOI: a "doi.org/10..." or "DOI: 10..." printed on page 1. Venue: the banner or imprint line that
  names a proceedings, conference, journal or workshop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sleuth.ingest.pdf.clean import normalize
from sleuth.ingest.pdf.furniture import IMPRINT
from sleuth.ingest.pdf.lines import Line

ARXIV_STAMP = re.compile(r"arXiv:\s?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z][a-z.\-]+/\d{7}(?:v\d+)?)\s*(?:\[[^\]]*\])?\s*"
                         r"(?:\d{1,2}\s+[A-Z][a-z]{2}\s+((?:19|20)\d\d))?")
ARXIV_NAME = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5}(?:v\d+)?)(?![\d])")
DOI = re.compile(r"(?:doi\.org/|\bdoi:?\s*)(10\.\d{4,9}/[^\s\"<>,;]+)", re.I)
YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_SHORT_YEAR = re.compile(r"[’'](\d\d)\b")
_AFFILIATION = re.compile(
    r"\b(universit\w*|institut\w*|department|dept|school|college|laborator\w*|labs?|faculty|center|centre|"
    r"research|inc|ltd|corp\w*|company|hospital|foundation|academy|group|ai|google|microsoft|facebook|meta|"
    r"amazon|ibm|nvidia|usa|uk|china|germany|france|italy|japan|canada|india|email|e-mail|abstract|"
    r"science|sciences|engineering|technology|street|road|avenue|via|unit|division|program|state|city)\b",
    re.I)
_PARTICLES = {"de", "van", "der", "von", "di", "da", "la", "le", "del", "dos", "du", "bin", "al", "den", "ter", "y"}
_VENUE = re.compile(r"proceedings|conference|workshop|journal|transactions|symposium|submitted to|published|"
                    r"\b(?:CHI|ACL|EMNLP|NAACL|NeurIPS|ICML|ICLR|AAAI|IJCAI|KDD|SIGIR|CVPR|ICCV|ECCV)\b", re.I)
_SPLIT = re.compile(r"\s*(?:\||,|;|\band\b|&|·|•|\s{2,})\s*")
_BAD_PDF_TITLE = re.compile(r"^(untitled|microsoft word|title|document|slide|paper)\b|\.(docx?|tex|pdf|dvi)$", re.I)


@dataclass
class FrontMatter:
    title: str = ""
    title_lines: list[int] = field(default_factory=list)
    banner: list[int] = field(default_factory=list)
    front: list[int] = field(default_factory=list)
    """Indexes (into page 1's lines) of the title, banner and front-matter lines: not body text."""
    authors: list[str] = field(default_factory=list)


def front_matter(lines: list[Line], height: float, body_size: float, first_text_top: float | None,
                 width: float = 612.0) -> FrontMatter:
    """Title, authors and which page-1 lines are not body text (see the module docstring).

    ``first_text_top``: the top of the abstract heading or of the first paragraph on the page.
    """
    fm = FrontMatter()
    cands = [i for i, ln in enumerate(lines) if not ln.rotated and ln.top < 0.6 * height and _titleish(ln)]
    if not cands:
        return fm
    biggest = max(lines[i].max_size for i in cands)
    if biggest < 1.15 * body_size:
        return fm
    first = min((i for i in cands if lines[i].max_size >= biggest - 0.5), key=lambda i: lines[i].top)
    chosen = [first]
    for i in sorted(cands, key=lambda i: lines[i].top):
        ln, last = lines[i], lines[chosen[-1]]
        if i in chosen or ln.top <= last.top:
            continue
        if abs(ln.max_size - biggest) <= max(0.5, 0.05 * biggest) and ln.top - last.bottom < 1.2 * last.size:
            chosen.append(i)
        elif ln.top > last.bottom:
            break
    # A title set in two sizes (title and subtitle, "olmOCR 2" over "Unit Test Rewards ..."): a large
    # line right above or below the title that is not a name line belongs to it.
    parts = [[lines[i] for i in chosen]]
    for i in sorted(cands, key=lambda i: lines[i].top):
        ln = lines[i]
        if i in chosen or ln.max_size < 1.3 * body_size or authors([ln]):
            continue
        t_top, t_bottom = lines[chosen[0]].top, lines[chosen[-1]].bottom
        if 0 <= t_top - ln.bottom < 1.5 * ln.size:
            chosen.insert(0, i)
            parts.insert(0, [ln])
        elif 0 <= ln.top - t_bottom < 1.0 * ln.size:
            chosen.append(i)
            parts.append([ln])
    fm.title_lines = chosen
    fm.title = ": ".join(_join_title(p).rstrip(":") for p in parts)
    top, bottom = min(lines[i].top for i in chosen), max(lines[i].bottom for i in chosen)
    limit = first_text_top if first_text_top is not None and first_text_top > bottom else None
    below = []
    for i, ln in enumerate(lines):
        if i in chosen or ln.rotated:
            continue
        if ln.bottom <= top:
            fm.banner.append(i)
        elif ln.top >= bottom - 1 and (limit is None or ln.top < limit - 1):
            below.append(i)
    if limit is None:
        # No abstract or paragraph to stop at: the front matter is the run of name, affiliation,
        # e-mail or centred lines right under the title; the page's text starts after it.
        run = []
        for i in sorted(below, key=lambda i: lines[i].top):
            if not _front_like(lines[i], width):
                break
            run.append(i)
        below = run
    fm.front = below
    fm.authors = authors([lines[i] for i in fm.front])
    return fm


def _front_like(ln: Line, width: float) -> bool:
    centred = abs((ln.x0 + ln.x1) / 2 - width / 2) < 0.05 * width
    return centred or "@" in ln.text or bool(authors([ln])) or bool(_AFFILIATION.search(ln.text))


def _titleish(ln: Line) -> bool:
    t = ln.text
    return sum(ch.isalpha() for ch in t) >= 3 and not IMPRINT.search(t) and not ARXIV_STAMP.search(t) \
        and "@" not in t and not t.lower().startswith(("http", "www."))


def _join_title(lines: list[Line]) -> str:
    out = ""
    for ln in lines:
        t = normalize(ln.text).strip()
        out = out[:-1] + t if out.endswith("-") and t[:1].islower() else f"{out} {t}".strip()
    return re.sub(r"\s+", " ", out).strip(" *∗†‡")


def authors(front: list[Line]) -> list[str]:
    """Personal names among the front-matter lines, in reading order, in the first name's font."""
    found: list[tuple[str, float]] = []
    for ln in sorted(front, key=lambda x: (round(x.top), x.x0)):
        if "@" in ln.text or _AFFILIATION.search(ln.text) and not _SPLIT.search(ln.marked):
            continue
        for piece in _SPLIT.split(normalize(ln.marked)):
            name = _name(piece)
            if name and not any(name == n for n, _ in found):
                found.append((name, ln.size))
    if not found:
        return []
    size = found[0][1]
    return [n for n, s in found if abs(s - size) <= 0.6]


def _name(piece: str) -> str | None:
    piece = re.sub(r"[\d*∗†‡§¶♠♣♥♦⋆★✉#]+", " ", piece).strip(" .")
    words = piece.split()
    if not 2 <= len(words) <= 5 or _AFFILIATION.search(piece):
        return None
    if all(w.isupper() for w in words if len(w) > 2):
        words = [w.capitalize() if len(w) > 2 or not w.endswith(".") else w for w in words]
    caps = 0
    for w in words:
        if w.lower() in _PARTICLES:
            continue
        if not (w[0].isupper() and all(ch.isalpha() or ch in "'’-." for ch in w)) or len(w) == 1:
            return None
        caps += 1
    return " ".join(words) if caps >= 2 else None


def arxiv_id(texts: list[str], filename: str) -> tuple[str, int | None]:
    """(id, year of the stamp's date) from the stamp or page-1 text, else ("", None) or the file name's id."""
    for t in texts:
        m = ARXIV_STAMP.search(t)
        if m:
            return m.group(1), int(m.group(2)) if m.group(2) else None
    m = ARXIV_NAME.search(filename)
    return (m.group(1), None) if m else ("", None)


def year_from(texts: list[str]) -> int | None:
    """The latest plausible year printed in ``texts`` (banner, imprint, front matter)."""
    years = [int(y) for t in texts for y in YEAR.findall(t) if 1900 < int(y) < 2100]
    if not years:
        years = [2000 + int(y) for t in texts if _VENUE.search(t) for y in _SHORT_YEAR.findall(t)]
    return max(years) if years else None


def doi_from(texts: list[str]) -> str:
    for t in texts:
        m = DOI.search(t)
        if m:
            return m.group(1).rstrip(".)")
    return ""


def venue_from(texts: list[str]) -> str:
    for t in texts:
        if _VENUE.search(t):
            t = re.sub(r"^(?:preprint )?submitted to\s+", "", t.strip(), flags=re.I)
            return re.sub(r",?\s*pages\s+\d+.*$", "", t).strip(" ,.")
    return ""


def pdf_title_ok(title: str, stem: str) -> bool:
    t = title.strip()
    return len(t.split()) >= 2 and not _BAD_PDF_TITLE.search(t) and t.lower() != stem.lower()
