"""Happy paths: each format's ids, titles, metadata and exact text, and the directory walk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pypdf import PdfWriter

from sleuth.ingest import FORMATS, Rejected, read_paths
from sleuth.types import Document

SHARED_PDFS = Path(__file__).resolve().parents[3] / "shared" / "data" / "pdfs"


def docs(*args, **kwargs) -> list[Document]:
    items = list(read_paths(*args, **kwargs))
    assert all(isinstance(i, Document) for i in items), items
    return items


def by_id(items: list[Document]) -> dict[str, Document]:
    return {d.doc_id: d for d in items}


def test_formats_registry_names():
    assert FORMATS.names() == ["beir", "bibtex", "jsonl", "markdown", "pdf", "text"]


def test_directory_walk_ids_order_and_skips(data):
    found = docs([data / "docs"])
    assert [d.doc_id for d in found] == ["guide.md", "notes.txt", "papers/two-pages.pdf", "sub/deep.markdown"]
    assert found[1].source == str(data / "docs" / "notes.txt")


def test_single_file_id_is_its_name(data):
    (doc,) = docs(data / "docs" / "sub" / "deep.markdown")
    assert doc.doc_id == "deep.markdown"
    assert doc.source == str(data / "docs" / "sub" / "deep.markdown")


def test_hidden_file_given_explicitly_is_read(data):
    (doc,) = docs([data / "docs" / "sub" / ".hidden.txt"])
    assert doc.text == "hidden\n"


def test_text_exact_content_bom_stripped_line_endings_kept(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"\xef\xbb\xbfline one\r\nline two\rthree\n")
    (doc,) = docs([path])
    assert doc.text == "line one\r\nline two\rthree\n"
    assert doc.title == "crlf"
    assert doc.metadata == {}


def test_text_other_encoding(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("café".encode("latin-1"))
    (doc,) = docs([path], encoding="latin-1")
    assert doc.text == "café"


def test_markdown_front_matter_and_heading(data):
    (doc,) = docs([data / "docs" / "guide.md"])
    assert doc.title == "Getting Started"
    assert doc.metadata == {"author": "Ada", "tags": ["search", "ranking"], "date": "2024-05-01"}
    source = (data / "docs" / "guide.md").read_text()
    assert doc.text == source[source.index("Intro") :]
    assert doc.text.startswith("Intro paragraph")


def test_markdown_title_from_front_matter_wins(tmp_path):
    path = tmp_path / "post.md"
    path.write_text("---\r\ntitle: From YAML\r\n---\r\n# From heading\r\nbody\r\n", newline="")
    (doc,) = docs([path])
    assert doc.title == "From YAML"
    assert doc.text == "# From heading\r\nbody\r\n"
    assert doc.metadata == {"title": "From YAML"}


def test_markdown_without_h1_uses_stem(data):
    (doc,) = docs([data / "docs" / "sub" / "deep.markdown"])
    assert doc.title == "deep"
    assert doc.text == (data / "docs" / "sub" / "deep.markdown").read_text()


def test_markdown_thematic_break_is_not_front_matter(tmp_path):
    path = tmp_path / "rule.md"
    content = "---\nA setext heading\n---\nbody\n"
    path.write_text(content)
    (doc,) = docs([path])
    assert doc.text == content
    assert doc.metadata == {}


def test_markdown_empty_front_matter_is_removed(tmp_path):
    path = tmp_path / "bare.md"
    path.write_text("---\n---\n# Title\n")
    (doc,) = docs([path])
    assert doc.text == "# Title\n"
    assert doc.title == "Title"


def test_generic_jsonl_custom_fields(data):
    found = docs([data / "generic.jsonl"], id_field="pid", title_field="heading", text_field="body")
    assert [d.doc_id for d in found] == ["p-1", "generic.jsonl:3", "42"]
    first = found[0]
    assert (first.title, first.text, first.metadata) == ("First", "The first passage.", {"lang": "en"})
    assert found[2].title == ""
    assert all(d.source == str(data / "generic.jsonl") for d in found)


def test_jsonl_default_fields_crlf_bom_and_blank_lines(tmp_path):
    path = tmp_path / "c.ndjson"
    path.write_bytes(
        b'\xef\xbb\xbf{"_id": "a", "title": "T", "text": "x\\ny", "extra": {"k": [1]}}\r\n\r\n   \n{"_id": "b", "text": "z"}'
    )
    found = docs([path])
    assert [(d.doc_id, d.title, d.text) for d in found] == [("a", "T", "x\ny"), ("b", "", "z")]
    assert found[0].metadata == {"extra": {"k": [1]}}


def test_jsonl_missing_id_uses_relative_path_and_line(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "r.jsonl").write_text('{"text": "one"}\n\n{"text": "two"}\n')
    assert [d.doc_id for d in docs([tmp_path])] == ["sub/r.jsonl:1", "sub/r.jsonl:3"]


def test_duplicate_ids_are_all_yielded(tmp_path):
    path = tmp_path / "dup.jsonl"
    path.write_text('{"_id": "x", "text": "first"}\n{"_id": "x", "text": "second"}\n')
    assert [d.text for d in docs([path])] == ["first", "second"]


def test_beir_directory_reads_only_the_corpus(data):
    found = docs([data / "beir-mini"])
    assert [d.doc_id for d in found] == ["d1", "d2"]
    d1 = by_id(found)["d1"]
    assert d1.title == "Sleuth"
    assert d1.text == "Sleuth finds answers in documents."
    assert d1.metadata == {"url": "https://example.org/d1", "year": 2024}
    assert d1.source == str(data / "beir-mini" / "corpus.jsonl")


def test_beir_corpus_file_and_forced_format(data):
    assert [d.doc_id for d in docs([data / "beir-mini" / "corpus.jsonl"])] == ["d1", "d2"]
    assert [d.doc_id for d in docs([data / "beir-mini"], fmt="beir")] == ["d1", "d2"]


def test_beir_nested_in_a_walked_directory(data, tmp_path):
    shutil.copytree(data / "beir-mini", tmp_path / "datasets" / "mini")
    (tmp_path / "readme.txt").write_text("about the datasets")
    found = docs([tmp_path])
    assert [d.doc_id for d in found] == ["d1", "d2", "readme.txt"]
    assert found[0].source == str(tmp_path / "datasets" / "mini" / "corpus.jsonl")


def test_forced_format_reads_any_extension(tmp_path):
    path = tmp_path / "server.log"
    path.write_text("started\n")
    (doc,) = docs([path], fmt="text")
    assert (doc.doc_id, doc.text) == ("server.log", "started\n")


def test_paths_accepts_a_single_string(data):
    assert [d.doc_id for d in docs(str(data / "docs" / "notes.txt"))] == ["notes.txt"]


def test_pdf_pages_title_and_offsets(data):
    (doc,) = docs([data / "docs" / "papers" / "two-pages.pdf"])
    assert doc.doc_id == "two-pages.pdf"
    assert doc.title == "A Tiny Test PDF"
    # Lines of one paragraph are reflowed into one line; pages are paragraphs apart.
    assert doc.text == "Hello sleuth. A second line (with parens).\n\nPage two says goodbye."
    assert doc.metadata["page_count"] == 2
    offsets = doc.metadata["page_offsets"]
    assert offsets[0] == 0
    assert doc.text[offsets[1] :] == "Page two says goodbye."


def test_pdf_without_title_uses_the_file_name_and_says_so(tmp_path, pdf_maker):
    path = tmp_path / "notes-on-things.pdf"
    path.write_bytes(pdf_maker([["   "], ["First real line", "more"]]))
    (doc,) = docs([path])
    assert doc.title == "notes-on-things"
    assert doc.metadata["title_source"] == "file name"
    assert any("file name" in w for w in doc.metadata["warnings"])
    assert any("no text layer" in w and ": 1;" in w for w in doc.metadata["warnings"])
    assert doc.metadata["page_offsets"] == [0, 0]


def test_pdf_with_owner_password_only_is_read(tmp_path, data):
    writer = PdfWriter(clone_from=data / "docs" / "papers" / "two-pages.pdf")
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    (doc,) = docs([path])
    assert doc.text.startswith("Hello sleuth.")


@pytest.mark.shared
def test_real_paper_pdf():
    path = SHARED_PDFS / "arxiv-2202.00535v1.pdf"
    if not path.exists():
        pytest.skip("../shared/data/pdfs is absent")
    (doc,) = docs([path])
    assert doc.metadata["page_count"] == 12
    assert "Paraphrase" in doc.text
    offsets = doc.metadata["page_offsets"]
    assert offsets == sorted(offsets) and len(offsets) == 12
    # A page starts between words, or inside one rejoined across the page break ("in-" / "terested").
    assert all(doc.text[o - 1].isspace() or doc.text[o - 1].isalpha() for o in offsets[1:] if 0 < o < len(doc.text))


def test_rejected_is_a_frozen_record():
    r = Rejected("a.txt", None, "empty file")
    with pytest.raises(AttributeError):
        r.reason = "x"  # type: ignore[misc]
