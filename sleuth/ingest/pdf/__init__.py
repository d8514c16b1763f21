"""PDF papers: layout-aware text, structure and metadata (see :mod:`.reader` and :mod:`.paper`).

    lines.py       PDFium characters -> lines (superscripts, small caps, accents)
    layout.py      lines -> blocks -> reading order (columns)
    furniture.py   running headers/footers, page numbers, stamps, imprints
    structure.py   block kinds (heading, caption, footnote, table, body) and the assembled text
    metadata.py    title, authors, year, arXiv id, DOI, venue
    references.py  the reference list, split into parsed entries
    clean.py       ligatures/NFKC on letters, line-end hyphenation
    paper.py       the pipeline over those; reader.py registers the ``pdf`` format
"""

from __future__ import annotations

from collections.abc import Iterator

from sleuth.ingest.base import FORMATS, Format, Item, Options, Source


def read_pdf(source: Source, opts: Options) -> Iterator[Item]:
    """The ``pdf`` reader (:func:`.reader.read_pdf`), imported on first use: PDFium loads only for PDFs."""
    from sleuth.ingest.pdf.reader import read_pdf as read

    return read(source, opts)


FORMATS.add("pdf", Format("pdf", read_pdf, extensions=(".pdf",)))
