"""Bad input: every problem raises a FormatError naming file and line, or with skip_bad is yielded
as a Rejected; empty inputs are always Rejected; bad paths and options raise before any reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfWriter

from sleuth.errors import ConfigError, FormatError, InputError
from sleuth.ingest import Rejected, read_paths
from sleuth.types import Document


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def raised(path: Path, **kwargs) -> FormatError:
    with pytest.raises(FormatError) as info:
        list(read_paths([path], **kwargs))
    assert info.value.path == str(path)
    return info.value


def rejected(path: Path, **kwargs) -> list[Rejected]:
    items = list(read_paths([path], skip_bad=True, **kwargs))
    return [i for i in items if isinstance(i, Rejected)]


GOOD = '{"_id": "ok", "text": "fine"}\n'


# --- JSON lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "phrases"),
    [
        ('{"_id": "a", "text": "unterminated}', ["invalid JSON", "column"]),
        ("[1, 2]", ["expected a JSON object, got an array"]),
        ('"just a string"', ["expected a JSON object, got a string"]),
        ('{"_id": "a", "body": "x", "lang": "en"}', ["missing field 'text'", "fields present: _id, body, lang"]),
        ('{"_id": "a", "text": ["x"]}', ["field 'text' must be a string, got an array"]),
        ('{"_id": "a", "text": null}', ["field 'text' must be a string, got null"]),
        ('{"_id": 1.5, "text": "x"}', ["field '_id' must be a string or an integer, got a number"]),
        ('{"_id": true, "text": "x"}', ["field '_id' must be a string or an integer, got a boolean"]),
        ('{"_id": " ", "text": "x"}', ["field '_id' is empty"]),
        ('{"_id": "a", "title": 3, "text": "x"}', ["field 'title' must be a string, got a number"]),
        ('{"_id": "a", "text": "bad \\ud800 surrogate"}', ["lone surrogate"]),
        ("[" * 100_000, ["invalid JSON"]),
    ],
)
def test_bad_json_line_raises_with_line_number(tmp_path, line, phrases):
    path = write(tmp_path, "c.jsonl", GOOD + line + "\n" + GOOD)
    error = raised(path)
    assert error.line == 2
    assert str(error).startswith(f"{path}:2: ")
    for phrase in phrases:
        assert phrase in error.what
    assert "--skip-bad" in error.fix


def test_bad_json_line_with_skip_bad_is_rejected_and_reading_goes_on(tmp_path):
    path = write(tmp_path, "c.jsonl", GOOD + "{oops\n" + '{"_id": "after", "text": "still read"}\n')
    items = list(read_paths([path], skip_bad=True))
    assert [type(i) for i in items] == [Document, Rejected, Document]
    bad = items[1]
    assert (bad.source, bad.line) == (str(path), 2)
    assert bad.reason.startswith("invalid JSON: ")
    assert "fix the line" in bad.reason
    assert items[2].doc_id == "after"


def test_missing_text_field_hints_at_the_option(tmp_path):
    error = raised(write(tmp_path, "c.jsonl", '{"body": "x"}\n'))
    assert "--text-field" in error.fix


def test_beir_requires_id(tmp_path):
    error = raised(write(tmp_path, "corpus.jsonl", GOOD + '{"title": "t", "text": "x"}\n'))
    assert error.line == 2
    assert "missing field '_id' (fields present: title, text)" in error.what


def test_beir_ignores_custom_field_names(tmp_path):
    path = write(tmp_path, "corpus.jsonl", GOOD)
    (doc,) = read_paths([path], text_field="body")
    assert doc.text == "fine"


def test_many_fields_are_listed_shortly(tmp_path):
    record = "{" + ", ".join(f'"f{i}": {i}' for i in range(30)) + "}"
    error = raised(write(tmp_path, "c.jsonl", record + "\n"))
    assert "f9, ... (30 in all)" in error.what


# --- empty inputs: always Rejected, never raised -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "line", "reason"),
    [
        ("e.txt", b"", None, "empty file"),
        ("e.txt", b"\xef\xbb\xbf", None, "empty file"),
        ("w.txt", b" \n\t\r\n", None, "empty text: only whitespace"),
        ("e.md", b"", None, "empty file"),
        ("fm.md", b"---\ntitle: x\n---\n\n", None, "empty text: only front matter"),
        ("e.jsonl", b"", None, "empty file"),
        ("e.pdf", b"", None, "empty file"),
        ("b.jsonl", b"\n  \n\r\n", None, "empty file: no JSON records"),
        ("t.jsonl", b'{"_id": "a", "text": " \\n "}\n', 1, "empty text and title in record 'a'"),
    ],
)
def test_empty_input_is_rejected_without_skip_bad(tmp_path, name, content, line, reason):
    path = write(tmp_path, name, content)
    assert list(read_paths([path])) == [Rejected(str(path), line, reason)]


def test_empty_record_does_not_stop_the_file(tmp_path):
    path = write(tmp_path, "c.jsonl", '{"_id": "a", "text": ""}\n' + GOOD)
    items = list(read_paths([path]))
    assert isinstance(items[0], Rejected) and items[1].doc_id == "ok"


# --- encodings and binary files -----------------------------------------------------------------


def test_undecodable_text_file(tmp_path):
    path = write(tmp_path, "l.txt", b"line one\ncaf\xe9\n")
    error = raised(path)
    assert error.line == 2
    assert "not valid utf-8 at byte 12" in error.what
    assert "iconv -f latin1 -t utf-8" in error.fix and "--encoding latin-1" in error.fix
    (r,) = rejected(path)
    assert (r.line, r.reason.split(";")[0]) == (2, "not valid utf-8 at byte 12")
    (doc,) = read_paths([path], encoding="latin-1")
    assert doc.text == "line one\ncafé\n"


def test_undecodable_jsonl_line_counts_bytes_from_file_start(tmp_path):
    path = write(tmp_path, "c.jsonl", GOOD.encode() + b'{"_id": "b", "text": "caf\xe9"}\n' + GOOD.encode())
    error = raised(path)
    assert error.line == 2
    assert f"not valid utf-8 at byte {len(GOOD) + 25}" in error.what
    items = list(read_paths([path], skip_bad=True))
    assert [type(i) for i in items] == [Document, Rejected, Document]


@pytest.mark.parametrize("name", ["b.txt", "b.md", "b.jsonl"])
def test_binary_file_given_as_text(tmp_path, name):
    path = write(tmp_path, name, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    error = raised(path)
    assert error.line is None
    assert "looks like a binary file" in error.what
    (r,) = rejected(path)
    assert r.reason.startswith("looks like a binary file")


def test_utf16_is_not_mistaken_for_binary(tmp_path):
    path = write(tmp_path, "u.txt", "wide text".encode("utf-16"))
    (doc,) = read_paths([path], encoding="utf-16")
    assert doc.text == "wide text"


# --- markdown front matter ----------------------------------------------------------------------


def test_invalid_front_matter(tmp_path):
    path = write(tmp_path, "f.md", "---\ntitle: ok\ntags: [a, b\n---\n# T\n")
    error = raised(path)
    assert "invalid YAML front matter" in error.what
    assert error.line is not None and error.line >= 3
    (r,) = rejected(path)
    assert "fix the front matter" in r.reason


def test_front_matter_with_impossible_date(tmp_path):
    error = raised(write(tmp_path, "f.md", "---\ndate: 2023-02-30\n---\n# T\n"))
    assert "invalid YAML front matter" in error.what


# --- PDF ----------------------------------------------------------------------------------------


def test_garbage_pdf(tmp_path):
    path = write(tmp_path, "g.pdf", b"this is not a PDF at all")
    error = raised(path)
    assert "could not parse PDF: " in error.what
    assert error.__cause__ is None and error.__context__ is None
    (r,) = rejected(path)
    assert r.reason.startswith("could not parse PDF: ")


def test_truncated_pdf(tmp_path, data):
    content = (data / "docs" / "papers" / "two-pages.pdf").read_bytes()
    path = write(tmp_path, "t.pdf", content[: len(content) // 3])
    items = list(read_paths([path], skip_bad=True))
    # pypdf may recover some text from a truncated file; what it must never do is crash.
    assert len(items) == 1
    assert isinstance(items[0], Document) or "PDF" in items[0].reason or "text" in items[0].reason


def test_pdf_with_user_password(tmp_path, data):
    writer = PdfWriter(clone_from=data / "docs" / "papers" / "two-pages.pdf")
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    error = raised(path)
    assert "could not parse PDF: encrypted with a password" in error.what


def test_pdf_without_text(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    path = tmp_path / "scan.pdf"
    writer.write(path)
    assert list(read_paths([path])) == [
        Rejected(str(path), None, "no extractable text (scanned? run OCR first)")
    ]  # reported (a scan is not malformed), never fatal


# --- paths and options: raised before anything is read ------------------------------------------


def test_missing_path_raises_at_call_even_with_skip_bad(tmp_path, data):
    missing = tmp_path / "nope.txt"
    for skip_bad in (False, True):
        with pytest.raises(InputError, match="No such file or directory") as info:
            read_paths([data / "docs" / "notes.txt", missing], skip_bad=skip_bad)
        assert str(missing) in str(info.value)
        assert not isinstance(info.value, FormatError)


def test_unknown_extension_given_explicitly(tmp_path):
    path = write(tmp_path, "table.csv", "a,b\n")
    with pytest.raises(InputError, match="Unknown file type") as info:
        read_paths([path])
    for ext in (".jsonl", ".md", ".markdown", ".ndjson", ".pdf", ".txt", "corpus.jsonl"):
        assert ext in info.value.fix
    assert "--format" in info.value.fix


def test_unknown_format_lists_the_valid_ones(tmp_path):
    with pytest.raises(ConfigError, match="Unknown input format 'mardown'") as info:
        read_paths([tmp_path], fmt="mardown")
    assert "Did you mean 'markdown'" in str(info.value)
    assert "beir, bibtex, jsonl, markdown, pdf, text" in info.value.fix


@pytest.mark.parametrize("encoding", ["utf-9", "rot13"])
def test_unknown_encoding(tmp_path, encoding):
    with pytest.raises(ConfigError, match=f"Unknown text encoding '{encoding}'"):
        read_paths([tmp_path], encoding=encoding)


def test_beir_format_on_a_directory_without_corpus(tmp_path):
    with pytest.raises(InputError, match="No corpus.jsonl in"):
        read_paths([tmp_path], fmt="beir")


def test_unknown_extensions_in_a_directory_are_skipped(tmp_path):
    write(tmp_path, "table.csv", "a,b\n")
    write(tmp_path, "image.png", b"\x89PNG\x00")
    assert list(read_paths([tmp_path])) == []
