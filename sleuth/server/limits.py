"""Refuse request bodies larger than a limit, before reading them.

A declared ``Content-Length`` above the limit is refused at once (the body is never read); a body
without one (chunked) is counted as it arrives and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json
from typing import Any

from sleuth.server.errors import BodyTooLarge, body

Scope = dict[str, Any]


class BodyLimit:
    def __init__(self, app: Any, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0:
                await self._refuse(send, 400, "The Content-Length header is not a number.", "Send a valid Content-Length.")
                return
            if size > self.max_body:
                err = BodyTooLarge(self.max_body)
                await self._refuse(send, 413, str(err.detail), err.fix, close=True)
                return
        seen = 0
        started = False

        async def counted_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)  # an HTTPException: FastAPI re-raises it as is
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except BodyTooLarge as err:
            if started:
                raise
            await self._refuse(send, 413, str(err.detail), err.fix, close=True)

    @staticmethod
    async def _refuse(send: Any, status: int, message: str, fix: str, close: bool = False) -> None:
        payload = json.dumps(body(status, message, fix)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


class HostCheck:
    """Answer only requests addressed to a name this server is meant to be reached by.

    A web page on another site can point a name it controls at 127.0.0.1 (DNS rebinding) and then
    read the unauthenticated endpoints from the victim's browser; its requests carry that foreign
    name in ``Host``. Allowed: the loopback names, the address the server binds, and whatever
    ``--allow-host`` adds (``*`` allows any)."""

    def __init__(self, app: Any, allowed: set[str]) -> None:
        self.app = app
        self.allowed = {h.lower().strip("[]") for h in allowed}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or "*" in self.allowed:
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
        if name.lower() in self.allowed:
            await self.app(scope, receive, send)
            return
        await BodyLimit._refuse(
            send, 421, f"This server does not answer to the host name {host!r}.",
            "Open it by the address it listens on (e.g. http://127.0.0.1:8321/), or start it with "
            f"`sleuth serve --allow-host {name or 'NAME'}` if that name is meant to reach it.", close=True)
