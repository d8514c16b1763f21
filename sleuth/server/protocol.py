"""How ``sleuth serve`` runs the app: uvicorn, with protocol errors in the API's error shape.

uvicorn answers a request it cannot parse (a bad Content-Length, a request line or headers over
h11's 16 KiB limit) itself, in plain text, before the app sees it. :class:`JsonErrorsH11` sends the
same ``{"error": {"status", "message", "fix"}}`` body every other failure has.
"""

from __future__ import annotations

import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from sleuth.server.errors import body


class JsonErrorsH11(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        payload = json.dumps(body(400, f"The request is not valid HTTP ({msg.rstrip('.')}).",
                                  "Check the request line and headers (together at most 16 KiB) and that "
                                  "Content-Length is a number matching the body.")).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                   (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=payload), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def server(app: Any, host: str, port: int):  # noqa: ANN201 - uvicorn.Server
    """A uvicorn server for ``app`` as ``sleuth serve`` (and the load benchmark) runs it."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, http=JsonErrorsH11)
    return uvicorn.Server(config)
