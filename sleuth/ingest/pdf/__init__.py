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

from sleuth.ingest.pdf import reader  # noqa: F401 - registers the format
