"""Crash-safe file writes: write a temporary file, fsync it, rename it over the target, fsync the dir.

POSIX ``rename`` is atomic, so after a crash a reader sees either the old file or the new one,
never a torn mix.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from sleuth.errors import CollectionError, DiskFullError


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def disk_full_error(path: Path) -> CollectionError:
    return DiskFullError(
        f"The disk is full (or a file-size or quota limit was reached) while writing {path}.",
        "Free some space and run the same command again; the last committed state is intact.",
    )


def _disk_error(path: Path, exc: OSError) -> CollectionError:
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return disk_full_error(path)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return CollectionError(
            f"No permission to write {path} ({exc.strerror}).",
            "Check the directory's permissions or choose another --collection.",
        )
    return CollectionError(f"Could not write {path}: {exc.strerror}.", "Check the disk and retry.")


def atomic_write(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` through ``fill(file)`` on a temporary file beside it, then fsync, rename and fsync
    the directory; an OSError removes the temporary file and is reported as a disk error naming ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _disk_error(path, exc) from exc


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
