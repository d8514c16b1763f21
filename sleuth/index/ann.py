"""The persisted ANN graph: a usearch HNSW index saved beside the vector segments.

HNSW (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor search using Hierarchical
Navigable Small World graphs", TPAMI 2018) through usearch, cosine metric. Keys are chunk ids. The
graph holds int8 copies of the vectors (384 B each instead of 1,536), each scaled by its own max |v|
(:func:`sleuth.index.quantize.quantize_int8`; the scale does not change a cosine, and it uses the
whole int8 range, which usearch's own float-to-int8 cast does not for unit vectors). It only
proposes candidates, which the reader rescores exactly from the float32 segments (recall is
measured by ``benchmarks/bench_scale.py``).

The writer extends the graph as vectors are added (``restore`` into memory, ``add``, save to a
temporary file, fsync, rename; the manifest then names the new file and its sha256), so a kill -9
during a build leaves the previous graph, or none, never a torn one. Deleted chunks stay in the graph
and are filtered at query time; when the vector segments are compacted the graph is rebuilt. A
reader opens the file with ``view`` (mmap): no graph is built or loaded at open, but usearch's file
format (v2) has no table of node offsets, so ``view`` walks every node to find them: at 1,000,000
vectors it maps ~330 MB, and a first search much of the rest (benchmarks/ann_sweep.py).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from sleuth.errors import CollectionError
from sleuth.index.quantize import quantize_int8
from sleuth.atomic import _disk_error, fsync_dir, sha256_file

GRAPH = "ann.usearch"
CONNECTIVITY = 32
EXPANSION_ADD = 128
EXPANSION_SEARCH = 1024
"""The least search breadth (ef); larger graphs get :func:`search_expansion`."""
DTYPE = "i8"
# usearch's parallel add leaves some nodes unreachable while a graph is small (300 vectors added on 2
# threads: a node not found by its own vector in 20 of 30 builds; none on one thread, and none in either
# way at 20,000), so the first SERIAL_ROWS nodes go in on one thread.
SERIAL_ROWS = 4096
# Measured on real MiniLM vectors (benchmarks/bench_scale.py's corpus, 50,000 passages, SciFact claims
# as queries): connectivity 16 reached recall@10 0.86 at expansion 256; 32 reached 0.95 / 0.98 / 0.99 at
# 256 / 512 / 1024. The graph only proposes candidates, so search errs on the side of recall.


def search_expansion(rows: int) -> int:
    """HNSW search breadth for a graph of ``rows`` vectors: ef = max(EXPANSION_SEARCH, 5 * sqrt(rows)).

    A fixed ef loses recall as the graph grows. Measured on benchmarks/bench_scale.py's corpus (real
    MiniLM geometry; connectivity 32, expansion_add 128; recall@10 against an exact scan, 300 SciFact
    claims; ``python benchmarks/ann_sweep.py COLLECTION``): at 1,000,000 vectors ef 1024 / 2048 / 4096 /
    5000 gave 0.940 / 0.965 / 0.978 / 0.982 (search cost grows about linearly with ef); at 100,000,
    0.979 with ef 1024 and 0.987 with this rule's 1,581 (bench_scale.py); at 50,000, 0.99 with 1024. The
    square root fits those sizes; the graph only proposes candidates (they are rescored exactly), so it
    errs on the side of recall.
    """
    return max(EXPANSION_SEARCH, int(round(5 * math.sqrt(max(rows, 0)))))


def _int8(vecs: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(quantize_int8(np.asarray(vecs, np.float32))[0])


def _index_class():  # noqa: ANN202 - usearch.index.Index, imported lazily
    """usearch's Index class. onnxruntime must be loaded first: creating an onnxruntime session after
    usearch's extension was loaded crashes the process (segfault, usearch 2.26 + onnxruntime 1.32)."""
    import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


def _new(dim: int):  # noqa: ANN202 - usearch.index.Index
    return _index_class()(ndim=dim, metric="cos", dtype=DTYPE, connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD,
                 expansion_search=EXPANSION_SEARCH)


def extend(directory: Path, entry: dict | None, dim: int, parts: Iterable[tuple[np.ndarray, np.ndarray]],
           threads: int = 0) -> dict:
    """Add (chunk ids, vectors) parts to the graph named by ``entry`` (None: a new graph); save; new entry."""
    if entry is None:
        graph = _new(dim)
    else:
        graph = _index_class().restore(str(directory / entry["file"]))
        if graph is None:
            raise CollectionError(f"ANN graph {directory / entry['file']} cannot be read.",
                                  f"Run `sleuth doctor --repair --collection {directory.parent}` to rebuild it.")
    covered = int(entry["covered"]) if entry else 0
    for ids, vecs in parts:
        if len(ids):
            keys, q = np.asarray(ids, np.int64), _int8(vecs)
            serial = max(0, SERIAL_ROWS - len(graph))
            if serial:
                graph.add(keys[:serial], q[:serial], threads=1)
            if len(keys) > serial:
                graph.add(keys[serial:], q[serial:], threads=threads)
            covered = max(covered, int(np.max(ids)))
    gen = int(entry["gen"]) + 1 if entry else 1
    path = directory / f"ann-{gen:06d}.usearch"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        graph.save(str(tmp))
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(directory)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _disk_error(path, exc) from exc
    return {"file": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size, "gen": gen,
            "covered": covered, "rows": int(len(graph)), "dtype": DTYPE, "connectivity": CONNECTIVITY}


def open_view(directory: Path, entry: dict):  # noqa: ANN201 - usearch.index.Index
    """The graph memory-mapped read-only (``view``): opening costs the same at any size."""
    path = directory / entry["file"]
    fix = f"Run `sleuth doctor --repair --collection {directory.parent}` to rebuild the ANN graph."
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CollectionError(f"ANN graph {path} is missing.", fix) from None
    if size != entry["bytes"]:
        raise CollectionError(f"ANN graph {path} is damaged (it has {size:,} bytes, not {entry['bytes']:,}).", fix)
    try:
        graph = _index_class().restore(str(path), view=True)
    except (RuntimeError, ValueError) as exc:
        raise CollectionError(f"ANN graph {path} is damaged ({exc}).", fix) from None
    if graph is None:
        raise CollectionError(f"ANN graph {path} is damaged (unreadable header).", fix)
    graph.expansion_search = search_expansion(len(graph))
    return graph


def candidates(graph, q: np.ndarray, count: int) -> np.ndarray:  # noqa: ANN001
    """Chunk ids of about ``count`` approximate nearest neighbours of ``q``."""
    found = graph.search(_int8(np.asarray(q, np.float32).reshape(1, -1))[0], count)
    keys = np.asarray(found.keys, np.int64)
    return keys[keys >= 0] if keys.ndim == 1 else keys[0][keys[0] >= 0]
