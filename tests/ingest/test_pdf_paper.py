"""The PDF reader on papers it has never seen: generated ones (tests/pdfgen.py) whose layout is known."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pdfgen import AUTHORS, HEADER, STAMP, TITLE, paper

from sleuth.chunking import chunk_document
from sleuth.ingest import read_paths
from sleuth.ingest.structure import boundaries, page_at, page_breaks, section_at, section_label_at
from sleuth.types import Document


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> Document:
    path = paper(tmp_path_factory.mktemp("paper") / "synthetic.pdf")
    (got,) = list(read_paths([path]))
    assert isinstance(got, Document)
    return got


def test_metadata_from_the_first_page(doc: Document) -> None:
    md = doc.metadata
    assert doc.title == TITLE
    assert md["authors"] == AUTHORS
    assert md["arxiv_id"] == "2101.01234v2" and md["year"] == 2021  # from the rotated side stamp
    assert md["abstract"].startswith("We study how readers") and md["abstract"].endswith("printed on every page.")
    assert md["page_count"] == 3 and "warnings" not in md


def test_furniture_is_not_body_text(doc: Document) -> None:
    for furniture in (STAMP, "arXiv:2101.01234v2", HEADER, "University of Somewhere", TITLE):
        assert furniture not in doc.text
    assert not re.search(r"(?m)^\s*[23]\s*$", doc.text), "bare page numbers are furniture"


def test_columns_and_pages_are_read_in_order(doc: Document) -> None:
    t = doc.text
    order = ["Layout analysis is an old problem", "The left column ends in the middle of a sentence that continues at "
             "the top of the right column", "A last paragraph of the first page runs onto the next page and closes "
             "its sentence there", "2 Method", "2.1 Details", "3 Results", "The results show"]
    at = [t.find(s) for s in order]
    assert -1 not in at and at == sorted(at), list(zip(order, at))


def test_a_float_never_cuts_a_sentence(doc: Document) -> None:
    sentence = "Floats are placed between lines of text, as in this sentence, which goes on after the figure and ends here."
    assert sentence in doc.text
    caption = "Figure 1: A caption set between two lines."
    footnote = "¹ The data are synthetic and made for this test."
    blocks = {doc.text[b["start"]:b["end"]]: b["kind"] for b in doc.metadata["blocks"]}
    assert blocks[caption] == "caption" and blocks[footnote] == "footnote"
    # Both come after the paragraph they interrupted on the page, as paragraphs of their own.
    assert doc.text.index(caption) > doc.text.index("closes its sentence there")
    assert f"\n\n{caption}\n\n" in doc.text
    # ... and are still cited on the page they are printed on, before the text that follows them there.
    md, t = doc.metadata, doc.text
    assert [page_at(md, t.index(s)) for s in (caption, footnote, "closes its sentence")] == [1, 1, 2]
    assert page_at(md, t.index("2 Method")) == 2


def test_page_runs_say_the_page_of_text_out_of_page_order() -> None:
    md = {"page_offsets": [0, 10, 30], "page_runs": [[0, 1], [10, 2], [20, 1], [25, 2], [30, 3]]}
    assert [page_at(md, o) for o in (0, 9, 10, 19, 20, 24, 25, 30, 99)] == [1, 1, 2, 2, 1, 1, 2, 3, 3]
    assert page_breaks(md, 5, 28) == [(10, 2), (20, 1), (25, 2)]
    assert page_breaks({"page_offsets": [0, 10, 30]}, 5, 28) == [(10, 2)]


def test_hyphenation_and_ligatures(doc: Document) -> None:
    t = doc.text
    assert "Our efficient method" in t  # "effi-" / "cient": a word seen whole elsewhere
    assert "dual-encoder" in t  # both halves are words of the document: a compound keeps its hyphen
    assert "We find that the workflow" in t  # U+FB01 and U+FB02 glyphs become plain letters
    assert not re.search("[\ufb00-\ufb06\ufffe\u00ad]", t)


def test_sections_pages_and_passages(doc: Document) -> None:
    md = doc.metadata
    got = [(s["title"], s["level"], s.get("number")) for s in md["sections"]]
    assert got == [("Abstract", 1, None), ("Introduction", 1, "1"), ("Method", 1, "2"), ("Details", 2, "2.1"),
                   ("Results", 1, "3"), ("References", 1, None)]
    t = doc.text
    assert page_at(md, t.index("Layout analysis")) == 1
    assert page_at(md, t.index("closes its sentence")) == 2
    assert page_at(md, t.index("The details of the method")) == 2
    assert section_at(md, t.index("The details of the method")) == "Details"
    assert section_label_at(md, t.index("The results show")) == "3 Results"
    # Passages never cross a section boundary, even with a size that would swallow the whole paper.
    spans = chunk_document(t, md, "sentence", 500, 0)
    cuts = boundaries(md, len(t))
    assert all(any(a <= s and e <= b for a, b in cuts) for s, e in spans)
    assert len({section_at(md, s) for s, _ in spans}) == 5


def test_references_are_parsed_and_kept_out_of_the_text(doc: Document) -> None:
    refs = doc.metadata["references"]
    assert [r["year"] for r in refs] == [2019, 2020, 2021]
    assert refs[0]["authors"] == ["Ada Lovelace", "Alan Turing"] and refs[0]["title"] == "A study of engines"
    assert refs[1]["title"] == "Compilers for everyone"
    assert refs[2]["arxiv_id"] == "2101.00001"
    assert "Compilers for everyone" not in doc.text


def test_references_can_be_indexed_as_text(tmp_path: Path) -> None:
    (d,) = list(read_paths([paper(tmp_path / "p.pdf")], include_references=True))
    assert "Compilers for everyone" in d.text and len(d.metadata["references"]) == 3
