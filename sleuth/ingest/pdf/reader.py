"""The ``pdf`` input format: PDFium (pypdfium2) text with layout -> one structured Document per file.

PDFium was chosen by measurement (``benchmarks/bench_pdf.py``): it gives every character's box, size
and weight, repairs broken cross-reference tables itself, and reads pages several times faster than
pypdf or pdfminer.six. Pages are loaded, turned into lines and closed one at a time, so a 1,000-page
PDF never holds more than one page's characters in memory.

Bad input: a PDF that needs a password (an empty user password is tried, as viewers do) and one that
is not a PDF or is damaged beyond repair (PDFium rebuilds broken cross-reference tables itself) are
rejected with a message saying so; one without any text layer (scanned: run OCR first) or without
pages is reported as empty. Pages without text or that cannot be loaded, in an otherwise good PDF,
are listed in ``metadata["warnings"]``, as is a title that had to come from the file name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium

from sleuth.ingest.base import Item, Options, Source, bad, empty
from sleuth.ingest.pdf.lines import Line, page_lines
from sleuth.ingest.pdf.paper import build
from sleuth.types import Document

_OCR = "run OCR on it first (e.g. ocrmypdf in.pdf out.pdf), then index the result"


def read_pdf(source: Source, opts: Options) -> Iterator[Item]:
    path = source.path
    doc, failure = _open(path)
    if doc is None and not failure[0]:
        yield empty(path, None, "PDF has no pages")
        return
    if doc is None:
        # Reported outside the except block, so that no PDFium traceback is chained to the error.
        yield bad(opts, path, None, *failure)
        return
    try:
        pages, heights, widths, broken = _pages(doc)
        info = doc.get_metadata_dict(skip_empty=True)
    finally:
        doc.close()
    if not pages:
        yield empty(path, None, "PDF has no pages")
        return
    blank = [i + 1 for i, page in enumerate(pages) if not page]
    if len(blank) == len(pages):
        what = "no page could be read" if len(broken) == len(pages) else "no extractable text (scanned? run OCR first)"
        yield empty(path, None, what)
        return
    paper = build(pages, heights, widths, info, path.name, include_references=opts.include_references)
    if not paper.text.strip():
        yield empty(path, None, "no body text found in the PDF")
        return
    md = paper.metadata
    warnings = []
    if broken:
        warnings.append(f"{len(broken)} page(s) could not be read (damaged): {_ranges(broken)}")
    if scanned := [p for p in blank if p not in broken]:
        warnings.append(f"{len(scanned)} page(s) have no text layer (scanned?): {_ranges(scanned)}; {_OCR}")
    if md.get("title_source") == "file name":
        warnings.append("no title found on page 1 or in the PDF's information: the file name is used; "
                        "correct it with `sleuth meta DOC --title ...`")
    if warnings:
        md["warnings"] = warnings
    yield Document(doc_id=source.rel, text=paper.text, title=paper.title, source=str(path), metadata=md)


def _open(path: Path) -> tuple[pdfium.PdfDocument | None, tuple[str, str]]:
    try:
        return pdfium.PdfDocument(str(path), password=""), ("", "")
    except pdfium.PdfiumError as exc:
        # PDFium's last-error code is process-wide and not always reset, so the file itself says why.
        data = _head_and_tail(path)
        if b"/Encrypt" in data:
            return None, ("could not parse PDF: encrypted with a password",
                          "decrypt it first (e.g. qpdf --decrypt --password=... in.pdf out.pdf)")
        if data.startswith(b"%PDF") and re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Type\s*/Page\b", data):
            return None, ("", "")  # PDFium refuses a document whose page tree is empty
        return None, (f"could not parse PDF: {exc}",
                      "check that it opens in a PDF viewer; re-save or repair it (e.g. qpdf in.pdf out.pdf)")
    except OSError as exc:
        return None, (f"cannot read: {exc.strerror or exc}", "check that it exists and is readable")


def _head_and_tail(path: Path, size: int = 1 << 20) -> bytes:
    """The first and last MiB of a file (where a PDF's header, trailer and page tree usually are)."""
    try:
        with path.open("rb") as f:
            head = f.read(size)
            f.seek(0, 2)
            end = f.tell()
            f.seek(max(len(head), end - size))
            return head + f.read()
    except OSError:
        return b""


def _pages(doc: pdfium.PdfDocument) -> tuple[list[list[Line]], list[float], list[float], list[int]]:
    """Lines, heights and widths of every page, and the (1-based) pages PDFium could not load."""
    pages: list[list[Line]] = []
    heights: list[float] = []
    widths: list[float] = []
    broken: list[int] = []
    for i in range(len(doc)):
        try:
            page = doc[i]
        except pdfium.PdfiumError:
            broken.append(i + 1)
            pages.append([])
            heights.append(heights[-1] if heights else 792.0)
            widths.append(widths[-1] if widths else 612.0)
            continue
        try:
            width, height = page.get_size()
            textpage = page.get_textpage()
            try:
                pages.append(page_lines(textpage, height, i))
            finally:
                textpage.close()
        finally:
            page.close()
        heights.append(height)
        widths.append(width)
    return pages, heights, widths, broken


def _ranges(numbers: list[int]) -> str:
    out: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:  # type: ignore[list-item]
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)

