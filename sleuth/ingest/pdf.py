"""PDF (``.pdf``) through pypdf: one document per file, the pages' text joined by a blank line.

Metadata: ``page_count`` and ``page_offsets`` (where each page starts in the text). The title is
the PDF's /Title, else the first non-empty line, else the file's stem. Files encrypted with only an
owner password are read; a user password makes the file unreadable.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PdfReader

from sleuth.ingest.base import FORMATS, Format, Item, Options, Rejected, Source, bad, empty, read_bytes
from sleuth.types import Document

PAGE_SEPARATOR = "\n\n"


class _Unreadable(Exception):
    pass


def read_pdf(source: Source, opts: Options) -> Iterator[Item]:
    data = read_bytes(source.path, opts)
    if isinstance(data, Rejected):
        yield data
        return
    try:
        pages, pdf_title = _extract(data)
        failure = ""
    except Exception as e:  # noqa: BLE001 - pypdf reports damage through many exception types
        failure = str(e) or type(e).__name__
    if failure:
        # Raised outside the except block so that no pypdf traceback is chained to the error.
        yield bad(opts, source.path, None, f"could not parse PDF: {failure}", "check that it opens in a PDF viewer")
        return

    text = PAGE_SEPARATOR.join(pages)
    if not text.strip():
        yield empty(source.path, None, "no extractable text (scanned? run OCR first)")
        return
    offsets = []
    start = 0
    for page in pages:
        offsets.append(start)
        start += len(page) + len(PAGE_SEPARATOR)
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    yield Document(
        doc_id=source.rel,
        text=text,
        title=pdf_title or first_line or source.path.stem,
        source=str(source.path),
        metadata={"page_count": len(pages), "page_offsets": offsets},
    )


def _extract(data: bytes) -> tuple[list[str], str]:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise _Unreadable("encrypted with a password; decrypt it first (e.g. qpdf --decrypt)")
    # Broken surrogates from bad font maps would make the text unwritable as UTF-8.
    pages = [_clean(page.extract_text() or "") for page in reader.pages]
    title = reader.metadata.title if reader.metadata else None
    return pages, _clean(title).strip() if isinstance(title, str) else ""


def _clean(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


FORMATS.add("pdf", Format("pdf", read_pdf, extensions=(".pdf",)))
