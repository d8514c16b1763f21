"""Pages of lines -> a paper: body text, structure and metadata (the pipeline; no PDF library here).

1. the body font size is the most common size of the document's characters;
2. page 1 gives the title, the banner above it and the front matter below it (:mod:`.metadata`);
3. furniture goes (:mod:`.furniture`); the rest of each page is grouped into blocks, each block given
   a kind, and the page read in column order (:mod:`.layout`, :mod:`.structure`);
4. the assembled text gets its sections, non-body blocks, page offsets, the parsed reference list
   and the abstract, in the shared ``Document.metadata`` layout (see docs in ``sleuth/ingest/pdf``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sleuth.ingest.pdf import metadata as meta
from sleuth.ingest.pdf.clean import Vocabulary, ends_hyphenated
from sleuth.ingest.pdf.furniture import IMPRINT, furniture
from sleuth.ingest.pdf.layout import Block, group_blocks, gutter, reading_order
from sleuth.ingest.pdf.lines import Line
from sleuth.ingest.pdf.references import parse_entry, split_entries
from sleuth.ingest.pdf.structure import (Assembler, body_line_width, classify, demote_table_headings, paragraph,
                                         table_cells)

_ABSTRACT = re.compile(r"^(?:a\s?bstract|summary)\b[.:—\-\s]*", re.I)
_KEYWORDS = re.compile(r"\s*(?:CCS Concepts|Keywords|Key words|Index Terms|Additional Key Words|ACM Reference Format)\b",
                       re.I)


@dataclass
class Paper:
    text: str
    title: str
    metadata: dict[str, Any]


def body_size(pages: list[list[Line]]) -> float:
    sizes: Counter[float] = Counter()
    for page in pages:
        for ln in page:
            if not ln.rotated:
                sizes[round(ln.size * 2) / 2] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _first_text_top(blocks: list[Block], title_bottom: float) -> float | None:
    for b in sorted(blocks, key=lambda b: b.top):
        if b.top <= title_bottom:
            continue
        if _ABSTRACT.match(b.lines[0].text) and len(b.lines[0].text) < 40:
            return b.top
    for b in sorted(blocks, key=lambda b: b.top):
        if b.top > title_bottom and len(b.lines) >= 3 and b.words >= 25 and paragraph(b) \
                and len(meta.authors(b.lines)) < len(b.lines) / 2:
            return b.top
    return None


def _vocabulary(pages: list[list[Line]]) -> Vocabulary:
    def texts() -> Any:
        for page in pages:
            cut_next = False
            for ln in page:
                words = ln.text.split()
                if cut_next and words:
                    words = words[1:]
                cut_next = ends_hyphenated(ln.text)
                if cut_next and words:
                    words = words[:-1]
                yield " ".join(words)

    return Vocabulary(texts())


def _imprint_block(b: Block, size: float, height: float) -> bool:
    """A copyright, licence or proceedings block in the lower half of page 1 (ACM, AAAI imprints)."""
    return b.kind != "heading" and b.size < 0.95 * size and b.top > 0.5 * height \
        and any(IMPRINT.search(ln.text) for ln in b.lines)


def _merge_tables(blocks: list[Block]) -> list[Block]:
    """Neighbouring pieces of one table (cells cut apart by wide gaps) become one block."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if prev is not None and b.kind == prev.kind == "table" and b.top - prev.bottom < 2 * b.size:
            prev.lines.extend(b.lines)
        else:
            out.append(b)
    return out


