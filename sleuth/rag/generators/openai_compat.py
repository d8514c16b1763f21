"""Any OpenAI-compatible chat server over HTTP: llama.cpp's ``llama-server``, llama-cpp-python's
``python -m llama_cpp.server``, Ollama, vLLM, hosted APIs.

It speaks ``POST {base}/chat/completions`` with the standard library's ``http.client`` (no dependency),
which gives what an LLM call needs: a short connect timeout and a separate, long read timeout (the time
allowed between two received bytes, so a long stream never times out while text keeps coming), and
replies read line by line as server-sent events arrive.

Failures to connect, and 429 or 5xx answers, are retried with exponential backoff (``backoff_delays``;
a ``Retry-After`` header is honoured). Other 4xx answers and read timeouts are not retried: the same
request would fail again, or make a busy server repeat a long generation. A stream that breaks after
text was yielded is not retried either (its text would repeat); it raises ``GeneratorError``.

Connections go straight to the host in the URL (proxy variables are not consulted). The wire format
(SSE, reply JSON, error bodies, the backoff schedule) is parsed by pure functions in
:mod:`sleuth.rag.generators.openai_wire`.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sleuth import __version__
from sleuth.errors import ConfigError
from sleuth.rag.generators.base import (
    CheckedGenerator,
    GeneratorError,
    Request,
    check_int,
    check_number,
)
from sleuth.rag.generators.openai_wire import (
    MAX_WAIT,
    backoff_delays,
    error_detail,
    parse_json,
    reply_content,
    retry_after,
    sse_data,
    stream_pieces,
)

__all__ = ["START_SERVER", "OpenAIGenerator"]

START_SERVER = "python -m llama_cpp.server --model M --host 127.0.0.1 --port N"


def _reason(e: OSError, host: str, connect_timeout: float) -> str:
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, socket.gaierror):
        return f"unknown host {host!r}"
    if isinstance(e, TimeoutError):
        return f"no connection within {connect_timeout:g} s"
    return e.strerror or str(e) or type(e).__name__


@dataclass(frozen=True)
class _Failure:
    """An attempt that failed in a way a retry may fix."""

    what: str
    unreachable: bool  # no connection at all (else: an error answer or a dropped connection)
    wait: float = 0.0  # the least wait before the next attempt (from Retry-After)


class OpenAIGenerator(CheckedGenerator):
    """A chat model behind an OpenAI-compatible HTTP API at ``base_url`` (the root that
    ``/chat/completions`` hangs off, e.g. ``http://127.0.0.1:8080/v1``).

    ``model``: the server's model name; if not given, the only model the server lists at ``/models``.
    ``api_key``: sent as a bearer token; default ``$SLEUTH_API_KEY``, else ``$OPENAI_API_KEY``.
    ``timeout``: seconds to wait for the next bytes of an answer; ``connect_timeout``: for a connection.
    ``retries``: extra attempts after a failed connection or a 429/5xx answer, ``backoff`` seconds
    apart at first, doubling each time.
    """

    def __init__(
        self,
        base_url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        connect_timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.5,
    ) -> None:
        parts = urlsplit(base_url.strip())
        host = parts.hostname or ""
        try:
            port = parts.port
        except ValueError:
            port = -1
        bad = parts.scheme not in ("http", "https") or not host or port == -1
        if bad or parts.query or parts.fragment:
            raise ConfigError(
                f"{base_url!r} is not an http(s) URL of an API root"
                + (" (it has a query string)." if not bad else "."),
                "Give the root of the API, e.g. openai:http://127.0.0.1:8080/v1.",
            )
        self.base_url = base_url.strip().rstrip("/")
        self._https = parts.scheme == "https"
        self._host = host
        self._port = port
        self._prefix = parts.path.rstrip("/")
        self.timeout = check_number("timeout", timeout, 1e-3, 86400, "120")
        self.connect_timeout = check_number("connect_timeout", connect_timeout, 1e-3, 3600, "5")
        check_int("retries", retries, 0, "2")
        self.retries = retries
        self.backoff = check_number("backoff", backoff, 0, MAX_WAIT, "0.5")
        self.model = model
        self.api_key = api_key or os.environ.get("SLEUTH_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.name = self._name()
        self._lock = threading.Lock()

    def _name(self) -> str:
        return f"openai:{self.base_url}" + (f" model={self.model}" if self.model else "")

    def _connection(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.connect_timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.connect_timeout)

    @contextmanager
    def _open(
        self, method: str, path: str, body: dict[str, Any] | None
    ) -> Iterator[tuple[str, http.client.HTTPResponse]]:
        """Send a request, retrying as the module docstring says; yield ``(url, response)`` of the
        first 2xx answer, and turn timeouts and lost connections while it is read into GeneratorError."""
        url = self.base_url + path
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": f"sleuth/{__version__}"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        delays = backoff_delays(self.retries, self.backoff)
        for attempt in range(self.retries + 1):
            conn = self._connection()
            try:
                outcome = self._attempt(conn, method, path, payload, headers, url)
                if not isinstance(outcome, _Failure):
                    yield url, outcome
                    return
                failure = outcome
            except TimeoutError:  # while waiting for an answer, or reading it
                raise GeneratorError(
                    f"No answer from {url} within {self.timeout:g} s.",
                    "The model may be slow or busy: raise timeout= (seconds allowed between two "
                    "received bytes), lower max_tokens, or stream the answer.",
                ) from None
            except (ConnectionError, http.client.IncompleteRead) as e:  # retrying would repeat text
                raise GeneratorError(
                    f"{url} closed the connection in the middle of its answer ({e or type(e).__name__}).",
                    "Check the server's log; try again.",
                ) from e
            except http.client.HTTPException as e:
                raise GeneratorError(
                    f"{url} did not answer in HTTP ({type(e).__name__}: {e}).",
                    "Check the host and port: is it the chat server's?",
                ) from e
            finally:
                conn.close()
            if attempt < self.retries:
                time.sleep(max(delays[attempt], failure.wait))
        attempts = self.retries + 1
        raise GeneratorError(
            f"{failure.what} ({attempts} attempt{'s' if attempts > 1 else ''}).",
            f"Is the server running? Start one with `{START_SERVER}`, or check the host and port "
            "(retries= sets how often to try)."
            if failure.unreachable
            else "The server is overloaded or failing: check its log, try again later, or raise retries=.",
        )

    def _attempt(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        payload: bytes | None,
        headers: dict[str, str],
        url: str,
    ) -> http.client.HTTPResponse | _Failure:
        """One try: the 2xx response, a _Failure worth retrying, or GeneratorError if no retry can help."""
        try:
            conn.connect()  # under connect_timeout
        except ssl.SSLError as e:  # a certificate problem does not go away on retry
            raise GeneratorError(f"TLS with {url} failed: {e}.", "Check the URL and certificate.") from e
        except OSError as e:  # refused, unknown host, no route, connect timeout
            return _Failure(f"Could not reach {url}: {_reason(e, self._host, self.connect_timeout)}", True)
        assert conn.sock is not None
        conn.sock.settimeout(self.timeout)  # from now on: the read timeout
        try:
            conn.request(method, self._prefix + path, payload, headers)
            resp = conn.getresponse()
        except ConnectionError as e:  # reset or closed before any answer
            return _Failure(f"{url} closed the connection ({e or type(e).__name__})", False)
        if resp.status < 300:
            return resp
        detail = error_detail(resp.read(64 * 1024))
        self._check_status(url, resp.status, detail, resp.getheader("Location"))
        return _Failure(
            f"{url} answered HTTP {resp.status} ({detail})", False, retry_after(resp.getheader("Retry-After"))
        )

    def _check_status(self, url: str, status: int, detail: str, location: str | None) -> None:
        """Raise GeneratorError for an answer that no retry can fix (all but 429 and 5xx)."""
        if status == 429 or status >= 500:
            return
        if status in (401, 403):
            fix = (
                "The API key was refused: set SLEUTH_API_KEY (or pass api_key=) to a valid key."
                if self.api_key
                else "Set SLEUTH_API_KEY (or pass api_key=) to this server's API key."
            )
        elif status == 404:
            fix = (
                "Check the base URL: it must be the API root that /chat/completions hangs off "
                "(e.g. http://127.0.0.1:8080/v1), and model= a model the server has."
            )
        elif status < 400:
            fix = f"The server redirects to {location}: use that as the base URL."
        else:
            fix = "Check model= and the request options against what this server accepts."
        raise GeneratorError(f"{url} answered HTTP {status} ({detail}).", fix)

    def _model_name(self) -> str:
        """``model``, or else the one model the server lists (asked once)."""
        with self._lock:
            if self.model is None:
                with self._open("GET", "/models", None) as (url, resp):
                    listing = parse_json(resp.read(), url)
                data = listing.get("data") if isinstance(listing, dict) else None
                ids = [m["id"] for m in data or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]
                if len(ids) != 1:
                    raise ConfigError(
                        f"No model given, and {url} lists {len(ids)} models"
                        + (f" ({', '.join(ids[:10])})." if ids else "."),
                        "Name one with model=NAME.",
                    )
                self.model = ids[0]
                self.name = self._name()
            return self.model

    def _body(self, req: Request, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model_name(),
            "messages": req.messages,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "stream": stream,
        }
        if req.stop:
            body["stop"] = req.stop
        return body

    def complete(self, req: Request) -> str:
        body = self._body(req, stream=False)
        with self._open("POST", "/chat/completions", body) as (url, resp):
            reply = parse_json(resp.read(), url)
        return reply_content(reply, "message", url) or ""

    def pieces(self, req: Request) -> Iterator[str]:
        body = self._body(req, stream=True)
        with self._open("POST", "/chat/completions", body) as (url, resp):
            if (resp.getheader("Content-Type") or "").startswith("application/json"):
                # A server that ignores stream=True sends the whole reply at once.
                piece = reply_content(parse_json(resp.read(), url), "message", url)
                if piece:
                    yield piece
                return
            try:
                yield from stream_pieces(sse_data(resp), url)
            except UnicodeDecodeError as e:
                raise GeneratorError(
                    f"{url} sent a stream that is not UTF-8: {e}.", "Check the server."
                ) from e
