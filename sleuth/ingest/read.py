"""``read_paths``: find the files under the given paths and stream them through their readers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sleuth.errors import ConfigError, InputError
from sleuth.ingest.base import FORMATS, Format, Item, Options, Rejected, Source, bad, empty, format_for
from sleuth.ingest.beir import CORPUS_FILE
from sleuth.ingest.sources import Ledger, RunLedger, SourceSeen, Unchanged, tracked

PathArg = str | os.PathLike[str]


def read_paths(
    paths: PathArg | Iterable[PathArg],
    *,
    fmt: str | None = None,
    id_field: str = "_id",
    title_field: str = "title",
    text_field: str = "text",
    encoding: str = "utf-8",
    skip_bad: bool = False,
    include_references: bool = False,
    ledger: Ledger | None = None,
    on_source: Callable[[Source], None] | None = None,
) -> Iterator[Item | Unchanged | SourceSeen]:
    """Stream a Document, or a Rejected, for every input found under ``paths``.

    Directories are walked recursively in name order, skipping hidden entries, symlinked
    directories and files of no known format. A directory holding ``corpus.jsonl`` is a BEIR
    dataset: only its corpus is read. ``fmt`` forces one format on every file. Document ids of
    one-file-one-document formats are paths relative to the argument they were found under (a
    file given directly: its name). Bad paths and options raise here, before anything is read;
    a bad file raises FormatError when reached, or is yielded as Rejected with ``skip_bad``.
    ``include_references`` also indexes a PDF's reference list as text. With a ``ledger`` (a
    collection's docstore) whole files go through :func:`sleuth.ingest.sources.tracked`: unchanged
    ones are skipped before parsing (:class:`Unchanged`) and each read one is followed by a
    :class:`SourceSeen` record. ``on_source`` is called with each file just before it is read
    (progress: "reading x.pdf").
    """
    opts = Options(id_field, title_field, text_field, encoding, skip_bad, include_references)
    return read_sources(sources(paths, fmt=fmt, opts=opts), opts, on_source, ledger)


def sources(paths: PathArg | Iterable[PathArg], *, fmt: str | None = None,
            opts: Options = Options()) -> Iterator[tuple[Format, Source] | Rejected]:
    """The files ``read_paths`` would read, each with its format (unreadable directories as Rejected).

    Bad paths and options raise here, before anything is walked.
    """
    roots = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths]
    forced = FORMATS.get(fmt) if fmt is not None else None
    _check_encoding(opts.encoding)
    for root in roots:
        _check_root(root, forced)
    return _sources(roots, forced, opts)


def _check_encoding(encoding: str) -> None:
    # Not b"": decoding nothing skips the codec lookup. Non-text codecs (rot13, hex) fail lookup too.
    try:
        b"a".decode(encoding)
    except LookupError:
        raise ConfigError(
            f"Unknown text encoding {encoding!r}.", "Use a Python codec name such as utf-8, latin-1 or cp1252."
        ) from None
    except UnicodeError:
        pass  # a real codec for which one byte is too short (utf-16) or invalid


def _check_root(root: Path, forced: Format | None) -> None:
    if not root.exists():
        raise InputError(f"No such file or directory: {root}", "Check the path (relative paths start at the current directory).")
    if root.is_dir():
        if forced is not None and forced.name == "beir" and not (root / CORPUS_FILE).is_file():
            raise InputError(
                f"No {CORPUS_FILE} in {root}", f"Pass the BEIR dataset directory that holds {CORPUS_FILE}, or the file itself."
            )
    elif not root.is_file():
        raise InputError(f"Not a regular file or directory: {root}", "Pass files or directories.")
    elif forced is None and format_for(root) is None:
        formats = [FORMATS.get(name) for name in FORMATS.names()]
        known = sorted({ext for f in formats for ext in f.extensions} | {n for f in formats for n in f.filenames})
        raise InputError(
            f"Unknown file type: {root}",
            f"Supported: {', '.join(known)}; or pass --format ({', '.join(FORMATS.names())}) to read it as one.",
        )


def _sources(roots: list[Path], forced: Format | None, opts: Options) -> Iterator[tuple[Format, Source] | Rejected]:
    for root in roots:
        if root.is_dir():
            yield from _walk(root, root, forced, opts)
        else:
            yield forced or format_for(root), Source(root, root.name)  # type: ignore[misc]  # _check_root: known


def read_sources(found: Iterable[tuple[Format, Source] | Rejected], opts: Options = Options(),
                 on_source: Callable[[Source], None] | None = None,
                 ledger: Ledger | None = None) -> Iterator[Item | Unchanged | SourceSeen]:
    """Read what :func:`sources` found (a list of it may be kept to count the work first); with a
    ``ledger``, through :func:`sleuth.ingest.sources.tracked` (see :func:`read_paths`).

    A file of zero bytes is reported as ``empty file`` whatever its format, never fatal: an empty
    .pdf is as harmless as an empty .txt (the readers' own checks cover files that hold only
    whitespace, front matter or blank lines).
    """
    run = RunLedger(ledger) if ledger is not None else None
    for entry in found:
        if isinstance(entry, Rejected):
            yield entry
            continue
        fmt, source = entry
        if on_source is not None:
            on_source(source)
        if _size(source.path) == 0 and source.start == 0:
            yield empty(source.path, None, "empty file")
            continue
        yield from tracked(fmt, source, opts, run) if run is not None else fmt.read(source, opts)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None  # the reader reports it


def expected_records(found: Iterable[tuple[Format, Source] | Rejected]) -> int:
    """How many items reading ``found`` will yield, about: one per file, or per line of a line-record
    file (blank lines included, so a slight over-count), found by counting newlines (fast: no parsing)."""
    total = 0
    for entry in found:
        if isinstance(entry, Rejected) or not entry[0].splittable:
            total += 1
            continue
        total += _lines(entry[1].path)
    return total


def _lines(path: Path) -> int:
    n, last = 0, b"\n"
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                n += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return 1  # the reader reports it
    return n + (last != b"\n")


def _walk(
    folder: Path, root: Path, forced: Format | None, opts: Options
) -> Iterator[tuple[Format, Source] | Rejected]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        yield bad(opts, folder, None, f"cannot read directory: {e.strerror or e}", "check its permissions")
        return
    if forced is None or forced.name == "beir":
        corpus = next((e for e in entries if e.name == CORPUS_FILE and e.is_file()), None)
        if corpus is not None:
            path = Path(corpus.path)
            yield FORMATS.get("beir"), Source(path, path.relative_to(root).as_posix())
            return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(path, root, forced, opts)
        elif entry.is_file() and (fmt := forced or format_for(path)) is not None:
            yield fmt, Source(path, path.relative_to(root).as_posix())
