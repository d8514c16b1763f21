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
MAX_FRONT_MATTER = 65_536  # characters
MAX_NODES = 10_000  # values, after aliases are expanded
MAX_DEPTH = 32
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
    block = match.group(1) or ""
    if len(block) > MAX_FRONT_MATTER:
        return bad(opts, source.path, 1, f"front matter is {len(block):,} characters long; the limit is "
                   f"{MAX_FRONT_MATTER:,}", "shorten it (it is metadata, not text)")
    try:
        data = bounded_yaml(block)
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
    except FrontMatterTooLarge as e:
        return bad(opts, source.path, None, f"YAML front matter {e}", "write the values out instead of "
                   "repeating anchors (&name / *name)")
    if data is None:
        return {}, content[match.end() :]
    if not isinstance(meta, dict):
        # Not front matter after all: a thematic break followed by a setext heading.
        return {}, content
    return meta, content[match.end() :]


class FrontMatterTooLarge(Exception):
    pass


def bounded_yaml(text: str) -> Any:
    """``yaml.safe_load`` that refuses YAML whose aliases expand it beyond ``MAX_NODES`` nodes or
    ``MAX_DEPTH`` levels (a "billion laughs": a few hundred bytes of nested ``*alias`` references
    that expand to billions of nodes).

    The document is composed first (aliases stay shared references, so composing is linear in the
    text), its expanded size is counted with one memoised walk — size(node) = 1 + sum of its
    children's sizes, each node counted once however often it is referenced — and only then
    constructed."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, 0)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, memo: dict[int, int], depth: int) -> int:
    if depth > MAX_DEPTH:
        raise FrontMatterTooLarge(f"nests more than {MAX_DEPTH} levels deep")
    if id(node) in memo:
        if memo[id(node)] < 0:
            raise FrontMatterTooLarge("refers to itself (a recursive alias)")
        return memo[id(node)]
    memo[id(node)] = -1
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    else:
        children = []
    size = 1 + sum(_expanded_size(c, memo, depth + 1) for c in children)
    if size > MAX_NODES:
        raise FrontMatterTooLarge(f"expands to more than {MAX_NODES:,} values (through its aliases)")
    memo[id(node)] = size
    return size


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
