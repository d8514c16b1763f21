"""Dense vectors beside the docstore, and exact (optionally quantised) search over them.

On disk (``DIR/vectors/``): immutable segments of float32 vectors as plain ``.npy`` files (memory-
mapped when a single segment is live), each with the chunk ids and doc ids of its rows, all
checksummed in ``manifest.json``, which also records the encoder's model id and checksum. Like the
lexical index, the vectors are derived from the docstore: chunks newer than the manifest's
``covered`` id are what a writer still has to embed (a reader embeds them in memory), and the
docstore decides which rows are live.

Query-time formats (bytes per passage in memory, 384 dimensions):

- ``float32``: 1,536 B; exact inner product (vectors are L2-normalised, so this is cosine).
- ``int8``: 388 B; each vector scaled by its own max |v| to [-127, 127] (symmetric per-vector
  scalar quantisation), score = (q · v_int8) * scale.
- ``binary``: 48 B; sign bits, Hamming distance picks ``rescore`` x k candidates, which are then
  rescored exactly with the float32 vectors read from the memory-mapped file (binary quantisation
  with rescoring, as in Yamada et al. 2021 / the sentence-transformers quantisation guide).

Search is exact up to ``ANN_THRESHOLD`` passages. Beyond it, candidates come from an approximate HNSW
graph (usearch; Malkov & Yashunin 2018) built over the live vectors when the index is loaded, and are
rescored exactly; the graph is derived data and is never written to disk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from sleuth.errors import CollectionError, ConfigError
from sleuth.index.segments import read_manifest, write_manifest
from sleuth.index.topk import top_documents
from sleuth.store.atomic import atomic_write_bytes, sha256_file
from sleuth.store.docstore import ChunkRow, DocStore

MAX_SEGMENTS = 16
ANN_THRESHOLD = 200_000
"""Passages above which search uses an HNSW graph for candidates instead of scanning every vector."""
SEGMENT_ROWS = 2048  # a segment is written every this many passages, so a long embed resumes
FORMATS = ("float32", "int8", "binary")


class Encoder(Protocol):
    model_id: str
    dim: int
    checksum: str

    def encode_passages(self, texts: list[str], batch_size: int = ..., progress: bool = ...) -> np.ndarray: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


def passage_text(title: str, text: str) -> str:
    """What the encoders see for a passage: its document's title, then the passage (BEIR's convention)."""
    return f"{title} {text}".strip()


# -- quantisation (pure) ------------------------------------------------------------------------


def quantize_int8(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row symmetric scalar quantisation: q = round(v / s), s = max|v| / 127; v ≈ q * s."""
    scale = np.abs(m).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.rint(m / scale[:, None]).astype(np.int8)
    return q, scale.astype(np.float32)


def pack_signs(m: np.ndarray) -> np.ndarray:
    """One bit per dimension, set where the component is positive; 8 dimensions per byte."""
    return np.packbits(m > 0, axis=1)


