"""The OpenAI chat-completions wire format, as pure functions: server-sent events, reply JSON, error
bodies, and the retry schedule (exponential backoff, ``Retry-After``).

No I/O here: :mod:`sleuth.rag.generators.openai_compat` sends the requests and feeds these the bytes.
References: WHATWG HTML, "Server-sent events" (9.2.6); RFC 9110 section 10.2.3 (Retry-After);
OpenAI API reference, "Create chat completion" (``choices[0].message`` / ``choices[0].delta``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sleuth.rag.generators.base import GeneratorError

__all__ = [
    "MAX_DETAIL",
    "MAX_WAIT",
    "backoff_delays",
    "error_detail",
    "parse_json",
    "reply_content",
    "retry_after",
    "sse_data",
    "stream_pieces",
]

#: Longest wait before a retry, whatever Retry-After asks for.
MAX_WAIT = 60.0
#: Characters of an error body kept for a message (servers may send whole HTML pages).
MAX_DETAIL = 300


def backoff_delays(retries: int, base: float, cap: float = 8.0) -> list[float]:
    """Seconds to wait before retry 1, 2, ..., ``retries``: ``base * 2**i``, at most ``cap``.

    No jitter: a local tool makes one request at a time, so there is no herd of clients to spread out.
    """
    return [min(cap, base * 2**i) for i in range(retries)]


def retry_after(value: str | None) -> float:
    """Seconds asked for by a ``Retry-After`` header in its delta-seconds form; 0 if absent or a date."""
    try:
        return min(MAX_WAIT, max(0.0, float(value))) if value else 0.0
    except ValueError:
        return 0.0


def sse_data(lines: Iterable[bytes]) -> Iterator[str]:
    """The data of each server-sent event in ``lines`` (WHATWG HTML, "Server-sent events", 9.2.6).

    An event's ``data:`` lines are joined with newlines and it ends at a blank line; comments (lines
    starting with ``:``, e.g. keep-alive pings) and the other fields (event, id, retry) are skipped.
    An event left unterminated when the stream ends is still delivered: some servers omit the last
    blank line. UTF-8 decoding errors raise ``UnicodeDecodeError`` (a ``ValueError``).
    """
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def _snippet(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL] + "..."


def parse_json(text: str | bytes, url: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise GeneratorError(
            f"{url} answered with something that is not JSON: {_snippet(text)!r}.",
            "Check that the URL is the root of an OpenAI-compatible API (e.g. http://127.0.0.1:8080/v1).",
        ) from None


def reply_content(reply: Any, key: str, url: str) -> str | None:
    """``reply["choices"][0][key]["content"]`` (key: "message", or "delta" in a stream), checked."""
    if isinstance(reply, dict) and "error" in reply:
        raise GeneratorError(f"{url} reported an error: {error_detail(reply)}.", "Check the server's log.")
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if key == "delta" and choices == []:  # the usage-only chunk that ends some streams
        return None
    try:
        content = choices[0][key].get("content")  # type: ignore[index]
        well_formed = content is None or isinstance(content, str)
    except (LookupError, TypeError, AttributeError):
        well_formed = False
    if not well_formed:
        raise GeneratorError(
            f"{url} answered JSON without choices[0].{key}.content: {_snippet(json.dumps(reply))!r}.",
            "Check that the URL is the root of an OpenAI-compatible API (e.g. http://127.0.0.1:8080/v1).",
        )
    return content if isinstance(content, str) else None


def stream_pieces(events: Iterable[str], url: str) -> Iterator[str]:
    """The text pieces (``choices[0].delta.content``) of chat-completion chunks, up to ``[DONE]``."""
    for data in events:
        if data.strip() == "[DONE]":
            return
        piece = reply_content(parse_json(data, url), "delta", url)
        if piece:
            yield piece


def error_detail(body: Any) -> str:
    """The human part of an error body: OpenAI's ``error.message``, FastAPI's ``detail``, or the text."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return _snippet(body)
    if isinstance(body, dict):
        err = body.get("error", body.get("detail", body.get("message")))
        if isinstance(err, dict) and "message" in err:
            err = err["message"]
        if err is not None:
            return _snippet(err if isinstance(err, str) else json.dumps(err))
    return _snippet(json.dumps(body))
