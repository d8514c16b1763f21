"""Dense vectors beside the docstore: immutable segments, the persisted ANN graph, and the writer.

On disk (``DIR/vectors/``): segments of float32 vectors as plain ``.npy`` files (memory-mapped by
readers), each with the chunk ids of its rows (ascending) and their doc ids, plus, beyond
``ANN_THRESHOLD`` passages, the HNSW graph of :mod:`sleuth.index.ann`; all checksummed in
``manifest.json``, which also records the encoder's model id and checksum. The vectors are derived
from the docstore: chunks newer than the manifest's ``covered`` id are what a writer still has to
embed (``sleuth index`` does; a search never embeds them, it reports them, see
:mod:`sleuth.index.dense`), and the docstore decides which rows are live.

Vectors come from the collection's encoder (:func:`flush`) or from elsewhere (:func:`import_vectors`:
embeddings made on a GPU machine or by a Ray job, with the model id checked against the collection's).

Query-time formats (bytes per passage in memory, 384 dimensions):

- ``float32``: 1,536 B; exact inner product (vectors are L2-normalised, so this is cosine).
- ``int8``: 388 B; each vector scaled by its own max |v| to [-127, 127] (symmetric per-vector
  scalar quantisation), score = (q · v_int8) * scale.
- ``binary``: 48 B; sign bits, Hamming distance picks ``rescore`` x k candidates, which are then
  rescored exactly with the float32 vectors read from the memory-mapped file (binary quantisation
  with rescoring, as in Yamada et al. 2021 / the sentence-transformers quantisation guide).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from sleuth.errors import CollectionError, InputError
from sleuth.index import ann
from sleuth.index.container import VERIFY_AT_OPEN
from sleuth.index.encoders import Encoder
from sleuth.index.manifest import read_manifest, write_manifest
from sleuth.index.merging import pick_merge
from sleuth.atomic import atomic_write_bytes, sha256_file
from sleuth.docstore.store import ChunkRow, DocStore

MERGE_FACTOR = 8
"""Adjacent vector segments of one size tier merged at once (as the lexical segments)."""
ANN_THRESHOLD = 50_000
"""Passages above which the writer keeps an HNSW graph and search takes its candidates from it;
below, search is exact (a float32 scan of 50,000 x 384 takes ~5 ms here)."""
SEGMENT_ROWS = 2048  # a segment is written every this many embedded passages, so a long embed resumes
IMPORT_ROWS = 65_536
MAX_MERGED_ROWS = 262_144  # 400 MB of float32 at 384 dimensions: a merge's memory stays bounded  # imported vectors are written in bigger segments (no embedding to resume)
FORMATS = ("float32", "int8", "binary")



def passage_text(title: str, text: str) -> str:
    """What the encoders see for a passage: its document's title, then the passage (BEIR's convention)."""
    return f"{title} {text}".strip()


# -- segments ---------------------------------------------------------------------------------


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def fix_message(directory: Path) -> str:
    return f"Run `sleuth doctor --repair --collection {directory.parent}` to re-embed from the docstore."


def write_vector_segment(directory: Path, name: str, ids: np.ndarray, docs: np.ndarray, vecs: np.ndarray) -> dict:
    files = {"vectors": f"{name}.f32.npy", "ids": f"{name}.ids.npy", "docs": f"{name}.docs.npy"}
    for key, arr in (("vectors", vecs.astype(np.float32)), ("ids", ids.astype(np.int64)), ("docs", docs.astype(str))):
        atomic_write_bytes(directory / files[key], _npy(arr))
    return {"files": files, "sha256": {k: sha256_file(directory / f) for k, f in files.items()},
            "bytes": {k: (directory / f).stat().st_size for k, f in files.items()},
            "rows": int(len(ids)), "min_chunk": int(ids.min()) if len(ids) else 0,
            "max_chunk": int(ids.max()) if len(ids) else 0}


def verify_vector_segment(directory: Path, entry: dict) -> None:
    """Every file of the segment read in full against its checksum (doctor, merges)."""
    fix = fix_message(directory)
    for key, name in entry["files"].items():
        path = directory / name
        try:
            digest = sha256_file(path)
        except FileNotFoundError:
            raise CollectionError(f"Vector file {path} is missing.", fix) from None
        if digest != entry["sha256"][key]:
            raise CollectionError(f"Vector file {path} is damaged (checksum mismatch).", fix)


def read_vector_segment(directory: Path, entry: dict, *, mmap: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vectors, chunk ids, doc ids), memory-mapped. Sizes are checked at open, contents of files over
    VERIFY_AT_OPEN bytes only by :func:`verify_vector_segment` (opening must not read every vector)."""
    fix = fix_message(directory)
    out = []
    for key in ("vectors", "ids", "docs"):
        path = directory / entry["files"][key]
        try:
            size = path.stat().st_size
            want = entry.get("bytes", {}).get(key, size)
            if size != want:
                raise CollectionError(f"Vector file {path} is damaged (it has {size:,} bytes, not {want:,}).", fix)
            if size <= VERIFY_AT_OPEN and sha256_file(path) != entry["sha256"][key]:
                raise CollectionError(f"Vector file {path} is damaged (checksum mismatch).", fix)
            out.append(np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False))
        except FileNotFoundError:
            raise CollectionError(f"Vector file {path} is missing.", fix) from None
        except (ValueError, OSError) as exc:
            raise CollectionError(f"Vector file {path} cannot be read ({exc}).", fix) from None
    return out[0], out[1], out[2]


