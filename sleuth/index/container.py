"""One file of named numpy arrays, opened by mmap in constant time.

Layout: ``b"SLEUTHAR"``, a little-endian u64 header length, a JSON header
``{"meta": {...}, "arrays": {name: [dtype, shape, offset]}, "sha256": header digest}``, then each array's
bytes at a 64-byte aligned offset. Opening reads the header, checks the file's size against it and
hands out read-only ``numpy`` views of one ``mmap``: nothing is copied and nothing proportional to
the file is read, so a reader pays for the pages a query touches. The whole-file sha256 (recorded in
the manifest by the writer) is verified by :func:`verify` — by ``sleuth doctor``, before a merge, and
at open for files under ``VERIFY_AT_OPEN`` bytes (Lucene's rule: small files at open, large ones on
check), so ordinary damage to a small collection is still caught at once.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from sleuth.errors import CollectionError
from sleuth.atomic import atomic_write

MAGIC = b"SLEUTHAR"
ALIGN = 64
VERIFY_AT_OPEN = 16 << 20


def write_arrays(path: Path, arrays: dict[str, np.ndarray], meta: dict | None = None) -> dict[str, object]:
    """Write atomically (temp file, fsync, rename, fsync dir); returns {file, sha256, bytes}."""
    table, offset = {}, 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        arrays[name] = a
        table[name] = [a.dtype.str, list(a.shape), offset]
        offset += -(-a.nbytes // ALIGN) * ALIGN
    body = {"meta": meta or {}, "arrays": table}
    head = json.dumps({**body, "sha256": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()},
                      sort_keys=True).encode()
    start = -(-(len(MAGIC) + 8 + len(head)) // ALIGN) * ALIGN
    h = hashlib.sha256()

    def fill(f: BinaryIO) -> None:
        prefix = MAGIC + struct.pack("<Q", len(head)) + head
        prefix += b"\0" * (start - len(prefix))
        f.write(prefix)
        h.update(prefix)
        for name, a in arrays.items():
            data = memoryview(a.reshape(-1).view(np.uint8)) if a.size else b""
            pad = b"\0" * (-(-a.nbytes // ALIGN) * ALIGN - a.nbytes)
            for piece in (data, pad):
                f.write(piece)
                h.update(piece)

    atomic_write(path, fill)
    return {"file": path.name, "sha256": h.hexdigest(), "bytes": start + offset}


class Arrays:
    """The arrays of one file, as read-only views of its mmap; ``meta`` is the header's dict."""

    def __init__(self, path: Path, meta: dict, arrays: dict[str, np.ndarray], mm: mmap.mmap | None) -> None:
        self.path, self.meta, self._arrays, self._mm = path, meta, arrays, mm

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def __contains__(self, name: str) -> bool:
        return name in self._arrays


def open_arrays(path: Path, entry: dict, fix: str) -> Arrays:
    """Open a file written by :func:`write_arrays`, as its manifest ``entry`` describes it."""
    try:  # a writer may remove the file at any moment (after a merge): missing is one error, never two
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size != entry.get("bytes", size):
                raise CollectionError(
                    f"Index file {path} is damaged (it has {size:,} bytes, not {entry['bytes']:,}).", fix)
            if size == 0:
                raise CollectionError(f"Index file {path} is damaged (empty).", fix)
            if size <= VERIFY_AT_OPEN and _sha256(f) != entry["sha256"]:
                raise CollectionError(f"Index file {path} is damaged (checksum mismatch).", fix)
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        raise CollectionError(f"Index file {path} is missing.", fix) from None
    try:
        if mm[: len(MAGIC)] != MAGIC:
            raise ValueError("bad magic")
        (n,) = struct.unpack("<Q", mm[len(MAGIC) : len(MAGIC) + 8])
        header = json.loads(mm[len(MAGIC) + 8 : len(MAGIC) + 8 + n])
        body = {"meta": header["meta"], "arrays": header["arrays"]}
        if hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest() != header["sha256"]:
            raise ValueError("header checksum")
        start = -(-(len(MAGIC) + 8 + n) // ALIGN) * ALIGN
        arrays = {}
        for name, (dtype, shape, offset) in header["arrays"].items():
            count = int(np.prod(shape, dtype=np.int64))
            if start + offset + count * np.dtype(dtype).itemsize > size:
                raise ValueError("array past the end")
            arrays[name] = np.frombuffer(mm, dtype=dtype, count=count, offset=start + offset).reshape(shape)
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError):
        mm.close()
        raise CollectionError(f"Index file {path} is damaged (unreadable header).", fix) from None
    return Arrays(path, header["meta"], arrays, mm)


def _sha256(f) -> str:  # noqa: ANN001 - an open binary file
    h = hashlib.sha256()
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
    return h.hexdigest()


def verify(path: Path, entry: dict, fix: str) -> None:
    """Raise CollectionError unless ``path`` exists and has the sha256 its manifest entry records."""
    try:
        with open(path, "rb") as f:
            digest = _sha256(f)
    except FileNotFoundError:
        raise CollectionError(f"Index file {path} is missing.", fix) from None
    if digest != entry["sha256"]:
        raise CollectionError(f"Index file {path} is damaged (checksum mismatch).", fix)
