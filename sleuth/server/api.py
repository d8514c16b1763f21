"""The JSON API's routes (``/api/...``): search, ask (whole or streamed), documents, stats, and the token-guarded writes.

:func:`install` adds them to the app :func:`sleuth.server.app.create_app` builds; every handler calls one method of
:class:`sleuth.server.state.CollectionState` and returns its JSON.
"""

from __future__ import annotations

import hmac
import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Header, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from sleuth.errors import InputError, SleuthError
from sleuth.server import errors
from sleuth.server.errors import ERROR_RESPONSES, WRITE_RESPONSES, ApiError
from sleuth.server.state import CollectionState
from sleuth.store.base import check_query
from sleuth.types import Document
from sleuth.validation import document_problem

LoadDocument = Callable[[str, int | None, int | None], tuple[Document, dict[str, Any] | None]]
"""(doc_id, start, end) -> the document and the marked span (or None); 404 / 422 errors when they are wrong."""


# -- request and response models -----------------------------------------------------------------

class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., description="The question, in words.", examples=["How do bees turn nectar into honey?"])
    k: int = Field(5, ge=1, le=50, description="Passages given to the reader.")
    where: list[str] = Field(default_factory=list, max_length=20,
                             description="Metadata filters, all required: `year>=2020`, `author:Karpukhin`, "
                                         "`title:WORDS`, `venue:WORDS`, `doi:PREFIX`, `arxiv:ID`.",
                             examples=[["year>=2020"]])


class DocumentIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    id: str = Field(..., alias="_id", min_length=1, description="Document id (BEIR `_id`).")
    title: str = ""
    text: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)



