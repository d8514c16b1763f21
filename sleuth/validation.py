"""What every document must be before it is stored, whichever way it came in (a file, the HTTP API,
the Python API): one rule set, so the same bad input gets the same answer everywhere.

- the id is a string with something other than white space in it, and not absurdly long;
- every string (id, title, text, metadata keys and values) is real Unicode: no lone surrogates,
  which ``json.loads`` accepts from ``\\ud800`` escapes but no UTF-8 store can write;
- the metadata is plain JSON: no NaN or infinities (which JSON does not have, and which would come
  back as ``null`` or break a strict reader), nested at most ``MAX_DEPTH`` deep;
- the text is at most ``MAX_TEXT_CHARS`` characters, so one document cannot exhaust memory.
"""

from __future__ import annotations

import math
from typing import Any

MAX_ID_CHARS = 1_000
MAX_DEPTH = 32
MAX_TEXT_CHARS = 50_000_000
"""About 50 MB of text: far above a 1,000-page book (~3 M characters), low enough to stay in memory."""


def _surrogate_at(s: str) -> int | None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _json_problem(value: Any, where: str, depth: int = 0) -> str | None:
    if depth > MAX_DEPTH:
        return f"{where} is nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{where} is {value!r}, which JSON cannot hold"
    if isinstance(value, str):
        at = _surrogate_at(value)
        return None if at is None else f"{where} holds a lone surrogate (U+{ord(value[at]):04X}) at character {at}"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where} has a non-string key {key!r}"
            problem = _json_problem(key, f"a key of {where}", depth + 1) or _json_problem(item, f"{where}.{key}", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        return next((p for i, v in enumerate(value) if (p := _json_problem(v, f"{where}[{i}]", depth + 1))), None)
    if value is None or isinstance(value, bool | int | float):
        return None
    return f"{where} is a {type(value).__name__}, not a JSON value"


def document_problem(doc_id: Any, title: Any, text: Any, metadata: Any) -> str | None:
    """Why a document cannot be stored, or None when it can."""
    if not isinstance(doc_id, str) or not doc_id.strip():
        return "the document id is empty (or only white space)" if isinstance(doc_id, str) else "the document id is not a string"
    if len(doc_id) > MAX_ID_CHARS:
        return f"the document id is {len(doc_id):,} characters long; the limit is {MAX_ID_CHARS:,}"
    for name, value in (("id", doc_id), ("title", title), ("text", text)):
        if not isinstance(value, str):
            return f"the {name} is not a string"
        at = _surrogate_at(value)
        if at is not None:
            return f"the {name} holds a lone surrogate (U+{ord(value[at]):04X}) at character {at}, which is not Unicode text"
    if len(text) > MAX_TEXT_CHARS:
        return f"the text is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,} (split the document)"
    if not isinstance(metadata, dict):
        return "the metadata is not an object"
    return _json_problem(metadata, "metadata")
