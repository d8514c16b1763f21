"""The HTML pages of ``sleuth serve``: the home page, a document with a cited span, reports, API docs.

    GET /                               the collection at a glance, search as you type, ask; ``?q=&mode=``
                                        puts a search in the address (bookmark, share, reload)
    GET /documents/{doc_id}?start=&end= a document in paragraphs, the cited span marked
    GET /reports/                       the evaluation reports of ``--reports DIR`` (or how to get them)
    GET /docs                           Swagger UI over /openapi.json, served from the swagger-ui-bundle
                                        package (works offline; no inline script, so the CSP holds)

Every page is a Jinja template under ``sleuth/web/templates``; user and document text is escaped by
the template engine, and the page scripts put text in with ``textContent``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from sleuth.ingest.structure import page_at
from sleuth.server.state import CollectionState

RECENT = 5
EXAMPLES = 3
EXAMPLE_WORDS = 5
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")

Piece = tuple[str, bool]
"""A run of text and whether it is inside the cited span."""


def paragraphs(text: str, start: int | None = None, end: int | None = None) -> list[list[Piece]]:
    """``text`` cut into paragraphs at blank lines, each a list of (text, cited) pieces.

    Single line breaks stay in the pieces: the page shows them as spaces (``white-space: normal``), so
    a PDF's hard-wrapped lines reflow to the window's width while paragraphs stay apart. The cited
    span ``[start, end)`` may cross paragraphs; its pieces are flagged in each. Joining every piece of
    every paragraph gives back ``text`` minus the blank-line separators.
    """
    out: list[list[Piece]] = []
    pos = 0
    bounds = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)] + [(len(text), len(text))]
    for sep_start, sep_end in bounds:
        a, b = pos, sep_start
        pos = sep_end
        if a >= b:
            continue
        if start is None or end is None or end <= a or start >= b or start == end:
            out.append([(text[a:b], False)])
            continue
        s, e = max(a, start), min(b, end)
        out.append([p for p in ((text[a:s], False), (text[s:e], True), (text[e:b], False)) if p[0]])
    return out


def example_queries(titles: list[str], n: int = EXAMPLES, words: int = EXAMPLE_WORDS) -> list[str]:
    """Up to ``n`` searches to try: the first ``words`` words of titles spread over the collection."""
    picked: list[str] = []
    if not titles:
        return picked
    step = max(1, len(titles) // n)
    for t in titles[::step]:
        q = " ".join(re.sub(r"[^\w\s-]", " ", t).split()[:words])
        if q and q not in picked:
            picked.append(q)
        if len(picked) == n:
            break
    return picked


def report_index(reports_dir: Path) -> list[dict[str, str]]:
    """The reports under ``reports_dir`` (folders holding ``report.html``), newest first."""
    found = []
    for html in sorted(reports_dir.glob("**/report.html")):
        rel = html.parent.relative_to(reports_dir).as_posix()
        title = rel if rel != "." else reports_dir.name
        data = html.parent / "report.json"
        kind = ""
        if data.is_file():
            try:
                kind = str(json.loads(data.read_text(encoding="utf-8")).get("kind", ""))
            except (OSError, ValueError, AttributeError):
                kind = ""
        found.append({"name": title, "href": ("" if rel == "." else rel + "/") + "report.html", "kind": kind,
                      "mtime": str(html.stat().st_mtime)})
    found.sort(key=lambda r: float(r["mtime"]), reverse=True)
    return found


def install(app: FastAPI, state: CollectionState, page: Callable[..., HTMLResponse],
            load_document: Callable[[str, int | None, int | None], Any], reports_dir: Path | None) -> None:
    """Register the pages; ``page(request, template, status=200, **context)`` renders with the CSP."""
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, q: str = "", mode: str = "") -> HTMLResponse:
        with state.view() as v:  # one consistent view of the collection for the whole page
            col = v.col
            s = col.stats()
            n = s["documents"]
            recent = list(reversed(col.store.list_documents(RECENT, max(0, n - RECENT))))
            titles = [t for _, t, _ in col.store.list_documents(200, 0) if t]
            modes = ["bm25"] + (["hybrid", "dense", "hybrid-rrf"] if col.settings.encoder != "none" else [])
            if col.tuned.get("reranker"):
                modes.insert(0, "hybrid-rerank")
            default_mode = col.default_mode
        return page(request, "index.html", documents=n, passages=s["chunks"], collection=Path(s["collection"]).name,
                    recent=recent, examples=example_queries(titles), modes=modes,
                    default_mode=default_mode, q=q, mode=mode if mode in modes else "",
                    reports=reports_dir is not None)

    @app.get("/documents/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def document_page(request: Request, doc_id: str, start: int | None = None, end: int | None = None) -> HTMLResponse:
        doc, span = load_document(doc_id, start, end)
        parts = paragraphs(doc.text, span["start"], span["end"]) if span else paragraphs(doc.text)
        cited_page = page_at(doc.metadata, span["start"]) if span else None
        return page(request, "document.html", doc=doc, paragraphs=parts, span=span, cited_page=cited_page,
                    metadata=json.dumps(doc.metadata, ensure_ascii=False, indent=2) if doc.metadata else "")

    @app.get("/reports", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/reports/", response_class=HTMLResponse, include_in_schema=False)
    def reports(request: Request) -> HTMLResponse:
        found = report_index(reports_dir) if reports_dir is not None and reports_dir.is_dir() else []
        return page(request, "reports.html", folder=str(reports_dir) if reports_dir else "", reports=found,
                    enabled=reports_dir is not None)

    if reports_dir is not None:
        app.mount("/reports", StaticFiles(directory=reports_dir, html=True), name="reports")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return page(request, "docs.html")
