"""JSON Lines (``.jsonl``, ``.ndjson``): one JSON object per line, one document per object.

The id, title and text fields are configurable; every other field goes to the metadata. A record
without an id gets ``<file>:<line>``. Blank lines are skipped. Lines are split on bytes, so the
encoding must be ASCII-compatible (UTF-8, Latin-1, cp1252, ...). Duplicate ids are all yielded:
deduplication is the store's job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from sleuth.ingest.base import (
    BINARY_REMEDY,
    FORMATS,
    SNIFF_BYTES,
    Format,
    Item,
    Options,
    Rejected,
    Source,
    bad,
    decode,
    empty,
    looks_binary,
)
from sleuth.types import Document
from sleuth.validation import document_problem

_FIX_LINE = "fix the line"
_SHOWN_FIELDS = 10


@dataclass(frozen=True)
class Fields:
    """How a record maps onto a Document."""

    id: str
    title: str
    text: str
    id_required: bool = False
    # BEIR keeps extra fields in a nested "metadata" object; it is flattened into Document.metadata.
    nested_metadata: bool = False
    fix_hint: str = ""


def read_jsonl(source: Source, opts: Options) -> Iterator[Item]:
    fields = Fields(
        opts.id_field,
        opts.title_field,
        opts.text_field,
        fix_hint=" or name the text field with --text-field",
    )
    return read_records(source, opts, fields)


def read_records(source: Source, opts: Options, fields: Fields) -> Iterator[Item]:
    """Stream a JSON-lines file one line at a time, so its size does not matter."""
    try:
        handle = source.path.open("rb")
    except OSError as e:
        yield bad(opts, source.path, None, f"cannot read: {e.strerror or e}", "check that it is readable")
        return
    with handle:
        if looks_binary(handle.read(SNIFF_BYTES), opts.encoding):
            yield bad(opts, source.path, None, "looks like a binary file", BINARY_REMEDY)
            return
        handle.seek(0)
        # A range starts at a line start; line numbers stay those of the whole file.
        first_line = 1 + sum(block.count(b"\n") for block in _blocks(handle, source.start))
        offset = source.start
        records = 0
        for line_no, raw in enumerate(handle, first_line):
            if source.end is not None and offset >= source.end:
                break
            line = decode(raw, source.path, opts, offset=offset, line=line_no)
            offset += len(raw)
            if isinstance(line, Rejected):
                yield line
                records += 1
            elif line.strip():
                yield _to_document(line, line_no, source, opts, fields)
                records += 1
    if not records and source.start == 0:
        yield empty(source.path, None, "empty file: no JSON records")


def _blocks(handle: BinaryIO, size: int) -> Iterator[bytes]:
    """The first ``size`` bytes of ``handle``, in blocks (leaves it positioned at ``size``)."""
    while size > 0:
        block = handle.read(min(size, 1 << 20))
        if not block:
            return
        size -= len(block)
        yield block


def _to_document(line: str, line_no: int, source: Source, opts: Options, f: Fields) -> Item:
    def fail(what: str, remedy: str = _FIX_LINE) -> Rejected:
        return bad(opts, source.path, line_no, what, remedy)

    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        return fail(f"invalid JSON: {e.msg} at column {e.colno}")
    except (ValueError, RecursionError) as e:
        return fail(f"invalid JSON: {e or 'nested too deeply'}")
    if not isinstance(record, dict):
        return fail(f"expected a JSON object, got {_json_type(record)}")
    if f.text not in record:
        return fail(f"missing field {f.text!r} (fields present: {_field_list(record)})", _FIX_LINE + f.fix_hint)
    text = record[f.text]
    if not isinstance(text, str):
        return fail(f"field {f.text!r} must be a string, got {_json_type(text)}")

    doc_id = record.get(f.id)
    if f.id not in record:
        if f.id_required:
            return fail(f"missing field {f.id!r} (fields present: {_field_list(record)})")
        doc_id = f"{source.rel}:{line_no}"
    elif isinstance(doc_id, int) and not isinstance(doc_id, bool):
        doc_id = str(doc_id)
    elif not isinstance(doc_id, str):
        return fail(f"field {f.id!r} must be a string or an integer, got {_json_type(doc_id)}")
    elif not doc_id.strip():
        return fail(f"field {f.id!r} is empty")

    title = record.get(f.title) or ""
    if not isinstance(title, str):
        return fail(f"field {f.title!r} must be a string, got {_json_type(title)}")
    # json.loads accepts escaped lone surrogates, which no UTF-8 store could write back.
    if "\\u" in line and not _encodable(record):
        return fail("invalid JSON: \\u escape of a lone surrogate (not a Unicode character)")
    if not text.strip() and not title.strip():  # a title alone is a document (CACM has 1,617 such)
        return empty(source.path, line_no, f"empty text and title in record {doc_id!r}")

    metadata = {k: v for k, v in record.items() if k not in (f.id, f.title, f.text)}
    if f.nested_metadata and isinstance(metadata.get("metadata"), dict):
        metadata.update(metadata.pop("metadata"))
    problem = document_problem(doc_id, title, text, metadata)
    if problem:
        return fail(problem)
    return Document(doc_id=doc_id, text=text, title=title, source=str(source.path), metadata=metadata)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    names = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), "null")


def _field_list(record: dict[str, Any]) -> str:
    names = list(record)
    shown = ", ".join(names[:_SHOWN_FIELDS]) or "none"
    return shown + (f", ... ({len(names)} in all)" if len(names) > _SHOWN_FIELDS else "")


def _encodable(record: dict[str, Any]) -> bool:
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


FORMATS.add("jsonl", Format("jsonl", read_jsonl, extensions=(".jsonl", ".ndjson"), splittable=True))