def check_model(manifest: dict, model_id: str, checksum: str, directory: Path) -> None:
    model = manifest.get("model")
    if model is None:
        return
    if (model["id"], model["checksum"]) != (model_id, checksum):
        raise CollectionError(
            f"{directory.parent} was embedded with {model['id']} (checksum {model['checksum']}), but the "
            f"encoder now is {model_id} (checksum {checksum}); mixing them would give wrong results.",
            "Use the sleuth version (and model package) that built it, or re-index into a new --collection.",
        )


def _embed(rows: list[ChunkRow], encoder: Encoder, progress: Callable[[int], None] | None) -> np.ndarray:
    out = []
    for i in range(0, len(rows), 256):
        part = rows[i : i + 256]
        out.append(encoder.encode_passages([passage_text(r.title, r.text) for r in part]))
        if progress:
            progress(len(part))
    return np.concatenate(out) if out else np.zeros((0, encoder.dim), np.float32)


def pending(directory: Path, store: DocStore) -> int:
    """Live passages not embedded yet (newer than the manifest's ``covered`` id)."""
    return store.count_chunks_between(int(read_manifest(directory)["covered"]) + 1, 2**62)


# -- the writer -------------------------------------------------------------------------------


def _append(directory: Path, manifest: dict, ids: np.ndarray, docs: np.ndarray, vecs: np.ndarray) -> dict:
    name = f"vec-{int(manifest['next']):06d}"
    entry = write_vector_segment(directory, name, ids, docs, vecs)
    manifest = {**manifest, "covered": entry["max_chunk"], "next": int(manifest["next"]) + 1,
                "segments": [*manifest["segments"], entry]}
    write_manifest(directory, manifest)
    return manifest


def flush(directory: Path, store: DocStore, encoder: Encoder,
          on_progress: Callable[[int], None] | None = None) -> int:
    """Embed every chunk not yet covered and persist it in segments; merge; extend the ANN graph. Writer only.

    Returns how many passages were embedded. A segment is committed every SEGMENT_ROWS passages, so
    an interrupted embed resumes where it stopped.
    """
    directory.mkdir(exist_ok=True)
    manifest = {**read_manifest(directory), "docstore": store.id}
    check_model(manifest, encoder.model_id, encoder.checksum, directory)
    manifest["model"] = {"id": encoder.model_id, "checksum": encoder.checksum, "dim": encoder.dim}
    done = 0
    for batch in store.iter_chunks(after=int(manifest["covered"]), batch=SEGMENT_ROWS):
        vecs = _embed(batch, encoder, on_progress)
        manifest = _append(directory, manifest, np.array([r.id for r in batch]),
                           np.array([r.doc_id for r in batch], dtype=str), vecs)
        done += len(batch)
    finish(directory, store, manifest)
    return done


def import_vectors(directory: Path, store: DocStore, parts: Iterable[tuple[np.ndarray, np.ndarray]], *,
                   model_id: str, checksum: str, dim: int) -> int:
    """Store vectors made elsewhere for the passages not embedded yet; returns how many. Writer only.

    ``parts`` yields (chunk ids, vectors) arrays, so a million vectors never need to be in memory at
    once; the chunk ids name the passages (as :meth:`DocStore.iter_chunks` gives them), and every
    live passage newer than what is embedded, up to the largest id given so far, must have a vector.
    The model id and checksum are recorded, and must match what the collection already holds. Each
    part is committed as it comes (an interrupted import keeps what it wrote); the graph and merges
    follow once, at the end.
    """
    directory.mkdir(exist_ok=True)
    manifest = {**read_manifest(directory), "docstore": store.id}
    check_model(manifest, model_id, checksum, directory)
    manifest["model"] = {"id": model_id, "checksum": checksum, "dim": dim}
    done = 0
    for chunk_ids, vecs in parts:
        manifest, n = _import_part(directory, store, manifest, np.asarray(chunk_ids, np.int64),
                                   np.asarray(vecs, np.float32), model_id, dim)
        done += n
    finish(directory, store, manifest)
    return done


