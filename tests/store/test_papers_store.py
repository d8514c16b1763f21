"""Papers in the store: document identity, skipping unchanged files, corrections, filters, migration."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from pdfgen import one_column, paper

from sleuth.config import Settings
from sleuth.errors import InputError
from sleuth.ingest import read_paths
from sleuth.ingest.sources import Unchanged
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document

LEXICAL = Settings(encoder="none")


def index(col: Collection, *paths: Path):  # noqa: ANN201 - IngestSummary
    return col.ingest(read_paths(list(paths), skip_bad=True, ledger=col.store))


@pytest.fixture
def col(tmp_path: Path) -> Collection:
    c = Collection.create(tmp_path / "col", LEXICAL)
    yield c
    c.close()


def test_same_name_in_two_folders_are_two_documents(tmp_path: Path, col: Collection) -> None:
    one_column(tmp_path / "coll" / "A" / "paper.pdf", words="apples")
    one_column(tmp_path / "coll" / "B" / "paper.pdf", words="bananas")
    index(col, tmp_path / "coll" / "A")
    s = index(col, tmp_path / "coll" / "B")
    assert s.added == 1
    assert sorted(d for d, _, _ in col.store.list_documents()) == ["B/paper.pdf", "paper.pdf"]
    assert "apples" in col.store.get_document("paper.pdf").text
    assert "bananas" in col.store.get_document("B/paper.pdf").text
    # Indexing the parent folder afterwards finds both files already there.
    s = index(col, tmp_path / "coll")
    assert (s.added, s.updated, s.skipped) == (0, 0, 2) and col.store.count_documents() == 2


def test_the_same_pdf_in_two_places_is_one_document(tmp_path: Path, col: Collection) -> None:
    first = one_column(tmp_path / "a" / "paper.pdf")
    (tmp_path / "b").mkdir()
    shutil.copy(first, tmp_path / "b" / "copy-of-paper.pdf")
    s = index(col, tmp_path / "a", tmp_path / "b")
    assert (s.added, s.skipped) == (1, 1) and col.store.count_documents() == 1


def test_unchanged_files_are_skipped_before_they_are_parsed(tmp_path: Path, col: Collection,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "papers"
    one_column(folder / "one.pdf")
    paper(folder / "two.pdf")
    assert index(col, folder).added == 2

    def no_parsing(*args: object) -> None:
        raise AssertionError("an unchanged PDF was parsed")

    monkeypatch.setattr("sleuth.ingest.pdf.reader.read_pdf", no_parsing)  # the registered reader calls it
    items = list(read_paths([folder], ledger=col.store))
    assert [type(i) for i in items] == [Unchanged, Unchanged]
    # Touched but not changed: the hash says so, still not parsed, and the new mtime is recorded.
    os.utime(folder / "one.pdf", ns=(1, 1))
    s = index(col, folder)
    assert (s.added, s.updated, s.skipped) == (0, 0, 2)
    assert col.store.get_source(str((folder / "one.pdf").resolve())).mtime_ns == 1


def test_a_changed_file_is_read_again(tmp_path: Path, col: Collection) -> None:
    path = one_column(tmp_path / "p" / "note.pdf", words="first words")
    index(col, tmp_path / "p")
    one_column(path, words="second words")
    s = index(col, tmp_path / "p")
    assert (s.added, s.updated) == (0, 1)
    assert "second words" in col.store.get_document("note.pdf").text


def test_removing_a_document_forgets_its_file(tmp_path: Path, col: Collection) -> None:
    one_column(tmp_path / "p" / "note.pdf")
    index(col, tmp_path / "p")
    col.delete(["note.pdf"])
    assert index(col, tmp_path / "p").added == 1


def _doc(doc_id: str, year: int, authors: list[str], text: str) -> Document:
    return Document(doc_id, text, f"Title of {doc_id}", metadata={"year": year, "authors": authors})


def test_where_filters_search(col: Collection) -> None:
    col.ingest([_doc("old", 2015, ["Ada Lovelace"], "retrieval of passages"),
                _doc("new", 2021, ["Vladimir Karpukhin", "Barlas Oğuz"], "dense retrieval of passages"),
                _doc("newer", 2023, ["Someone Else"], "retrieval again")])
    assert {h.doc_id for h in col.search("retrieval", 10)} == {"old", "new", "newer"}
    assert {h.doc_id for h in col.search("retrieval", 10, where=["year>=2020"])} == {"new", "newer"}
    assert [h.doc_id for h in col.search("retrieval", 10, where=["year>=2020", "author:karpukhin"])] == ["new"]
    assert [h.doc_id for h in col.search("retrieval", 10, where=["year<2016"])] == ["old"]
    assert col.search("retrieval", 10, where=["author:nobody"]) == []
    hit = col.search("retrieval", 1, where=["author:Oğuz"])[0]
    assert hit.authors == ("Vladimir Karpukhin", "Barlas Oğuz") and hit.year == 2021
    with pytest.raises(InputError, match="Did you mean 'year'"):
        col.search("retrieval", 10, where=["yaer>2000"])
    with pytest.raises(InputError, match="not a number"):
        col.search("retrieval", 10, where=["year>=twenty"])


def test_where_finds_documents_deep_in_the_ranking(col: Collection) -> None:
    col.ingest([_doc(f"d{i}", 2000, ["A Person"], "retrieval " * (30 - i % 30)) for i in range(60)]
               + [_doc("rare", 2024, ["B Person"], "retrieval once among other words here")])
    assert [h.doc_id for h in col.search("retrieval", 3, where=["year=2024"])] == ["rare"]


def test_corrections_win_over_extraction(tmp_path: Path, col: Collection) -> None:
    path = one_column(tmp_path / "p" / "note.pdf")
    index(col, tmp_path / "p")
    col.store.set_correction("note.pdf", {"title": "The Right Title", "year": 1999})
    one_column(path, words="changed words")  # re-extracted: the correction is applied again
    assert index(col, tmp_path / "p").updated == 1
    doc = col.store.get_document("note.pdf")
    assert doc.title == "The Right Title" and doc.metadata["year"] == 1999 and "changed words" in doc.text
    assert doc.metadata["extracted"] == {"title": "A One Column Note", "year": doc.metadata["extracted"]["year"]}


def test_corrections_of_a_batch_in_one_lookup(col: Collection) -> None:
    col.ingest([Document(f"d{i}", f"text {i}", f"T{i}") for i in range(3)])
    col.store.set_correction("d0", {"year": 2001})
    col.store.set_correction("d2", {"title": "Two"})
    assert col.store.corrections(["d0", "d1", "d2", "absent"]) == {"d0": {"year": 2001}, "d2": {"title": "Two"}}
    assert col.store.correction("d1") == {}
    # A re-ingest of the batch applies each document's own correction.
    col.ingest([Document(f"d{i}", f"new text {i}", f"T{i}") for i in range(3)])
    assert [col.store.get_document(f"d{i}").title for i in range(3)] == ["T0", "T1", "Two"]
    assert col.store.get_document("d0").metadata["year"] == 2001


def test_hits_carry_page_and_section(tmp_path: Path, col: Collection) -> None:
    index(col, paper(tmp_path / "p" / "paper.pdf"))
    hit = col.search("details of the method", 1)[0]
    assert (hit.page, hit.section, hit.year) == (2, "2.1 Details", 2021)
    assert hit.authors == ("Ada Lovelace", "Alan Turing", "Grace Hopper")


def test_a_collection_from_before_papers_is_migrated_in_place(tmp_path: Path) -> None:
    col = Collection.create(tmp_path / "old", LEXICAL)
    col.ingest([_doc("a", 2020, ["Kyle Lo"], "some passage text here")])
    col.close()
    # Take the docstore back to before papers: no paper columns, no sources or corrections tables.
    db_path = tmp_path / "old" / "docs.sqlite"
    db = sqlite3.connect(db_path)
    db.executescript("DROP TABLE sources; DROP TABLE corrections;"
                     "ALTER TABLE documents DROP COLUMN authors; ALTER TABLE documents DROP COLUMN year;"
                     "ALTER TABLE chunks DROP COLUMN page; ALTER TABLE chunks DROP COLUMN section;"
                     "ALTER TABLE chunks DROP COLUMN page_breaks;")
    db.commit()
    db.close()
    with Collection.open(tmp_path / "old", readonly=True) as ro:  # read-only: works, without paper fields
        assert ro.search("passage", 1)[0].year is None
        with pytest.raises(Exception, match="upgraded in place"):
            ro.search("passage", 1, where=["year=2020"])
    with Collection.open(tmp_path / "old") as rw:  # a writable open migrates and backfills
        assert [h.doc_id for h in rw.search("passage", 1, where=["year=2020"])] == ["a"]
        assert rw.search("passage", 1)[0].authors == ("Kyle Lo",)
    db = sqlite3.connect(db_path)
    assert json.loads(db.execute("SELECT authors FROM documents").fetchone()[0]) == ["Kyle Lo"]


@pytest.mark.parametrize("value", [[], {}, [(5, 2)], {"authors": ["Ünal"], "n": 1}, ["x"]])
def test_as_json_is_json_dumps(value: object) -> None:
    from sleuth.docstore.papers import as_json

    assert as_json(value) == json.dumps(value, ensure_ascii=False, default=str)
