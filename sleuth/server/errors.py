"""One error shape for every failure the server reports.

    {"error": {"status": 422, "message": "what was wrong", "fix": "what to do next"}}

HTML pages get the same message rendered as a page; everything under ``/api`` gets JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from sleuth.errors import CollectionError, ConfigError, DiskFullError, InputError, SleuthError

log = logging.getLogger("sleuth.server")


class ErrorDetail(BaseModel):
    status: int
    message: str
    fix: str = ""


class ErrorBody(BaseModel):
    """The shape of every error response."""

    error: ErrorDetail


class ApiError(StarletteHTTPException):
    """An HTTP error with a message and what to do about it."""

    def __init__(self, status: int, message: str, fix: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.fix = fix


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the server's limit of {limit:,} bytes.",
                         "Send fewer documents per request (split the list into batches).")


DEFAULT_FIX = {
    400: "Check the request against the API description at /docs.",
    401: "Send the header `Authorization: Bearer <token>` with the token the server was started with.",
    403: "Use the token the server was started with (--token or $SLEUTH_TOKEN).",
    404: "Check the address; the API is described at /docs.",
    405: "Check the method; the API is described at /docs.",
    413: "Send a smaller request.",
    421: "Open the server by the address it listens on.",
    422: "Check the request against the API description at /docs.",
    500: "This is a bug in sleuth; the server log has the details.",
    507: "Free some space on the server's disk and send the request again.",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d}
    for s, d in {404: "Not found", 422: "Invalid input", 413: "Request body too large",
                 421: "Host name not served", 503: "Collection unavailable or damaged"}.items()
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    401: {"model": ErrorBody, "description": "No bearer token"},
    507: {"model": ErrorBody, "description": "The server's disk is full"},
    403: {"model": ErrorBody, "description": "Wrong token, or writes disabled"},
}


def status_of(exc: SleuthError) -> int:
    from sleuth.rag.generators.base import GeneratorError

    if isinstance(exc, GeneratorError):
        return 502
    if isinstance(exc, (InputError, ConfigError)):
        return 422
    if isinstance(exc, DiskFullError):
        return 507
    if isinstance(exc, CollectionError):
        return 503
    return 500


def body(status: int, message: str, fix: str = "") -> dict[str, Any]:
    return {"error": {"status": status, "message": message, "fix": fix or DEFAULT_FIX.get(status, "")}}


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        if e.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
        if e.get("type") == "missing" and loc:
            parts.append(f"{loc} is required")
        else:
            parts.append(f"{loc}: {e.get('msg', 'invalid')}" if loc else str(e.get("msg", "invalid")))
    return ("Invalid request: " + "; ".join(parts) + ".") if parts else "Invalid request."


def install(app: FastAPI, render_html: Any) -> None:
    """Register the handlers; ``render_html(request, status, message, fix)`` renders pages."""

    def respond(request: Request, status: int, message: str, fix: str = "",
                headers: dict[str, str] | None = None) -> Any:
        b = body(status, message, fix)
        wants_html = "text/html" in request.headers.get("accept", "")
        if wants_html and not request.url.path.startswith("/api"):
            return render_html(request, status, b["error"]["message"], b["error"]["fix"])
        return JSONResponse(b, status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Any:
        return respond(request, exc.status_code, str(exc.detail), exc.fix, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        message = {404: f"Nothing at {request.url.path}.",
                   405: f"{request.method} is not allowed on {request.url.path}."}.get(exc.status_code, str(exc.detail))
        return respond(request, exc.status_code, message, "", getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Any:
        return respond(request, 422, _validation_message(exc))

    @app.exception_handler(SleuthError)
    async def sleuth_error(request: Request, exc: SleuthError) -> Any:
        return respond(request, status_of(exc), exc.what, exc.fix)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, 500, f"Internal error ({type(exc).__name__}).")
