"""The page in a real headless Chromium: search as you type, ask, follow a citation to its span; the
home page, the search in the address, reflowed documents, reports and the API docs, all offline.

``SLEUTH_UPDATE_SCREENSHOTS=1`` also copies the README's screenshots into docs/images/.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser import open_page, require_browser, screenshot
from click.testing import CliRunner
from support import ROOT

from sleuth.server import create_app
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"
README_IMAGES = ROOT / "docs" / "images"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(directory: Path, **options: object) -> Iterator[str]:
    """A real uvicorn server over ``directory`` on a free loopback port, stopped afterwards."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(directory, **options), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="sleuth-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the test server did not stop"


def readme_screenshot(page, name: str, full_page: bool = True) -> None:  # noqa: ANN001
    path = screenshot(page, name, full_page=full_page)
    if os.environ.get("SLEUTH_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(path, README_IMAGES / f"{name}.png")


@pytest.fixture(scope="module")
def base_url(built_collection) -> Iterator[str]:
    require_browser()
    with serving(built_collection) as url:
        yield url


# Made to show what the fixture collection cannot: math letters outside the BMP before the matched words
# (item 1 of issue 19), two quoted sentences of one passage (one citation number, two spans), and a
# PDF-like text with hard line breaks inside paragraphs.
CRAFTED = [
    Document("math", "Let 𝑆𝐷 denote the set of 𝑆𝐷 blocks on a page. The reading order of a two-column PDF puts "
             "the left column before the right column, and 𝑆𝐷 blocks follow in order.", "Reading order in PDFs"),
    Document("bees", "Bees turn nectar into honey in the hive.\nWorker bees turn the nectar into honey by fanning\n"
             "their wings until the water evaporates.\nBees then seal the honey in wax cells.\n\nA strong colony "
             "stores\nenough honey to survive\nthe winter, when no flowers bloom.", "How honeybees make honey"),
    Document("tides", "The moon pulls the oceans and makes the tides rise and fall twice a day.", "Tides"),
]


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    root = tmp_path_factory.mktemp("crafted")
    with Collection.create(root / "col") as col:
        col.ingest(CRAFTED)
    from sleuth.cli.main import cli

    r = CliRunner().invoke(cli, ["eval", str(BEIR), "--pipeline", "bm25", "--report", str(root / "reports" / "mini-bm25")])
    assert r.exit_code == 0, r.output
    with serving(root / "col", reports_dir=root / "reports") as url:
        yield url


def test_search_ask_and_follow_a_citation(base_url):
    with open_page(base_url + "/", allow_hosts=["127.0.0.1"]) as page:
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "q" and page.input_value("#q") == ""
        page.keyboard.type("honey nectar", delay=20)
        # Under load the 150 ms debounce can fire mid-word; wait for the answer to the whole query.
        page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'honey nectar' && "
                               "!document.getElementById('search-status').textContent.startsWith('Searching')",
                               timeout=15_000)
        first = page.locator("#results li.hit").first
        first.wait_for(timeout=15_000)
        assert "Honeybees" in first.locator("a.title").inner_text()
        assert first.locator("span.doc-id").inner_text() == "honeybee"
        assert [m.lower() for m in first.locator(".snippet mark").all_inner_texts()]
        screenshot(page, "server-search")

        page.fill("#question", "How do bees turn nectar into honey?")
        page.press("#question", "Enter")
        cite = page.locator("#answer .answer-text a.cite").first
        cite.wait_for(timeout=60_000)
        assert cite.inner_text().startswith("[")
        quote = page.locator("#answer .citations blockquote").first.inner_text()
        assert quote
        readme_screenshot(page, "web-search-ask")

        cite.click()
        page.wait_for_url("**/documents/honeybee?start=*", timeout=15_000)
        mark = page.locator("mark#cited")
        assert mark.inner_text() == quote
        assert mark.is_visible()
        box = mark.bounding_box()
        assert box is not None and 0 <= box["y"] < page.viewport_size["height"]
        readme_screenshot(page, "web-cited-span", full_page=False)
        assert not page.console_errors, page.console_errors
        assert not page.blocked_requests, page.blocked_requests


