"""Property tests: no input file, however broken, makes a reader fail with anything but a SleuthError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sleuth.errors import SleuthError
from sleuth.ingest import Rejected, read_paths
from sleuth.types import Document

PDF = (Path(__file__).resolve().parents[1] / "data" / "ingest" / "docs" / "papers" / "two-pages.pdf").read_bytes()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def damaged_pdfs(draw: st.DrawFn) -> bytes:
    data = bytearray(PDF)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at : at + draw(st.integers(0, 4))] = draw(st.binary(max_size=4))
    return bytes(data[: draw(st.integers(0, len(data)))])


def line_soup() -> st.SearchStrategy[bytes]:
    pieces = st.sampled_from(
        [b"{", b"}", b"[", b"]", b'"_id"', b'"text"', b'"title"', b":", b",", b'"x"', b"1", b"null",
         b"\n", b"\r\n", b" ", b"---\n", b"# ", b"\\ud800", b"\xef\xbb\xbf", b"\xe9", b"\x00",
         b"title: ", b"- ", b"? ", b"&a ", b"*a", b"!!binary ", b"!!set ", b"2023-02-30", b"```\n"]
    )
    return st.lists(st.one_of(pieces, st.binary(max_size=3)), max_size=40).map(b"".join)


def read_all(path: Path, skip_bad: bool) -> list[Document | Rejected]:
    try:
        return list(read_paths([path], skip_bad=skip_bad))
    except SleuthError:
        if skip_bad:
            raise
        return []


@pytest.mark.parametrize("name", ["f.jsonl", "f.md", "f.txt", "f.pdf", "corpus.jsonl"])
@FUZZ
@given(content=st.one_of(st.binary(max_size=2000), line_soup()), skip_bad=st.booleans())
def test_arbitrary_bytes_only_raise_sleuth_errors(name, content, skip_bad):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        for item in read_all(path, skip_bad):
            assert isinstance(item, (Document, Rejected))
            if isinstance(item, Document):
                assert item.text.strip()
                item.text.encode("utf-8")


@FUZZ
@given(content=damaged_pdfs(), skip_bad=st.booleans())
def test_damaged_pdfs_only_raise_sleuth_errors(content, skip_bad):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.pdf"
        path.write_bytes(content)
        for item in read_all(path, skip_bad):
            if isinstance(item, Document):
                offsets = item.metadata["page_offsets"]
                assert offsets[0] == 0 and offsets == sorted(offsets)


@FUZZ
@given(text=st.text(min_size=1).filter(lambda t: t.strip() and not t.startswith("\ufeff")))
def test_text_is_kept_exactly(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.txt"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        items = list(read_paths([path], skip_bad=True))
        if not any("\ud800" <= c <= "\udfff" for c in text) and "\x00" not in text:
            assert [i.text for i in items] == [text]
