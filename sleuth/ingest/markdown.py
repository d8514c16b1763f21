"""Markdown (``.md``, ``.markdown``): one document per file, the markdown source kept as the text.

A leading YAML front matter block (``---`` ... ``---``) goes to the metadata and is cut from the
text. The title is the front matter's ``title``, else the first level-1 ATX heading outside code
fences, else the file's stem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from sleuth.ingest.base import FORMATS, Format, Item, Options, Rejected, Source, bad, empty, load_text
from sleuth.types import Document

_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?:(.*?)\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL
)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_H1 = re.compile(r" {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*")


def read_markdown(source: Source, opts: Options) -> Iterator[Item]:
    content = load_text(source.path, opts)
    if isinstance(content, Rejected):
        yield content
        return
    split = _split_front_matter(content, source, opts)
    if isinstance(split, Rejected):
        yield split
        return
    meta, text = split
    if not text.strip():
        yield empty(source.path, None, "empty text: only front matter")
        return
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        title = _first_h1(text) or source.path.stem
    yield Document(doc_id=source.rel, text=text, title=title.strip(), source=str(source.path), metadata=meta)


def _split_front_matter(
    content: str, source: Source, opts: Options
) -> tuple[dict[str, Any], str] | Rejected:
    match = _FRONT_MATTER.match(content)
    if not match:
        return {}, content
    try:
        data = yaml.safe_load(match.group(1) or "")
        # A JSON round trip turns YAML dates and other non-JSON values into what a store can save.
        meta = json.loads(json.dumps(data, default=str, skipkeys=True))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        # +2: the opening --- line, and marks count from 0.
        line = mark.line + 2 if mark is not None else None
        problem = getattr(e, "problem", None) or str(e)
        return bad(opts, source.path, line, f"invalid YAML front matter: {problem}", "fix the front matter")
    except (ValueError, RecursionError) as e:
        return bad(opts, source.path, None, f"invalid YAML front matter: {e}", "fix the front matter")
    if data is None:
        return {}, content[match.end() :]
    if not isinstance(meta, dict):
        # Not front matter after all: a thematic break followed by a setext heading.
        return {}, content
    return meta, content[match.end() :]


def _first_h1(text: str) -> str:
    fence = ""
    for line in text.splitlines():
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1).startswith(fence):
                fence = ""
        elif opening:
            fence = opening.group(1)
        elif heading := _H1.fullmatch(line):
            if heading.group(1).strip():
                return heading.group(1)
    return ""


FORMATS.add("markdown", Format("markdown", read_markdown, extensions=(".md", ".markdown")))