def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def install(app: FastAPI, state: CollectionState, token: str | None) -> LoadDocument:
    """Add the ``/api`` routes; returns the document loader the HTML pages share with them."""

    def require_token(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
        if token is None:
            raise ApiError(403, "Write endpoints are disabled: this server was started without a token.",
                           "Restart it with `sleuth serve --token SECRET` (or set $SLEUTH_TOKEN), then send "
                           "`Authorization: Bearer SECRET`.")
        scheme, _, given = (authorization or "").partition(" ")
        if not authorization or scheme.lower() != "bearer" or not given.strip():
            raise ApiError(401, "This endpoint needs a bearer token.", "", {"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise ApiError(403, "The bearer token is wrong.")

    # -- JSON API --------------------------------------------------------------------------------

    @app.get("/api/search", tags=["read"], responses=ERROR_RESPONSES, summary="Search")
    def api_search(
        q: Annotated[str, Query(description="The query.", max_length=10_000)],
        k: Annotated[int, Query(ge=1, le=1000, description="How many documents.")] = 10,
        mode: Annotated[str | None, Query(description="Retrieval pipeline (default: the collection's).")] = None,
        where: Annotated[list[str] | None, Query(max_length=20, description="Metadata filters, all required "
                                                 "(repeat the parameter): `year>=2020`, `author:Karpukhin`, ...")] = None,
    ) -> dict[str, Any]:
        """Ranked documents, each with its best passage and a snippet; `highlights` are character
        ranges of matched words inside `snippet`; `authors`, `year`, `section` and `page` (1-based) say
        where the passage is (the same JSON as `sleuth search --json`)."""
        mode, hits = state.search(q, k, mode, tuple(where or ()))
        return {"query": q, "mode": mode, "hits": [h.to_json() for h in hits]}

    @app.post("/api/ask", tags=["read"], responses=ERROR_RESPONSES, summary="Ask")
    def api_ask(req: AskRequest) -> dict[str, Any]:
        """An answer whose sentences cite numbered passages: `citations[n]` gives the document id and the
        exact character span (`start`, `end`, `quote`). When the collection does not hold the answer,
        `abstained` is true."""
        return asdict(state.ask(req.question, req.k, where=tuple(req.where)))

    @app.get("/api/ask/stream", tags=["read"], responses=ERROR_RESPONSES, summary="Ask, streamed",
             response_class=StreamingResponse)
    def api_ask_stream(
        q: Annotated[str, Query(description="The question.", max_length=10_000)],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        where: Annotated[list[str] | None, Query(max_length=20, description="Metadata filters, as for /api/search.")] = None,
    ) -> StreamingResponse:
        """Server-sent events: `token` events (`{"text": ...}`) while a generator writes, then one
        `answer` event with the whole answer as in `POST /api/ask`, or one `error` event with the error
        shape. With the extractive reader there is only the `answer` event."""
        check_query(q)  # a bad question is a plain 422, before the stream starts
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def work() -> None:
            try:
                answer = state.ask(q, k, on_token=lambda s: events.put(("token", {"text": s})), where=tuple(where or ()))
                events.put(("answer", asdict(answer)))
            except SleuthError as exc:
                events.put(("error", errors.body(errors.status_of(exc), exc.what, exc.fix)))
            except Exception as exc:  # noqa: BLE001 - reported to the client, logged here
                errors.log.exception("ask stream failed")
                events.put(("error", errors.body(500, f"Internal error ({type(exc).__name__}).")))
            events.put(("end", None))

        threading.Thread(target=work, name="sleuth-ask", daemon=True).start()

        def stream() -> Iterator[str]:
            while True:
                event, data = events.get()
                if event == "end":
                    return
                yield sse(event, data)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    def load_document(doc_id: str, start: int | None, end: int | None) -> tuple[Document, dict[str, Any] | None]:
        doc = state.document(doc_id)
        if doc is None:
            raise ApiError(404, f"No document with id {doc_id!r}.", "Search for it with /api/search?q=...")
        if (start is None) != (end is None):
            raise InputError("Give both start and end to mark a span, or neither.", "Add the missing one.")
        span = None
        if start is not None and end is not None:
            if not 0 <= start <= end <= len(doc.text):
                raise InputError(f"The span {start}-{end} is outside the document (0-{len(doc.text)}).",
                                 "Use the start and end of a citation or a search hit's passage.")
            span = {"start": start, "end": end, "text": doc.text[start:end]}
        return doc, span

    @app.get("/api/documents/{doc_id:path}", tags=["read"], responses=ERROR_RESPONSES, summary="A document")
    def api_document(
        doc_id: str,
        start: Annotated[int | None, Query(ge=0, description="Start of a span to mark (character offset).")] = None,
        end: Annotated[int | None, Query(ge=0, description="End of the span (exclusive).")] = None,
    ) -> dict[str, Any]:
        """The document's text, title and metadata; with `start` and `end`, `span` holds the marked text."""
        doc, span = load_document(doc_id, start, end)
        return {"doc_id": doc.doc_id, "title": doc.title, "text": doc.text, "source": doc.source,
                "metadata": doc.metadata, "span": span}

    @app.get("/api/stats", tags=["read"], summary="Collection statistics")
    def api_stats() -> dict[str, Any]:
        """Document and chunk counts, size on disk, format version and settings."""
        return state.stats()

    @app.post("/api/documents", tags=["write"], responses=WRITE_RESPONSES, summary="Add documents",
              dependencies=[Depends(require_token)])
    def api_ingest(docs: Annotated[list[DocumentIn], Body(max_length=100_000)]) -> dict[str, Any]:
        """Add or update documents (needs `Authorization: Bearer <token>`). Unchanged documents are
        skipped, changed ones re-indexed; readers see the result as soon as this returns. A batch with
        an invalid document (an id of only spaces, a lone surrogate, NaN in the metadata, ...) is refused
        whole, with the document named."""
        for i, d in enumerate(docs):
            problem = document_problem(d.id, d.title, d.text, d.metadata)
            if problem:
                raise InputError(f"Document {i} ({d.id[:80]!r}) cannot be stored: {problem}.",
                                 "Fix it and send the batch again; nothing of this batch was stored.")
        summary = state.ingest([Document(d.id, d.text, d.title, "api", d.metadata) for d in docs])
        return {**summary.to_dict(), "documents": state.count_documents()}

    @app.delete("/api/documents/{doc_id:path}", tags=["write"], responses=WRITE_RESPONSES,
                summary="Remove a document", dependencies=[Depends(require_token)])
    def api_delete(doc_id: str) -> dict[str, Any]:
        """Remove one document and its passages (needs `Authorization: Bearer <token>`)."""
        if state.delete(doc_id) == 0:
            raise ApiError(404, f"No document with id {doc_id!r}.", "Nothing was deleted.")
        return {"deleted": doc_id, "documents": state.count_documents()}

    return load_document
