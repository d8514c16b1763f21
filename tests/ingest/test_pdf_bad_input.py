"""PDFs that are hard to read: each gives a clear message, or is read as far as it can be."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from pdfgen import blank_pages, broken_xref, many_pages, one_column, zero_pages
from pypdf import PdfWriter

from sleuth.errors import FormatError
from sleuth.ingest import Rejected, read_paths
from sleuth.types import Document


def test_encrypted_with_an_empty_user_password_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=one_column(tmp_path / "plain.pdf"))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    writer.write(tmp_path / "locked.pdf")
    (doc,) = list(read_paths([tmp_path / "locked.pdf"]))
    assert doc.text.startswith("Page 1 holds")


def test_encrypted_with_a_password_says_decrypt(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=one_column(tmp_path / "plain.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    writer.write(tmp_path / "locked.pdf")
    with pytest.raises(FormatError) as e:
        list(read_paths([tmp_path / "locked.pdf"]))
    assert "encrypted with a password" in e.value.what and "qpdf --decrypt" in e.value.fix


def test_broken_cross_reference_table_is_rebuilt(tmp_path: Path) -> None:
    path = broken_xref(one_column(tmp_path / "ok.pdf"), tmp_path / "broken.pdf")
    (doc,) = list(read_paths([path]))
    assert "Page 2 holds plain text for a page." in doc.text


def test_zero_pages_is_reported_not_fatal(tmp_path: Path) -> None:
    path = zero_pages(tmp_path / "empty.pdf")
    assert list(read_paths([path])) == [Rejected(str(path), None, "PDF has no pages")]


def test_scanned_pages_are_named_and_the_rest_indexed(tmp_path: Path) -> None:
    (doc,) = list(read_paths([blank_pages(tmp_path / "part.pdf", text_pages=2, blank=3)]))
    assert "Text on page 2" in doc.text
    (warning,) = [w for w in doc.metadata["warnings"] if "no text layer" in w]
    assert "3 page(s)" in warning and "3-5" in warning and "OCR" in warning


def test_fully_scanned_pdf_is_reported_with_ocr_advice(tmp_path: Path) -> None:
    path = blank_pages(tmp_path / "scan.pdf", text_pages=0, blank=2)
    (got,) = list(read_paths([path]))
    assert isinstance(got, Rejected) and "OCR" in got.reason and got.empty


@pytest.mark.timeout(300)
def test_a_thousand_pages_in_bounded_memory(tmp_path: Path) -> None:
    path = many_pages(tmp_path / "long.pdf", 1000)
    tracemalloc.start()
    (doc,) = list(read_paths([path]))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert doc.metadata["page_count"] == 1000 and "Page 1000 of a very long report" in doc.text
    assert len(doc.metadata["page_offsets"]) == 1000
    # Pages are read one at a time: the peak is the text and its lines, not 1,000 pages of characters.
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_a_folder_with_one_bad_pdf_gives_the_rest(tmp_path: Path) -> None:
    one_column(tmp_path / "a.pdf")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    one_column(tmp_path / "c.pdf", words="other words")
    items = list(read_paths([tmp_path], skip_bad=True))
    assert [type(i).__name__ for i in items] == ["Document", "Rejected", "Document"]
    assert "could not parse PDF" in items[1].reason and not items[1].empty
    assert isinstance(items[2], Document) and "other words" in items[2].text
