"""The HTTP API (JSON, described at ``/docs`` and ``/openapi.json``) and the web page, over one collection.

    GET    /api/search?q=&k=&mode=         ranked documents with highlighted snippets
    POST   /api/ask {"question", "k"}      a cited answer
    GET    /api/ask/stream?q=&k=           the same as server-sent events: ``token`` events while a
                                           generator writes, then one ``answer`` event (or ``error``)
    GET    /api/documents/{doc_id}         a document; ``start``/``end`` mark a span of its text
    GET    /api/stats                      document and chunk counts, settings
    POST   /api/documents                  ingest [{"_id", "title", "text", "metadata"}]   (token)
    DELETE /api/documents/{doc_id}         remove a document                              (token)
    GET    /                               the page: search as you type, ask with citations
    GET    /documents/{doc_id}?start=&end= a document with the cited span marked
    GET    /reports/, /docs                evaluation reports, the API described (see pages.py)

Every failure answers ``{"error": {"status", "message", "fix"}}``. Write endpoints need
``Authorization: Bearer <token>``; without a configured token they are disabled.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from swagger_ui_bundle import swagger_ui_path
from threadpoolctl import threadpool_limits

from sleuth import __version__
from sleuth.server import api, errors, pages
from sleuth.server.limits import LOOPBACK_NAMES, BodyLimit, HostCheck
from sleuth.server.state import CollectionState

WEB = Path(__file__).resolve().parents[1] / "web"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


# -- the application -------------------------------------------------------------------------------

def create_app(
    collection_dir: Path | str,
    *,
    token: str | None = None,
    max_body: int = 1_000_000,
    generator: Any = None,
    reports_dir: Path | str | None = None,
    allowed_hosts: Iterable[str] = LOOPBACK_NAMES,
) -> FastAPI:
    """A FastAPI app over the collection at ``collection_dir`` (opened read-only for readers).

    ``token`` (else ``$SLEUTH_TOKEN``) enables the write endpoints; ``max_body`` bounds request bodies
    in bytes; ``generator`` (a :class:`sleuth.rag.generators.Generator`) writes answers, else they are
    extractive. ``reports_dir`` (a folder of ``sleuth eval ... --report`` outputs) is served read-only
    at ``/reports/``, so a group can look at its evaluation reports beside the search page.
    ``allowed_hosts`` are the host names requests may be addressed to (``Host``; see
    :class:`sleuth.server.limits.HostCheck`), ``"*"`` for any.
    """
    state = CollectionState(Path(collection_dir), generator)
    token = token if token is not None else (os.environ.get("SLEUTH_TOKEN") or None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        # Requests run in parallel threads; a multi-threaded BLAS inside each one only oversubscribes
        # the cores (measured with 32 clients on 2 cores: 19 -> 120 searches/s).
        limits = threadpool_limits(1, user_api="blas")
        yield
        limits.restore_original_limits()
        state.close()

    app = FastAPI(
        title="sleuth",
        version=__version__,
        description="Search a document collection and get answers that cite the exact passages. "
                    "Every error has the shape `{\"error\": {\"status\", \"message\", \"fix\"}}`.",
        lifespan=lifespan,
        docs_url=None,  # served by pages.py from a package: the CDN default is blank offline
    )
    app.state.sleuth = state
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    templates = Jinja2Templates(env=env)

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        resp = templates.TemplateResponse(request, name, {"version": __version__, **context}, status_code=status)
        resp.headers["Content-Security-Policy"] = CSP
        return resp

    def error_page(request: Request, status: int, message: str, fix: str) -> HTMLResponse:
        return page(request, "error.html", status, status_code=status, message=message, fix=fix)

    errors.install(app, error_page)
    app.add_middleware(BodyLimit, max_body=max_body)
    app.add_middleware(HostCheck, allowed=set(allowed_hosts))  # outermost: checked before anything else

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Any:
        resp = await call_next(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    load_document = api.install(app, state, token)

    # -- HTML ------------------------------------------------------------------------------------

    pages.install(app, state, page, load_document, Path(reports_dir) if reports_dir is not None else None)
    return app
