"""Headless Chromium for tests: open a page, check that it rendered, save a screenshot.

Uses the system Chromium (Debian: ``apt-get install chromium``; or ``$SLEUTH_CHROMIUM``) driven by
Playwright's Python package (``pip install playwright``; its bundled driver needs no browser download,
since ``executable_path`` points at the system one). Everything skips cleanly when either is absent.

    from browser import open_page, image_report, screenshot

    with open_page("file:///tmp/report.html") as page:
        assert all(img["width"] > 0 for img in image_report(page))
        screenshot(page, "report")           # -> test-artifacts/report.png

``open_page`` refuses every request that is not ``file:``, ``data:``, ``blob:`` or ``about:`` unless
``allow_hosts`` names the host (e.g. ``["127.0.0.1"]`` for a test server), and records what it refused
in ``page.blocked_requests``, so a test can assert that a page is self-contained. Console errors and
uncaught page errors are recorded in ``page.console_errors``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
LOCAL_SCHEMES = ("file", "data", "blob", "about")


def chromium_path() -> str | None:
    """``$SLEUTH_CHROMIUM``, else the first Chromium-like browser on PATH; None when there is none."""
    env = os.environ.get("SLEUTH_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_browser() -> str:
    """The Chromium path, or skip the calling test when Chromium or Playwright is missing."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium (apt-get install chromium, or set SLEUTH_CHROMIUM)")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright is not installed (pip install playwright)")
    return path


@contextmanager
def open_page(
    url: str,
    *,
    viewport: tuple[int, int] = (1200, 1600),
    allow_hosts: Sequence[str] = (),
    wait_until: str = "load",
    timeout_ms: int = 30_000,
) -> Iterator[Any]:
    """A loaded Playwright page in a fresh headless Chromium (fresh profile), closed afterwards."""
    path = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            page = context.new_page()
            page.blocked_requests = []  # type: ignore[attr-defined]
            page.console_errors = []  # type: ignore[attr-defined]

            def route(r: Any) -> None:
                u = urlparse(r.request.url)
                if u.scheme in LOCAL_SCHEMES or (u.hostname or "") in allow_hosts:
                    r.continue_()
                else:
                    page.blocked_requests.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
            page.on("pageerror", lambda e: page.console_errors.append(str(e)))
            page.goto(url, wait_until=wait_until, timeout=timeout_ms)
            yield page
        finally:
            browser.close()


def image_report(page: Any) -> list[dict[str, Any]]:
    """Every ``<img>`` of the page: ``src`` (first 40 characters), ``complete``, natural and shown size."""
    return page.evaluate(
        """() => Array.from(document.images).map(img => ({
            src: img.getAttribute('src').slice(0, 40), complete: img.complete,
            width: img.naturalWidth, height: img.naturalHeight,
            shown: img.getBoundingClientRect().width}))"""
    )


def screenshot(page: Any, name: str, full_page: bool = True) -> Path:
    """Save a PNG screenshot to ``test-artifacts/NAME.png`` (git-ignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(out), full_page=full_page)
    return out