def build(pages: list[list[Line]], heights: list[float], widths: list[float], info: dict[str, str], filename: str,
          *, include_references: bool = False) -> Paper:
    """The paper in ``pages`` (lines per page, from :func:`sleuth.ingest.pdf.lines.page_lines`)."""
    size = body_size(pages)
    first = [ln for ln in pages[0] if not ln.rotated] if pages else []
    stem = re.sub(r"\.pdf$", "", filename, flags=re.I)
    page1 = pages[0] if pages else []
    fm = meta.FrontMatter()
    if page1:
        blocks1 = group_blocks(first)
        probe = meta.front_matter(page1, heights[0], size, None, widths[0])
        title_bottom = max((page1[i].bottom for i in probe.title_lines), default=0.0)
        fm = meta.front_matter(page1, heights[0], size, _first_text_top(blocks1, title_bottom), widths[0])
    md: dict[str, Any] = {}
    title = fm.title
    pdf_title = (info.get("Title") or "").strip()
    if not title and meta.pdf_title_ok(pdf_title, stem):
        title, md["title_source"] = pdf_title, "pdf info"
    if not title:
        title, md["title_source"] = stem, "file name"

    drop = furniture(pages, heights, title)
    drop.update((0, i) for i in fm.title_lines + fm.banner + fm.front)
    imprint = [ln.text for i, ln in enumerate(page1) if (0, i) in drop and i not in fm.title_lines and i not in fm.front]
    imprint = [t for t in imprint if IMPRINT.search(t) or meta.YEAR.search(t)] + [page1[i].text for i in fm.banner]
    front_texts = [page1[i].text for i in fm.front]

    vocab = _vocabulary(pages)
    asm = Assembler(vocab, include_references=include_references)
    for p, page in enumerate(pages):
        kept = [ln for i, ln in enumerate(page) if (p, i) not in drop]
        blocks = group_blocks(kept)
        cells = table_cells(kept, widths[p])
        line_width = body_line_width(kept, size)
        for b in blocks:
            b.kind = classify(b, size, heights[p], cells, line_width)
            b.extra["cells"] = all(id(ln) in cells for ln in b.lines)
        if p == 0:
            blocks = [b for b in blocks if not _imprint_block(b, size, heights[0])]
        ordered = reading_order(blocks, gutter(kept, widths[p]))
        demote_table_headings(ordered, size)
        asm.page(_merge_tables(ordered))
    done = asm.finish()

    md["page_count"] = len(pages)
    md["page_offsets"] = done.page_offsets
    if done.out_of_page_order():
        md["page_runs"] = done.page_runs
    md["sections"] = done.sections
    md["blocks"] = done.blocks
    if fm.authors:
        md["authors"] = fm.authors
    stamp_texts = [ln.text for ln in page1 if ln.rotated] + [ln.text for ln in page1]
    arxiv, stamp_year = meta.arxiv_id(stamp_texts, filename)
    if arxiv:
        md["arxiv_id"] = arxiv
    year = stamp_year or meta.year_from(imprint) or meta.year_from(front_texts)
    if year is None and arxiv and re.match(r"\d{4}\.", arxiv):
        year = 2000 + int(arxiv[:2])
    if year is None and (m := re.match(r"D:((?:19|20)\d\d)", info.get("CreationDate") or "")):
        year = int(m.group(1))
    if year:
        md["year"] = year
    if doi := meta.doi_from([ln.text for ln in page1]):
        md["doi"] = doi
    if venue := meta.venue_from(imprint):
        md["venue"] = venue
    if abstract := _abstract(done.text, done.sections):
        md["abstract"] = abstract
    refs = [parse_entry(e) for e in split_entries(done.references, vocab)]
    if refs:
        md["references"] = refs
    return Paper(done.text, title, md)


def _abstract(text: str, sections: list[dict[str, Any]]) -> str:
    """The "Abstract" section, else the text before the first heading (up to keywords/CCS lines)."""
    sec = next((s for s in sections if s["title"].lower() in ("abstract", "summary")), None)
    if sec is not None:
        body = text[sec["start"]:sec["end"]]
        body = _ABSTRACT.sub("", body, count=1)
    else:
        end = sections[0]["start"] if sections else min(len(text), 3000)
        body = text[:end]
    body = _KEYWORDS.split(body, maxsplit=1)[0].strip()
    return body if len(body.split()) >= 20 else ""