def _import_part(directory: Path, store: DocStore, manifest: dict, chunk_ids: np.ndarray, vecs: np.ndarray,
                 model_id: str, dim: int) -> tuple[dict, int]:
    if vecs.ndim != 2 or vecs.shape != (len(chunk_ids), dim):
        raise InputError(f"Expected {len(chunk_ids)} vectors of {dim} dimensions, got an array of shape {vecs.shape}.",
                         f"Embed each passage with {model_id} ({dim} dimensions) and pass one row per chunk id.")
    norms = np.linalg.norm(vecs, axis=1)
    if not np.all(np.isfinite(norms)) or np.any(np.abs(norms - 1) > 1e-3):
        raise InputError("Imported vectors must be finite and L2-normalised (unit length).",
                         "Normalise each row (v / ||v||) before importing.")
    order = np.argsort(chunk_ids, kind="stable")
    chunk_ids, vecs = chunk_ids[order], vecs[order]
    done = 0
    if not len(chunk_ids):
        return manifest, done
    # Only ids and document ids are needed here: reading the passages' rows (with their documents'
    # text and checksums) for each part made an import of many small parts quadratic.
    last = int(chunk_ids[-1])
    for lo in range(int(manifest["covered"]) + 1, last + 1, IMPORT_ROWS):
        ids_in = store.chunk_ids_between(lo, min(lo + IMPORT_ROWS - 1, last))
        if not len(ids_in):
            continue
        pos = np.minimum(np.searchsorted(chunk_ids, ids_in), len(chunk_ids) - 1)
        missing = ids_in[chunk_ids[pos] != ids_in]
        if len(missing):
            raise InputError(f"No vector for {len(missing)} passage(s) (first: chunk id {int(missing[0])}).",
                             "Export every passage not embedded yet and embed them all; nothing was imported from this batch on.")
        docs = np.array(store.chunk_docs(ids_in), dtype=str)
        manifest = _append(directory, manifest, ids_in, docs, vecs[pos])
        done += len(ids_in)
    return manifest, done


def finish(directory: Path, store: DocStore, manifest: dict) -> dict:
    """Merge segments, extend or rebuild the ANN graph, publish, remove files no manifest names."""
    manifest = _merge(directory, manifest, store)
    live_rows = store.count_chunks()
    graph = manifest.get("ann")
    if live_rows > ANN_THRESHOLD or graph:
        after = int(graph["covered"]) if graph else 0
        if graph is None or int(manifest["covered"]) > after:
            parts = _rows_after(directory, manifest, after)
            manifest = {**manifest, "ann": ann.extend(directory, graph, int(manifest["model"]["dim"]), parts)}
            write_manifest(directory, manifest)
    if not (directory / "manifest.json").exists():
        write_manifest(directory, manifest)
    keep = {f for e in manifest["segments"] for f in e["files"].values()} | {"manifest.json"}
    if manifest.get("ann"):
        keep.add(manifest["ann"]["file"])
    for stale in directory.iterdir():
        if stale.name not in keep:
            stale.unlink(missing_ok=True)
    return manifest


def _rows_after(directory: Path, manifest: dict, after: int, block: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(chunk ids, vectors) of the rows with id > ``after``, ``block`` rows at a time (bounded memory)."""
    for e in manifest["segments"]:
        if e["max_chunk"] <= after:
            continue
        v, ids, _ = read_vector_segment(directory, e)
        for a in range(int(np.searchsorted(ids, after, side="right")), len(ids), block):
            yield np.asarray(ids[a : a + block]), np.asarray(v[a : a + block])


def _merge(directory: Path, manifest: dict, store: DocStore) -> dict:
    """Compact when over half the rows are dead; merge runs of MERGE_FACTOR adjacent same-tier segments."""
    rows = sum(e["rows"] for e in manifest["segments"])
    if rows > 2 * max(store.count_chunks(), 1):
        runs = [(0, len(manifest["segments"]))]
        manifest = {**manifest, "ann": None}  # the graph is rebuilt over the compacted rows
    else:
        runs = []
    while True:
        if not runs:
            found = pick_merge([e["rows"] for e in manifest["segments"]], MERGE_FACTOR, MAX_MERGED_ROWS)
            runs = [found] if found else []
        if not runs:
            return manifest
        a, b = runs.pop()
        entries = manifest["segments"]
        for e in entries[a:b]:
            verify_vector_segment(directory, e)
        parts = [read_vector_segment(directory, e) for e in entries[a:b]]
        ids = np.concatenate([p[1] for p in parts])
        live = np.isin(ids, store.chunk_ids_between(int(ids.min()), int(ids.max()))) if len(ids) else ids.astype(bool)
        vecs = np.concatenate([np.asarray(p[0]) for p in parts])[live]
        docs = np.concatenate([p[2] for p in parts])[live]
        name = f"vec-{int(manifest['next']):06d}"
        merged = [write_vector_segment(directory, name, ids[live], docs, vecs)] if live.any() else []
        manifest = {**manifest, "next": int(manifest["next"]) + 1, "segments": [*entries[:a], *merged, *entries[b:]]}
        write_manifest(directory, manifest)