def test_document_span_scrolls_into_view_at_phone_width(base_url):
    doc = json.load(urllib.request.urlopen(base_url + "/api/documents/tides"))
    start = len(doc["text"]) - 20
    with open_page(f"{base_url}/documents/tides?start={start}&end={len(doc['text'])}", viewport=(360, 300),
                   allow_hosts=["127.0.0.1"]) as page:
        mark = page.locator("mark#cited")
        assert mark.inner_text() == doc["text"][start:]
        box = mark.bounding_box()
        assert box is not None and 0 <= box["y"] < 300
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
        screenshot(page, "server-document-phone", full_page=False)


def test_page_escapes_what_the_user_types(base_url):
    with open_page(base_url + "/", viewport=(360, 700), allow_hosts=["127.0.0.1"]) as page:
        page.fill("#q", "<img src=x onerror=window.pwned=1> bees")
        page.locator("#results li.hit").first.wait_for(timeout=15_000)
        page.fill("#question", "<script>window.pwned=1</script>")
        page.press("#question", "Enter")
        page.locator("#answer .answer-text:not(.pending), #answer .error").first.wait_for(timeout=60_000)
        assert page.evaluate("window.pwned") is None
        assert page.evaluate("document.querySelectorAll('#results img, #answer img, #answer script').length") == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "server-phone")


# -- issue 19: what a new user tripped over ------------------------------------------------------


def test_highlights_land_on_the_matched_words_after_math_letters(crafted):
    # The API counts code points; 𝑆 and 𝐷 are two UTF-16 units each in the browser. Before the fix
    # "reading order two-column PDF" marked "in[ the c]olumn"-like slices, shifted by the math letters.
    with open_page(crafted + "/?q=" + urllib.parse.quote("reading order two-column PDF"), allow_hosts=["127.0.0.1"]) as page:
        first = page.locator("#results li.hit").first
        first.wait_for(timeout=15_000)
        marks = [m.lower() for m in first.locator(".snippet mark").all_inner_texts()]
        assert marks and set(marks) <= {"reading", "order", "two-column", "two", "column", "pdf"}, marks
        assert {"reading", "order", "pdf"} <= set(marks), marks
        assert not page.console_errors, page.console_errors


def shared_number_answer(base_url: str) -> dict:
    """An answer citing two sentences of one passage under one number, as a generator may write it.

    The extractive reader now quotes the one sentence that answers, so the page's handling of a shared
    number is fed this answer (real spans of the real document) instead of waiting for a reader to make one."""
    doc = json.load(urllib.request.urlopen(base_url + "/api/documents/bees"))
    quotes = ["Worker bees turn the nectar into honey by fanning\ntheir wings until the water evaporates.",
              "Bees then seal the honey in wax cells."]
    cites = []
    for q in quotes:
        start = doc["text"].index(q)
        cites.append({"n": 1, "doc_id": "bees", "chunk_id": 1, "start": start, "end": start + len(q),
                      "title": doc["title"], "quote": q, "page": None, "section": "", "authors": [], "year": None})
    text = " ".join(f"{' '.join(q.split())} [1]" for q in quotes).replace("by fanning", "by **fanning", 1)
    text = text.replace("evaporates.", "evaporates**.", 1)  # an answer span, as the reader marks it
    return {"question": "How do bees turn nectar into honey?", "text": text, "citations": cites, "sentences": [],
            "abstained": False, "reader": "extractive", "rejected_citations": [], "timings_ms": {}}


def test_each_inline_citation_opens_its_own_span_when_numbers_are_shared(crafted):
    answer = shared_number_answer(crafted)
    with open_page(crafted + "/", allow_hosts=["127.0.0.1"]) as page:
        page.route("**/api/ask/stream*", lambda r: r.fulfill(
            status=200, content_type="text/event-stream", body=f"event: answer\ndata: {json.dumps(answer)}\n\n"))
        page.fill("#question", "How do bees turn nectar into honey?")
        page.press("#question", "Enter")
        page.locator("#answer .answer-text a.cite").first.wait_for(timeout=60_000)
        links = page.eval_on_selector_all("#answer .answer-text a.cite", "els => els.map(e => e.getAttribute('href'))")
        quotes = page.locator("#answer .citations blockquote").all_inner_texts()
        numbers = page.eval_on_selector_all("#answer .citations li", "els => els.map(e => e.value)")
        assert len(numbers) > len(set(numbers)), f"the fixture must make one number cite two spans: {numbers}"
        assert len(set(links)) == len(links) == len(quotes), links  # before: every [1] opened the last span
        assert "**" not in page.inner_text("#answer .answer-text")  # the span is bold, not asterisks
        assert page.inner_text("#answer .answer-text strong").startswith("fanning their wings")
        screenshot(page, "server-shared-citations")
        for href, quote in zip(links, quotes):
            page.goto(crafted + href)
            assert " ".join(page.locator("mark.cited").all_inner_texts()).split() == quote.split()


