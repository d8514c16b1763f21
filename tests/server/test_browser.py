"""The page in a real headless Chromium: search as you type, ask, follow a citation to its span."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from browser import open_page, require_browser, screenshot

from sleuth.server import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(built_collection) -> Iterator[str]:
    require_browser()
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(built_collection), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="sleuth-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    assert not thread.is_alive(), "the test server did not stop"


def test_search_ask_and_follow_a_citation(base_url):
    with open_page(base_url + "/", allow_hosts=["127.0.0.1"]) as page:
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "q" and page.input_value("#q") == ""
        page.keyboard.type("honey nectar", delay=20)
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
        screenshot(page, "server-answer")

        cite.click()
        page.wait_for_url("**/documents/honeybee?start=*", timeout=15_000)
        mark = page.locator("mark#cited")
        assert mark.inner_text() == quote
        assert mark.is_visible()
        box = mark.bounding_box()
        assert box is not None and 0 <= box["y"] < page.viewport_size["height"]
        screenshot(page, "server-document", full_page=False)
        assert not page.console_errors, page.console_errors
        assert not page.blocked_requests, page.blocked_requests


def test_document_span_scrolls_into_view_at_phone_width(base_url):
    import json
    import urllib.request

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