def hamming(packed: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distance between each packed row and one packed query."""
    return np.bitwise_count(packed ^ query).sum(axis=1, dtype=np.int32)


# -- segments ---------------------------------------------------------------------------------


def _npy(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def write_vector_segment(directory: Path, name: str, ids: np.ndarray, docs: np.ndarray, vecs: np.ndarray) -> dict:
    files = {"vectors": f"{name}.f32.npy", "ids": f"{name}.ids.npy", "docs": f"{name}.docs.npy"}
    for key, arr in (("vectors", vecs.astype(np.float32)), ("ids", ids.astype(np.int64)), ("docs", docs.astype(str))):
        atomic_write_bytes(directory / files[key], _npy(arr))
    return {"files": files, "sha256": {k: sha256_file(directory / f) for k, f in files.items()},
            "rows": int(len(ids)), "max_chunk": int(ids.max()) if len(ids) else 0}


def read_vector_segment(directory: Path, entry: dict, *, mmap: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fix = f"Run `sleuth doctor --repair --collection {directory.parent}` to re-embed from the docstore."
    out = []
    for key in ("vectors", "ids", "docs"):
        path = directory / entry["files"][key]
        if not path.exists():
            raise CollectionError(f"Vector file {path} is missing.", fix)
        if sha256_file(path) != entry["sha256"][key]:
            raise CollectionError(f"Vector file {path} is damaged (checksum mismatch).", fix)
        try:
            out.append(np.load(path, mmap_mode="r" if mmap and key == "vectors" else None, allow_pickle=False))
        except (ValueError, OSError) as exc:
            raise CollectionError(f"Vector file {path} cannot be read ({exc}).", fix) from None
    return out[0], out[1], out[2]


def _check_model(manifest: dict, encoder: Encoder, directory: Path) -> None:
    model = manifest.get("model")
    if model is None:
        return
    if (model["id"], model["checksum"]) != (encoder.model_id, encoder.checksum):
        raise CollectionError(
            f"{directory.parent} was embedded with {model['id']} (checksum {model['checksum']}), but the "
            f"encoder now is {encoder.model_id} (checksum {encoder.checksum}); mixing them would give wrong results.",
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


def flush(directory: Path, store: DocStore, encoder: Encoder,
          on_progress: Callable[[int], None] | None = None) -> int:
    """Embed every chunk not yet covered and persist it in segments; merge when they pile up. Writer only.

    Returns how many passages were embedded. A segment is committed every SEGMENT_ROWS passages, so
    an interrupted embed resumes where it stopped.
    """
    directory.mkdir(exist_ok=True)
    manifest = {**read_manifest(directory), "docstore": store.id}
    _check_model(manifest, encoder, directory)
    manifest["model"] = {"id": encoder.model_id, "checksum": encoder.checksum, "dim": encoder.dim}
    done = 0
    pending: list[ChunkRow] = []
    batches = store.iter_chunks(after=int(manifest["covered"]), batch=SEGMENT_ROWS)
    for batch in batches:
        pending = batch
        vecs = _embed(pending, encoder, on_progress)
        name = f"vec-{int(manifest['next']):06d}"
        entry = write_vector_segment(directory, name, np.array([r.id for r in pending]),
                                     np.array([r.doc_id for r in pending], dtype=str), vecs)
        manifest = {**manifest, "covered": entry["max_chunk"], "next": int(manifest["next"]) + 1,
                    "segments": [*manifest["segments"], entry]}
        write_manifest(directory, manifest)
        done += len(pending)
    if len(manifest["segments"]) > MAX_SEGMENTS or (done == 0 and _has_deleted(directory, manifest, store)):
        manifest = _merge(directory, manifest, store)
    if not (directory / "manifest.json").exists():
        write_manifest(directory, manifest)
    keep = {f for e in manifest["segments"] for f in e["files"].values()} | {"manifest.json"}
    for stale in directory.iterdir():
        if stale.name not in keep:
            stale.unlink(missing_ok=True)
    return done


def _has_deleted(directory: Path, manifest: dict, store: DocStore) -> bool:
    rows = sum(e["rows"] for e in manifest["segments"])
    return rows > 2 * max(store.count_chunks(), 1)  # compact when over half the rows are dead


Part = tuple[np.ndarray, np.ndarray, np.ndarray]  # vectors, chunk ids, doc ids


def _live_rows(parts: list[Part], live: np.ndarray, dim: int) -> Part:
    """The rows of all ``parts`` whose chunk id is live, concatenated in order."""
    keep = [np.isin(ids, live) for _, ids, _ in parts]
    vecs = np.concatenate([np.zeros((0, dim), np.float32), *(v[k] for (v, _, _), k in zip(parts, keep))])
    ids = np.concatenate([np.zeros(0, np.int64), *(i[k] for (_, i, _), k in zip(parts, keep))])
    docs = np.concatenate([np.zeros(0, str), *(d[k] for (_, _, d), k in zip(parts, keep))])
    return vecs, ids, docs


def _merge(directory: Path, manifest: dict, store: DocStore) -> dict:
    live = store.live_chunk_ids()
    parts = [read_vector_segment(directory, e, mmap=False) for e in manifest["segments"]]
    vecs, ids, docs = _live_rows(parts, live, manifest["model"]["dim"])
    name = f"vec-{int(manifest['next']):06d}"
    entry = write_vector_segment(directory, name, ids, docs, vecs)
    manifest = {**manifest, "next": int(manifest["next"]) + 1, "segments": [entry]}
    write_manifest(directory, manifest)
    return manifest


# -- query time -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DenseResult:
    doc_ids: list[str]
    scores: np.ndarray
    chunk_ids: np.ndarray


def _hnsw(vectors: np.ndarray):  # noqa: ANN202 - usearch.index.Index, imported lazily
    """An HNSW graph over the rows (keys = row numbers), inner product on normalised vectors."""
    from usearch.index import Index

    index = Index(ndim=vectors.shape[1], metric="ip", dtype="f32", connectivity=16, expansion_search=128)
    index.add(np.arange(len(vectors), dtype=np.int64), np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class DenseIndex:
    """Exact dense search over the live chunks, in one of :data:`FORMATS`."""

    def __init__(self, vectors: np.ndarray, chunk_ids: np.ndarray, docs: np.ndarray, encoder: Encoder,
                 fmt: str = "float32", rescore: int = 10) -> None:
        if fmt not in FORMATS:
            raise ConfigError(f"Unknown vector format {fmt!r}.", f"Use one of: {', '.join(FORMATS)}.")
        self.encoder, self.fmt, self.rescore = encoder, fmt, rescore
        self.chunk_ids = chunk_ids
        names, self.chunk_doc = np.unique(docs, return_inverse=True)
        self._doc_names = np.array(names.tolist(), dtype=object)
        self.n_docs = len(names)
        self.one_chunk_per_doc = self.n_docs == len(chunk_ids)
        self._f32 = vectors
        self._ann = _hnsw(np.asarray(vectors)) if len(chunk_ids) > ANN_THRESHOLD else None
        if fmt == "int8":
            self._q8, self._scale = quantize_int8(np.asarray(vectors))
        elif fmt == "binary":
            self._bits = pack_signs(np.asarray(vectors))

    @property
    def n_chunks(self) -> int:
        return len(self.chunk_ids)

    def bytes_per_passage(self) -> float:
        """Memory the search structure holds per passage (the float32 file stays on disk for binary)."""
        n = max(self.n_chunks, 1)
        if self.fmt == "int8":
            return (self._q8.nbytes + self._scale.nbytes) / n
        if self.fmt == "binary":
            return self._bits.nbytes / n
        return self._f32.nbytes / n if self.n_chunks else 4.0 * self.encoder.dim

    @classmethod
    def load(cls, directory: Path, store: DocStore, encoder: Encoder, fmt: str = "float32") -> DenseIndex:
        from sleuth.index.lexical import retry_if_replaced

        return retry_if_replaced(directory, lambda: cls._load(directory, store, encoder, fmt))

    @classmethod
    def _load(cls, directory: Path, store: DocStore, encoder: Encoder, fmt: str) -> DenseIndex:
        manifest = read_manifest(directory)
        _check_model(manifest, encoder, directory)
        parts = [read_vector_segment(directory, e) for e in manifest["segments"]]
        with store.snapshot():
            tail = [c for batch in store.iter_chunks(after=int(manifest["covered"])) for c in batch]
            live = store.live_chunk_ids()
        if tail:
            parts.append((_embed(tail, encoder, None), np.array([r.id for r in tail], np.int64),
                          np.array([r.doc_id for r in tail], dtype=str)))
        if len(parts) == 1 and len(parts[0][1]) == len(live) and np.array_equal(parts[0][1], live):
            vecs, ids, docs = parts[0]  # the common case: one segment, nothing deleted; stays mmapped
        else:
            vecs, ids, docs = _live_rows(parts, live, encoder.dim)
        return cls(vecs, ids, docs, encoder, fmt)

    def chunk_scores(self, q: np.ndarray, k: int = 10) -> np.ndarray:
        """Cosine of the query vector with every passage.

        For ``binary``, only the ``rescore * k`` passages nearest in Hamming distance are scored
        (exactly, from the float32 vectors); every other passage scores -inf.
        """
        if self._ann is not None:
            scores = np.full(self.n_chunks, -np.inf)
            found = self._ann.search(q, min(self.n_chunks, self.rescore * k)).keys.astype(np.int64)
            scores[found] = np.asarray(self._f32[np.sort(found)] @ q, dtype=np.float64)[np.argsort(np.argsort(found))]
            return scores
        if self.fmt == "float32":
            return np.asarray(self._f32 @ q, dtype=np.float64)
        if self.fmt == "int8":
            return (self._q8 @ q).astype(np.float64) * self._scale
        scores = np.full(self.n_chunks, -np.inf)
        m = min(self.n_chunks, self.rescore * k)
        dist = hamming(self._bits, pack_signs(q[None, :])[0])
        cand = np.sort(np.argpartition(dist, m - 1)[:m]) if m < self.n_chunks else np.arange(self.n_chunks)
        scores[cand] = np.asarray(self._f32[cand] @ q, dtype=np.float64)  # sorted rows read the mmap in order
        return scores

    def passages(self) -> tuple[np.ndarray, list[str]]:
        """Every live passage's float32 vector and its document id, in row order."""
        return np.asarray(self._f32, dtype=np.float32), self._doc_names[self.chunk_doc].tolist()

    def vectors_for(self, chunk_ids: list[int]) -> np.ndarray:
        """The float32 vectors of the given chunk row ids (all must be live)."""
        if not hasattr(self, "_row_of"):
            self._row_of = {int(c): i for i, c in enumerate(self.chunk_ids.tolist())}
        return np.asarray(self._f32[[self._row_of[int(c)] for c in chunk_ids]], dtype=np.float32)

    def search_vector(self, q: np.ndarray, k: int) -> DenseResult:
        if not self.n_chunks or k <= 0:
            return DenseResult([], np.zeros(0), np.zeros(0, np.int64))
        scores = self.chunk_scores(q, k)
        rows = top_documents(-scores, self.chunk_doc, self.n_docs, k, one_per_doc=self.one_chunk_per_doc,
                             positive_only=False)
        rows = rows[np.isfinite(scores[rows])]
        return DenseResult(self._doc_names[self.chunk_doc[rows]].tolist(), scores[rows], self.chunk_ids[rows])

    def search(self, query: str, k: int = 10) -> DenseResult:
        return self.search_vector(self.encoder.encode_queries([query])[0], k)