def test_api_docs_work_offline_under_the_csp(crafted):
    with open_page(crafted + "/docs", allow_hosts=["127.0.0.1"]) as page:
        page.locator(".opblock-summary-path").first.wait_for(timeout=30_000)  # Swagger UI rendered the API
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/search" in paths and "/api/ask" in paths
        assert not page.blocked_requests, page.blocked_requests  # nothing from a CDN
        assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors
        screenshot(page, "server-api-docs")
    head = urllib.request.urlopen(crafted + "/docs")
    assert "script-src 'self'" in head.headers["Content-Security-Policy"]


def test_reports_have_an_index_linked_from_the_home_page(crafted):
    with open_page(crafted + "/", allow_hosts=["127.0.0.1"]) as page:
        page.locator("a[href='/reports/']").first.click()
        page.wait_for_url("**/reports/", timeout=15_000)
        link = page.locator(".report-list a").first
        assert link.inner_text() == "mini-bm25"
        link.click()
        page.wait_for_url("**/reports/mini-bm25/report.html", timeout=15_000)
        assert page.locator("h1").first.inner_text()
        assert not page.blocked_requests


def test_reports_page_says_how_to_get_reports_when_none_are_served(base_url):
    with open_page(base_url + "/reports/", allow_hosts=["127.0.0.1"]) as page:
        assert "sleuth serve --reports" in page.locator("section.reports").inner_text()


def test_home_page_shows_the_collection_and_the_search_is_in_the_address(crafted):
    with open_page(crafted + "/", allow_hosts=["127.0.0.1"]) as page:
        overview = page.locator("#overview")
        assert "3 documents in 3 passages" in " ".join(overview.inner_text().split())
        assert page.locator("#overview .recent li").count() == 3
        examples = page.locator("#overview a.example")
        assert examples.count() >= 1
        readme_screenshot(page, "web-home")
        page.fill("#q", "moon tides")
        page.locator("#results li.hit").first.wait_for(timeout=15_000)
        page.wait_for_function("location.search.includes('q=moon')", timeout=15_000)
        assert not overview.is_visible()
        page.select_option("#mode", "bm25")
        page.wait_for_function("location.search.includes('mode=bm25')", timeout=15_000)
        shared = page.url
    # The address alone restores the search: bookmark, share, reload.
    with open_page(shared, allow_hosts=["127.0.0.1"]) as page:
        page.locator("#results li.hit").first.wait_for(timeout=15_000)
        assert page.input_value("#q") == "moon tides" and page.input_value("#mode") == "bm25"
        assert page.locator("#results li.hit a.title").first.inner_text() == "Tides"
    with open_page(crafted + "/", allow_hosts=["127.0.0.1"]) as page:
        page.locator("#overview a.example").first.click()
        page.locator("#results li.hit").first.wait_for(timeout=15_000)


def test_document_view_reflows_hard_line_breaks(crafted):
    doc = json.load(urllib.request.urlopen(crafted + "/api/documents/bees"))
    start = doc["text"].index("Worker")
    end = doc["text"].index("evaporates.") + len("evaporates.")
    with open_page(f"{crafted}/documents/bees?start={start}&end={end}", viewport=(900, 800),
                   allow_hosts=["127.0.0.1"]) as page:
        paras = page.locator(".doc-text p")
        assert paras.count() == 2  # the blank line still separates paragraphs
        first = paras.first
        assert "\n" not in first.inner_text()  # single line breaks read as spaces
        # The first paragraph fills lines to the width instead of one short line per PDF line.
        line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.doc-text p')).lineHeight)")
        assert first.bounding_box()["height"] < 3.5 * line
        assert " ".join(page.locator("mark.cited").all_inner_texts()).split() == doc["text"][start:end].split()
        screenshot(page, "server-document-reflowed", full_page=False)
