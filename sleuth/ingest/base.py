"""What every reader shares: options, the Rejected record, the format registry, file decoding."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sleuth.errors import FormatError
from sleuth.registry import Registry
from sleuth.types import Document

SKIP_HINT = "or pass --skip-bad to record it and go on"
ENCODING_REMEDY = "re-encode it as UTF-8 (e.g. iconv -f latin1 -t utf-8) or pass --encoding latin-1"
BINARY_REMEDY = "remove it from the input or pass the --format it really has"
# A NUL byte in the first block is how git and grep tell binary from text, too.
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Rejected:
    """An input that produced no document, and why; yielded in place of a Document."""

    source: str
    line: int | None
    reason: str
    empty: bool = field(default=False, compare=False)
    """Nothing was wrong with it, there was just nothing in it (reported, never a failure of the run)."""


@dataclass(frozen=True)
class Options:
    id_field: str = "_id"
    title_field: str = "title"
    text_field: str = "text"
    encoding: str = "utf-8"
    skip_bad: bool = False
    include_references: bool = False
    """PDF: also index the reference list as body text (it is always parsed into metadata)."""


@dataclass(frozen=True)
class Source:
    """A file to read; ``rel`` is its path below the root it was found under, with forward slashes.

    ``start``/``end`` (byte offsets at line starts) restrict a line-record format (``Format.splittable``)
    to the records that start in that range, so that workers can share one large file.
    """

    path: Path
    rel: str
    start: int = 0
    end: int | None = None


Item = Document | Rejected
Reader = Callable[[Source, Options], Iterator[Item]]


@dataclass(frozen=True)
class Format:
    """An input format: its reader and the file names or extensions that select it."""

    name: str
    read: Reader
    extensions: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    splittable: bool = False
    """One record per line, so a byte range of whole lines is read on its own (see ``Source``)."""


FORMATS: Registry[Format] = Registry("input format")


def format_for(path: Path) -> Format | None:
    """The format a file's name implies; an exact file name (corpus.jsonl) beats an extension."""
    formats = [FORMATS.get(name) for name in FORMATS.names()]
    for fmt in formats:
        if path.name in fmt.filenames:
            return fmt
    return next((fmt for fmt in formats if path.suffix.lower() in fmt.extensions), None)


def bad(opts: Options, path: Path, line: int | None, what: str, remedy: str) -> Rejected:
    """Raise a problem as a FormatError or, with skip_bad, return it as a Rejected to yield."""
    if not opts.skip_bad:
        raise FormatError(str(path), line, what, f"{remedy} {SKIP_HINT}")
    return Rejected(str(path), line, f"{what}; {remedy}")


def empty(path: Path, line: int | None, what: str) -> Rejected:
    """An empty input is reported, never fatal, whatever skip_bad says."""
    return Rejected(str(path), line, what, empty=True)


def looks_binary(head: bytes, encoding: str) -> bool:
    # UTF-16/32 text is full of NUL bytes, so the sniff only means something for byte encodings.
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    return not wide and b"\x00" in head[:SNIFF_BYTES]


def decode(
    data: bytes, path: Path, opts: Options, *, offset: int = 0, line: int | None = None
) -> str | Rejected:
    """Decode strictly and drop a BOM; ``offset``/``line`` place ``data`` within its file."""
    try:
        text = data.decode(opts.encoding)
    except UnicodeError as e:
        start = getattr(e, "start", 0)
        where = line if line is not None else data.count(b"\n", 0, start) + 1
        return bad(opts, path, where, f"not valid {opts.encoding} at byte {offset + start}", ENCODING_REMEDY)
    return text.removeprefix("\ufeff")


def read_bytes(path: Path, opts: Options) -> bytes | Rejected:
    try:
        return path.read_bytes()
    except OSError as e:
        return bad(opts, path, None, f"cannot read: {e.strerror or e}", "check that it exists and is readable")


def load_text(path: Path, opts: Options) -> str | Rejected:
    """A whole text file, decoded; binary, undecodable and empty files come back as Rejected."""
    data = read_bytes(path, opts)
    if isinstance(data, Rejected):
        return data
    if looks_binary(data, opts.encoding):
        return bad(opts, path, None, "looks like a binary file", BINARY_REMEDY)
    text = decode(data, path, opts)
    if isinstance(text, str) and not text.strip():
        return empty(path, None, "empty file" if not text else "empty text: only whitespace")
    return text
