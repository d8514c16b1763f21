"""The pure helpers of the HTML pages: paragraphs with the cited span, example queries, report index."""

from __future__ import annotations

from pathlib import Path

from sleuth.server.pages import example_queries, paragraphs, report_index


def test_paragraphs_split_at_blank_lines_and_mark_the_span_across_them() -> None:
    text = "one\nline two\n\n  \nthree four\nfive"
    assert paragraphs(text) == [[("one\nline two", False)], [("three four\nfive", False)]]
    start, end = text.index("two"), text.index("four") + 4
    assert paragraphs(text, start, end) == [
        [("one\nline ", False), ("two", True)],
        [("three four", True), ("\nfive", False)],
    ]
    assert paragraphs("", 0, 0) == []
    # Nothing but the blank-line separators is lost.
    assert "".join(t for p in paragraphs(text, start, end) for t, _ in p) == "one\nline twothree four\nfive"


def test_example_queries_are_title_words_spread_over_the_collection() -> None:
    titles = [f"Title number {i}: about things, and more words" for i in range(9)]
    assert example_queries(titles) == ["Title number 0 about things", "Title number 3 about things",
                                       "Title number 6 about things"]
    assert example_queries([]) == []


def test_report_index_lists_folders_with_a_report(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "report.html").write_text("<h1>a</h1>")
    (tmp_path / "a" / "report.json").write_text('{"kind": "retrieval"}')
    (tmp_path / "empty").mkdir()
    assert [(r["name"], r["href"], r["kind"]) for r in report_index(tmp_path)] == [("a", "a/report.html", "retrieval")]


def test_document_page_names_the_page_of_the_cited_span(tmp_path: Path) -> None:
    from starlette.testclient import TestClient
    from support import LOCAL

    from sleuth.server import create_app
    from sleuth.store.embedded.collection import Collection
    from sleuth.types import Document

    text = "First page text here.\n\nSecond page: the cited sentence."
    doc = Document("paper", text, "A paper", metadata={"page_offsets": [0, text.index("Second")]})
    with Collection.create(tmp_path / "c") as col:
        col.ingest([doc])
    start = text.index("the cited")
    with TestClient(create_app(tmp_path / "c"), base_url=LOCAL) as c:
        html = c.get(f"/documents/paper?start={start}&end={len(text)}").text
        assert f"cited characters {start}–{len(text)} on page 2" in html
        assert "on page" not in c.get("/documents/paper").text
