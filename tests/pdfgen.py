"""Small real PDFs for the tests, written with fpdf2 and the DejaVu fonts matplotlib ships.

``paper()`` lays out a synthetic two-column paper whose every property a test checks is known by
construction: title, authors, an arXiv side stamp, running headers and page numbers on pages 2-3, a
footnote, a figure caption between two lines of one sentence, a line-end hyphen that must be undone
and a compound hyphen that must stay, ligature glyphs (U+FB01, U+FB02), a paragraph that runs from
the left column into the right one and from page 1 onto page 2, numbered sections and a numbered
reference list.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from fpdf import FPDF

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
TITLE = "Synthetic Layouts for Testing Paper Readers"
AUTHORS = ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
STAMP = "arXiv:2101.01234v2 [cs.CL] 5 Jan 2021"
HEADER = "Synthetic Layouts for Testing"
LEFT, RIGHT, WIDTH = 50.0, 322.0, 240.0
LEADING = 12.0


def save(pdf: FPDF, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def new_pdf() -> FPDF:
    pdf = FPDF(unit="pt", format=(612, 792))
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSerif.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSerif-Bold.ttf"))
    pdf.set_text_shaping(False)
    return pdf


def column(pdf: FPDF, x: float, y: float, lines: list[str], size: float = 10, style: str = "") -> float:
    """Write ``lines`` one under the other from baseline ``y``; returns the next baseline."""
    pdf.set_font("DejaVu", style, size)
    for line in lines:
        pdf.text(x, y, line)
        y += size * 1.2
    return y


def paper(path: Path) -> Path:
    pdf = new_pdf()
    # -- page 1 ---------------------------------------------------------------------------------------
    pdf.add_page()
    with pdf.rotation(90, 30, 560):
        pdf.set_font("DejaVu", "", 16)
        pdf.text(30, 560, STAMP)
    pdf.set_font("DejaVu", "B", 18)
    pdf.text(110, 80, TITLE)
    pdf.set_font("DejaVu", "", 11)
    pdf.text(180, 108, ", ".join(AUTHORS[:2]) + " and " + AUTHORS[2])
    pdf.set_font("DejaVu", "", 10)
    pdf.text(215, 124, "University of Somewhere, Nowhere")
    column(pdf, LEFT, 165, ["Abstract"], 11, "B")
    y = column(pdf, LEFT, 183, [
        "We study how readers of scientific papers find",
        "the body text of a page. An efficient reader",
        "keeps columns in order and drops what is",
        "printed on every page.",
    ])
    y = column(pdf, LEFT, y + 14, ["1 Introduction"], 11, "B")
    column(pdf, LEFT, y + 6, [
        "Layout analysis is an old problem. Our effi-",
        "cient method groups characters into lines and",
        "lines into blocks, then orders the blocks by",
        "columns. We use a dual-",
        "encoder only as an example of a compound, and",
        "a dual model and an encoder elsewhere. We ﬁnd",
        "that the workﬂow of a reader matters. The left",
        "column ends in the middle of a sentence that",
    ])
    column(pdf, LEFT, 735, ["¹ The data are synthetic and made for this test."], 8)
    y = column(pdf, RIGHT, 165, [
        "continues at the top of the right column with",
        "more words. Floats are placed between lines of",
        "text, as in this sentence, which goes on",
    ])
    y = column(pdf, RIGHT, y + 16, ["Figure 1: A caption set between two lines."], 9)
    column(pdf, RIGHT, y + 16, [
        "after the figure and ends here. A last paragraph",
        "of the first page runs onto the next page and",
    ])
    # -- pages 2 and 3 ----------------------------------------------------------------------------------
    for number, left, right in (
        (2, [
            "closes its sentence there. Efficient readers",
            "are the goal of this work.",
            "",
            "2 Method",
            "We describe the method. It has two parts.",
            "",
            "2.1 Details",
            "The details of the method are these ones.",
        ], [
            "3 Results",
            "The results show that the method works well",
            "on every page we tried it on.",
        ]),
        (3, [
            "References",
            "[1] Ada Lovelace and Alan Turing. 2019. A study",
            "of engines. In Proceedings of Testing.",
            "[2] Grace Hopper. 2020. Compilers for everyone.",
            "Journal of Code, 12(3):1–10.",
            "[3] Alan Turing. 2021. Thinking machines, again.",
            "arXiv:2101.00001.",
        ], []),
    ):
        pdf.add_page()
        pdf.set_font("DejaVu", "", 8)
        pdf.text(LEFT, 30, HEADER)
        pdf.text(300, 770, str(number))
        y = 70.0
        for line in left:
            heading = line[:1].isdigit() and not line.startswith("[") or line == "References"
            if line:
                y = column(pdf, LEFT, y + (8 if heading else 0), [line], 11 if heading else 10, "B" if heading else "")
            else:
                y += 6
        y = 70.0
        for line in right:
            heading = line[:1].isdigit()
            y = column(pdf, RIGHT, y + (8 if heading else 0), [line], 11 if heading else 10, "B" if heading else "")
    return save(pdf, path)


def one_column(path: Path, pages: int = 2, words: str = "plain text for a page") -> Path:
    """A one-column document: a title and a few lines per page."""
    pdf = new_pdf()
    for p in range(pages):
        pdf.add_page()
        if p == 0:
            pdf.set_font("DejaVu", "B", 16)
            pdf.text(72, 80, "A One Column Note")
        column(pdf, 72, 120, [f"Page {p + 1} holds {words}.", "It is short."])
    return save(pdf, path)


def blank_pages(path: Path, text_pages: int, blank: int) -> Path:
    """``text_pages`` pages with text, then ``blank`` pages without a text layer (a scan's)."""
    pdf = new_pdf()
    for p in range(text_pages + blank):
        pdf.add_page()
        if p < text_pages:
            column(pdf, 72, 120, [f"Text on page {p + 1} of a partly scanned file."])
        else:
            pdf.rect(72, 72, 400, 600, style="F")  # an image stands in for the scan: no text
    return save(pdf, path)


def zero_pages(path: Path) -> Path:
    """A syntactically valid PDF whose page tree is empty."""
    body = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(body, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Root 1 0 R /Size 3 >>\nstartxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(bytes(out))
    return path


def broken_xref(source: Path, path: Path) -> Path:
    """``source`` with every cross-reference offset wrong (viewers rebuild the table)."""
    data = bytearray(source.read_bytes())
    at = data.rfind(b"\nxref")
    head, tail = bytes(data[:at]), bytes(data[at:])
    tail = b"\n".join(b"0000000001 00000 n " if line.endswith(b" n ") or line.endswith(b" n") else line
                      for line in tail.split(b"\n"))
    path.write_bytes(head + tail)
    return path


def many_pages(path: Path, pages: int) -> Path:
    pdf = new_pdf()
    pdf.set_font("DejaVu", "", 10)
    for p in range(pages):
        pdf.add_page()
        pdf.text(72, 100, f"Page {p + 1} of a very long report, with one line of text.")
    return save(pdf, path)
