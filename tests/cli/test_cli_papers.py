"""The paper workflow from the command line: index PDFs or a .bib, ls, show, meta, search with
filters, ask with pages, cite — on generated PDFs (tests/pdfgen.py) and a Zotero-style .bib."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pdfgen import AUTHORS, TITLE, one_column, paper

from sleuth.cli.main import cli

BIB = """% Exported by Zotero (Better BibTeX)
@inproceedings{lovelace2021synthetic,
  title = {Synthetic Layouts for Testing Paper Readers},
  author = {Lovelace, Ada and Turing, Alan and Hopper, Grace},
  booktitle = {Proceedings of the Workshop on Readers},
  year = {2021},
  doi = {10.1234/readers.2021.7},
  file = {Full Text PDF:files/7/synthetic.pdf:application/pdf},
}

@article{hopper2020compilers,
  title = {Compilers for Everyone},
  author = {Hopper, Grace},
  journal = {Journal of Code},
  year = {2020},
  abstract = {We argue that compilers should be for everyone, and show how.},
}
"""


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLEUTH_COLLECTION", raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: Any, code: int = 0) -> Result:
    result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def run_json(runner: CliRunner, *args: Any, code: int = 0) -> Any:
    return json.loads(run(runner, *args, "--json", code=code).stdout)


@pytest.fixture
def papers(tmp_path: Path) -> Path:
    folder = tmp_path / "papers"
    paper(folder / "synthetic.pdf")
    one_column(folder / "notes" / "note.pdf", words="lighthouse keepers")
    return folder


@pytest.fixture
def col(runner: CliRunner, papers: Path, tmp_path: Path) -> Path:
    c = tmp_path / "col"
    run(runner, "index", papers, "-c", c, "--no-progress")
    return c


def test_ls_json_lists_paper_metadata(runner: CliRunner, col: Path) -> None:
    rows = run_json(runner, "ls", "-c", col)
    (row,) = [r for r in rows if r["doc_id"] == "synthetic.pdf"]
    assert row["title"] == TITLE and row["authors"] == AUTHORS and row["year"] == 2021
    assert row["arxiv_id"] == "2101.01234v2" and row["doi"] is None and row["source"].endswith("synthetic.pdf")
    assert set(rows[0]) == {"doc_id", "source", "title", "authors", "year", "arxiv_id", "doi"}


def test_show_gives_sections_passages_and_references(runner: CliRunner, col: Path) -> None:
    view = run_json(runner, "show", "synthetic.pdf", "-c", col)
    assert [s["title"] for s in view["sections"]][:3] == ["Abstract", "Introduction", "Method"]
    assert {s["title"]: s["page"] for s in view["sections"]}["Results"] == 2
    assert all(p["text"] for p in view["passages"]) and {p["page"] for p in view["passages"]} == {1, 2}
    assert any(p["section"] == "2.1 Details" for p in view["passages"])
    assert [r["year"] for r in view["references"]] == [2019, 2020, 2021]
    text = run(runner, "show", "synthetic.pdf", "-c", col).stdout
    assert "2.1 Details" in text and "References (3)" in text and ", ".join(AUTHORS) in text
    note = run_json(runner, "show", "notes/note.pdf", "-c", col)
    assert note["title"] == "A One Column Note"
    missing = run(runner, "show", "nope.pdf", "-c", col, code=1)
    assert "No document with id 'nope.pdf'" in missing.stderr and "sleuth ls" in missing.stderr


def test_search_prints_authors_year_section_page_and_filters(runner: CliRunner, col: Path) -> None:
    out = run(runner, "search", "details of the method", "-k", "1", "-c", col).stdout
    assert "Lovelace et al. 2021 · §2.1 Details · p. 2" in out
    hit = run_json(runner, "search", "details of the method", "-k", "1", "-c", col)["hits"][0]
    assert (hit["authors"], hit["year"], hit["section"], hit["page"]) == (AUTHORS, 2021, "2.1 Details", 2)
    assert run_json(runner, "search", "method", "-c", col, "--where", "year<2000")["hits"] == []
    got = run_json(runner, "search", "lighthouse keepers", "-c", col, "--where", "author:Lovelace")["hits"]
    assert {h["doc_id"] for h in got} <= {"synthetic.pdf"}
    bad = run(runner, "search", "x", "-c", col, "--where", "year>>2", code=1)
    assert "not a number" in bad.stderr


def test_ask_json_citations_carry_page_and_section(runner: CliRunner, col: Path) -> None:
    answer = run_json(runner, "ask", "Does the method work well on every page?", "-c", col, "--no-memory",
                      "--bibtex")
    assert answer["citations"], answer
    c = answer["citations"][0]
    assert c["doc_id"] == "synthetic.pdf" and c["page"] in (1, 2) and c["section"]
    assert c["authors"] == AUTHORS and c["year"] == 2021
    assert "@misc{lovelace2021synthetic," in answer["bibtex"] or "@article{lovelace2021synthetic," in answer["bibtex"]


def test_meta_corrections_win_and_survive_reindexing(runner: CliRunner, col: Path, papers: Path) -> None:
    out = run_json(runner, "meta", "notes/note.pdf", "--title", "Notes on Lighthouses", "--author", "Fanny Keeper",
                   "--year", "1901", "-c", col)
    assert out["title"] == "Notes on Lighthouses" and out["authors"] == ["Fanny Keeper"] and out["year"] == 1901
    one_column(papers / "notes" / "note.pdf", words="lighthouse keepers and their lamps")  # the file changes
    run(runner, "index", papers, "-c", col, "--no-progress")
    view = run_json(runner, "show", "notes/note.pdf", "-c", col)
    assert view["title"] == "Notes on Lighthouses" and view["metadata"]["year"] == 1901
    assert "lamps" in " ".join(p["text"] for p in view["passages"]) and view["corrected"] == ["authors", "title", "year"]
    hit = run_json(runner, "search", "lamps", "-c", col, "--where", "year=1901")["hits"][0]
    assert hit["title"] == "Notes on Lighthouses" and hit["authors"] == ["Fanny Keeper"]
    run_json(runner, "meta", "notes/note.pdf", "--clear", "-c", col)
    assert run_json(runner, "show", "notes/note.pdf", "-c", col)["title"] == "A One Column Note"
    nothing = run(runner, "meta", "notes/note.pdf", "-c", col, code=1)
    assert "Nothing to correct" in nothing.stderr


def test_reindexing_an_unchanged_folder_skips_every_file(runner: CliRunner, col: Path, papers: Path) -> None:
    out = run_json(runner, "index", papers, "-c", col)
    assert (out["added"], out["updated"], out["skipped"]) == (0, 0, 2)


def test_one_bad_file_is_listed_and_the_rest_indexed(runner: CliRunner, papers: Path, tmp_path: Path) -> None:
    (papers / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    out = run_json(runner, "index", papers, "-c", tmp_path / "c1", code=1)
    assert out["added"] == 2 and out["failed"] == 1 and out["failures"][0]["source"].endswith("broken.pdf")
    strict = run(runner, "index", papers, "-c", tmp_path / "c2", "--strict", "--no-progress", code=1)
    assert "broken.pdf" in strict.stderr and "could not parse PDF" in strict.stderr


def test_bibtex_round_trip_with_linked_pdfs(runner: CliRunner, tmp_path: Path) -> None:
    lib = tmp_path / "zotero"
    paper(lib / "files" / "7" / "synthetic.pdf")
    (lib / "library.bib").write_text(BIB, encoding="utf-8")
    col = tmp_path / "bibcol"
    out = run_json(runner, "index", lib / "library.bib", "-c", col)
    assert out["added"] == 2
    view = run_json(runner, "show", "lovelace2021synthetic", "-c", col)
    assert view["metadata"]["venue"] == "Proceedings of the Workshop on Readers"  # the bib wins ...
    assert view["metadata"]["doi"] == "10.1234/readers.2021.7"
    assert view["metadata"]["arxiv_id"] == "2101.01234v2"  # ... and the PDF fills what the bib lacks
    assert any(p["page"] == 2 for p in view["passages"])  # the PDF's text is indexed under the entry
    hit = run_json(runner, "search", "compilers for everyone", "-c", col, "-k", "1")["hits"][0]
    assert hit["doc_id"] == "hopper2020compilers"
    exported = run(runner, "cite", "lovelace2021synthetic", "hopper2020compilers", "-c", col).stdout
    (tmp_path / "again.bib").write_text(exported, encoding="utf-8")
    again = run_json(runner, "index", tmp_path / "again.bib", "-c", tmp_path / "again")
    assert again["added"] == 2
    for key in ("lovelace2021synthetic", "hopper2020compilers"):
        a = json.loads(run(runner, "cite", key, "-c", col, "--format", "json").stdout)
        b = json.loads(run(runner, "cite", key, "-c", tmp_path / "again", "--format", "json").stdout)
        for field in ("key", "title", "authors", "year", "venue", "doi"):
            assert a[0].get(field) == b[0].get(field), (key, field)


def test_malformed_bib_entry_names_file_and_line(runner: CliRunner, tmp_path: Path) -> None:
    bib = tmp_path / "bad.bib"
    bib.write_text(BIB.replace("@article{hopper2020compilers,\n  title = {Compilers for Everyone},",
                               "@article{hopper2020compilers,\n  title = {Compilers for Everyone,"), encoding="utf-8")
    out = run_json(runner, "index", bib, "-c", tmp_path / "c", code=1)
    (failure,) = out["failures"]
    assert failure["source"] == str(bib) and failure["line"] == 11 and "malformed BibTeX entry" in failure["reason"]
    assert out["added"] == 1
