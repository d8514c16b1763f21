"""Immutable lexical segments on disk, and the manifest that says which ones are live.

A segment holds, for a run of chunk row ids, the term frequencies of each chunk's body and title
(CSR, local vocabulary) and the field lengths. Weights are not stored: BM25 needs collection-wide
statistics that change with every add and delete, so they are computed when the index is loaded.
Files are ``.npz`` read with ``allow_pickle=False``; each is checksummed in the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from sleuth.errors import CollectionError
from sleuth.store.atomic import atomic_write_bytes, atomic_write_json, sha256_file
from sleuth.store.docstore import ChunkRow
from sleuth.text import Analyzer

MANIFEST = "manifest.json"


@dataclass
class Segment:
    chunk_ids: np.ndarray  # int64, ascending
    doc_ids: np.ndarray  # str
    terms: np.ndarray  # str, local vocabulary
    body: sp.csr_matrix  # chunks x local terms, term frequencies
    title: sp.csr_matrix
    body_len: np.ndarray  # int32, terms per body
    title_len: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.chunk_ids)


def build_segment(chunks: list[ChunkRow], analyzer: Analyzer) -> Segment:
    vocab: dict[str, int] = {}
    cols: dict[str, list[int]] = {"body": [], "title": []}
    rows: dict[str, list[int]] = {"body": [], "title": []}
    lens = {"body": np.zeros(len(chunks), np.int32), "title": np.zeros(len(chunks), np.int32)}
    title_cache: dict[str, list[str]] = {}
    for i, c in enumerate(chunks):
        if c.title not in title_cache:
            title_cache[c.title] = analyzer.terms(c.title)
        for name, terms in (("body", analyzer.terms(c.text)), ("title", title_cache[c.title])):
            ids = [vocab.setdefault(t, len(vocab)) for t in terms]
            cols[name].extend(ids)
            rows[name].extend([i] * len(ids))
            lens[name][i] = len(ids)
    shape = (len(chunks), len(vocab))

    def matrix(name: str) -> sp.csr_matrix:
        data = np.ones(len(cols[name]), np.int32)
        m = sp.csr_matrix((data, (np.array(rows[name], np.int64), np.array(cols[name], np.int64))), shape=shape)
        m.sum_duplicates()
        return m

    return Segment(
        chunk_ids=np.array([c.id for c in chunks], np.int64),
        doc_ids=np.array([c.doc_id for c in chunks], dtype=str),
        terms=np.array(list(vocab), dtype=str),
        body=matrix("body"),
        title=matrix("title"),
        body_len=lens["body"],
        title_len=lens["title"],
    )


def merge_segments(segments: list[Segment], live: np.ndarray) -> Segment:
    """One segment holding the live rows of all of ``segments``, over a merged vocabulary."""
    vocab: dict[str, int] = {}
    parts: dict[str, list[sp.csr_matrix]] = {"body": [], "title": []}
    keep_parts = []
    for seg in segments:
        keep = np.isin(seg.chunk_ids, live)
        keep_parts.append(keep)
        remap = np.array([vocab.setdefault(t, len(vocab)) for t in seg.terms.tolist()], np.int64)
        for name in ("body", "title"):
            m = getattr(seg, name)[keep].tocoo()
            parts[name].append((m.row, remap[m.col] if len(remap) else m.col, m.data, int(keep.sum())))

    def stack(name: str) -> sp.csr_matrix:
        offset, r, c, d = 0, [], [], []
        for rows, cols, data, n in parts[name]:
            r.append(rows + offset)
            c.append(cols)
            d.append(data)
            offset += n
        cat = lambda xs, t: np.concatenate(xs).astype(t) if xs else np.zeros(0, t)  # noqa: E731
        return sp.csr_matrix((cat(d, np.int32), (cat(r, np.int64), cat(c, np.int64))), shape=(offset, len(vocab)))

    empty = {"chunk_ids": np.zeros(0, np.int64), "doc_ids": np.zeros(0, str), "body_len": np.zeros(0, np.int32),
             "title_len": np.zeros(0, np.int32)}
    pick = lambda attr: np.concatenate([empty[attr], *(getattr(s, attr)[k] for s, k in zip(segments, keep_parts))])  # noqa: E731
    return Segment(
        chunk_ids=pick("chunk_ids"),
        doc_ids=pick("doc_ids"),
        terms=np.array(list(vocab), dtype=str),
        body=stack("body"),
        title=stack("title"),
        body_len=pick("body_len"),
        title_len=pick("title_len"),
    )


def _to_arrays(seg: Segment) -> dict[str, np.ndarray]:
    out = {"chunk_ids": seg.chunk_ids, "doc_ids": seg.doc_ids, "terms": seg.terms,
           "body_len": seg.body_len, "title_len": seg.title_len}
    for name in ("body", "title"):
        m = getattr(seg, name)
        out[f"{name}_indptr"], out[f"{name}_indices"], out[f"{name}_data"] = m.indptr, m.indices, m.data
    return out


def write_segment(directory: Path, name: str, seg: Segment) -> dict[str, object]:
    buf = io.BytesIO()
    np.savez(buf, **_to_arrays(seg))
    path = directory / f"{name}.npz"
    atomic_write_bytes(path, buf.getvalue())
    return {"file": path.name, "sha256": sha256_file(path), "rows": seg.rows,
            "max_chunk": int(seg.chunk_ids.max()) if seg.rows else 0}


def read_segment(directory: Path, entry: dict[str, object]) -> Segment:
    path = directory / str(entry["file"])
    damaged = f"Run `sleuth doctor --repair --collection {directory.parent}` to rebuild the lexical index from the docstore."
    if not path.exists():
        raise CollectionError(f"Lexical index file {path} is missing.", damaged)
    if sha256_file(path) != entry["sha256"]:
        raise CollectionError(f"Lexical index file {path} is damaged (checksum mismatch).", damaged)
    with np.load(path, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    n, v = len(a["chunk_ids"]), len(a["terms"])

    def matrix(name: str) -> sp.csr_matrix:
        return sp.csr_matrix((a[f"{name}_data"], a[f"{name}_indices"], a[f"{name}_indptr"]), shape=(n, v))

    return Segment(a["chunk_ids"], a["doc_ids"], a["terms"], matrix("body"), matrix("title"),
                   a["body_len"], a["title_len"])


def _digest(manifest: dict[str, object]) -> str:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def read_manifest(directory: Path) -> dict[str, object]:
    """An index's manifest (segments, covered chunk id, ...), verified against its own checksum."""
    path = directory / MANIFEST
    if not path.exists():
        return {"version": 1, "covered": 0, "segments": [], "next": 1}
    try:
        manifest = json.loads(path.read_text())
        if not isinstance(manifest, dict) or not isinstance(manifest.get("segments"), list):
            raise ValueError("not a manifest")
        # Manifests written before checksums were added have none; the next write adds one.
        if "checksum" in manifest and manifest["checksum"] != _digest(manifest):
            raise ValueError("checksum mismatch")
        return {k: v for k, v in manifest.items() if k != "checksum"}
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise CollectionError(
            f"Index manifest {path} is damaged.",
            f"Run `sleuth doctor --repair --collection {directory.parent}` to rebuild it from the docstore.",
        ) from None


def write_manifest(directory: Path, manifest: dict[str, object]) -> None:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    atomic_write_json(directory / MANIFEST, {**body, "checksum": _digest(body)})
