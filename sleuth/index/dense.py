"""Dense search over the vector segments: exact below ANN_THRESHOLD, HNSW candidates above.

Opening memory-maps the segments and, when the writer built one, views the ANN graph: nothing is
embedded, built or scanned at open. Passages the writer has not embedded yet (after an interrupted
``sleuth index``) are counted in :attr:`DenseIndex.pending` and left to the lexical half of a hybrid
search; they are never embedded inside a search.

Exact search (small collections) reads the live rows once at open, in the collection's format
(float32, int8 or binary with float32 rescoring: see :mod:`sleuth.index.vectors`). Above the
threshold the graph proposes candidates by chunk id; the docstore says which of them are still
live and to which document they belong (deletes are filtered at query time), and they are rescored
exactly from the float32 segments.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sleuth.ranking.ranking import Ranking
from sleuth.errors import ConfigError
from sleuth.index import ann, vectors
from sleuth.index.manifest import read_manifest
from sleuth.index.topk import best_rows, top_documents
from sleuth.index.quantize import hamming, pack_signs, quantize_int8
from sleuth.index.encoders import Encoder
from sleuth.index.vectors import FORMATS, read_vector_segment
from sleuth.docstore.store import DocStore


class _Rows:
    """Chunk id -> float32 vector over the mmapped segments (ids ascending within and across them)."""

    def __init__(self, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        self.parts = parts
        self.bounds = np.array([int(p[1][-1]) if len(p[1]) else -1 for p in parts], np.int64)

    def locate(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(segment, row) of each id; segment -1 where it has no vector."""
        seg = np.searchsorted(self.bounds, chunk_ids)
        row = np.zeros(len(chunk_ids), np.int64)
        for s in np.unique(seg[seg < len(self.parts)]).tolist():
            at = seg == s
            ids = self.parts[s][1]
            pos = np.minimum(np.searchsorted(ids, chunk_ids[at]), len(ids) - 1)
            ok = ids[pos] == chunk_ids[at]
            row[at] = pos
            seg[np.flatnonzero(at)[~ok]] = -1
        seg[seg >= len(self.parts)] = -1
        return seg, row

    def vectors(self, chunk_ids: np.ndarray, dim: int) -> np.ndarray:
        seg, row = self.locate(np.asarray(chunk_ids, np.int64))
        out = np.zeros((len(chunk_ids), dim), np.float32)
        for s in np.unique(seg[seg >= 0]).tolist():
            at = np.flatnonzero(seg == s)
            order = np.argsort(row[at])  # sorted rows read the mmap in order
            out[at[order]] = self.parts[s][0][row[at][order]]
        return out


class DenseIndex:
    """Dense search over the live, embedded chunks, in one of :data:`FORMATS`."""

    def __init__(self, rows: _Rows, store: DocStore, encoder: Encoder, fmt: str = "float32", *,
                 graph=None, live: np.ndarray | None = None, pending: int = 0, rescore: int = 10) -> None:  # noqa: ANN001
        if fmt not in FORMATS:
            raise ConfigError(f"Unknown vector format {fmt!r}.", f"Use one of: {', '.join(FORMATS)}.")
        self.encoder, self.fmt, self.rescore, self.store = encoder, fmt, rescore, store
        self._rows, self._graph = rows, graph
        self.pending = pending
        """Live passages not embedded yet: searched lexically only until `sleuth index` embeds them."""
        self._dim = encoder.dim
        if graph is None:
            self._exact(live if live is not None else np.zeros(0, np.int64))

    def _exact(self, live: np.ndarray) -> None:
        parts = self._rows.parts
        keep = [np.isin(ids, live) for _, ids, _ in parts]
        self._chunk_ids = np.concatenate([np.zeros(0, np.int64), *(ids[k] for (_, ids, _), k in zip(parts, keep))])
        docs = np.concatenate([np.zeros(0, str), *(d[k] for (_, _, d), k in zip(parts, keep))])
        if len(parts) == 1 and keep[0].all():
            self._f32 = parts[0][0]  # one segment, nothing deleted: stays memory-mapped
        else:
            self._f32 = np.concatenate([np.zeros((0, self._dim), np.float32), *(np.asarray(v)[k] for (v, _, _), k in zip(parts, keep))])
        names, self.chunk_doc = np.unique(docs, return_inverse=True)
        self._doc_names = np.array(names.tolist(), dtype=object)
        self.n_docs = len(names)
        self.one_chunk_per_doc = self.n_docs == len(self._chunk_ids)
        if self.fmt == "int8":
            self._q8, self._scale = quantize_int8(np.asarray(self._f32))
        elif self.fmt == "binary":
            self._bits = pack_signs(np.asarray(self._f32))

    @classmethod
    def load(cls, directory: Path, store: DocStore, encoder: Encoder, fmt: str = "float32") -> DenseIndex:
        from sleuth.index.lexical import retry_if_replaced

        return retry_if_replaced(directory, lambda: cls._load(directory, store, encoder, fmt))

    @classmethod
    def _load(cls, directory: Path, store: DocStore, encoder: Encoder, fmt: str) -> DenseIndex:
        manifest = read_manifest(directory)
        vectors.check_model(manifest, encoder.model_id, encoder.checksum, directory)
        rows = _Rows([read_vector_segment(directory, e) for e in manifest["segments"]])
        with store.snapshot():
            pending = store.count_chunks_between(int(manifest["covered"]) + 1, 2**62)
            if manifest.get("ann"):
                return cls(rows, store, encoder, fmt, graph=ann.open_view(directory, manifest["ann"]), pending=pending)
            return cls(rows, store, encoder, fmt, live=store.live_chunk_ids(), pending=pending)

    @property
    def chunk_ids(self) -> np.ndarray:
        """Every live chunk id with a vector (with a graph this reads every segment: for checks)."""
        return self._chunk_ids if self._graph is None else self.live_chunk_ids

    @property
    def n_chunks(self) -> int:
        """Live passages that have a vector."""
        if self._graph is None:
            return len(self._chunk_ids)
        return self.store.count_chunks() - self.pending

    @property
    def uses_ann(self) -> bool:
        return self._graph is not None

    def bytes_per_passage(self) -> float:
        """Memory the exact search structure holds per passage (the float32 file stays on disk for binary)."""
        n = max(self.n_chunks, 1)
        if self._graph is not None:
            return float(self._graph.memory_usage) / n
        if self.fmt == "int8":
            return (self._q8.nbytes + self._scale.nbytes) / n
        if self.fmt == "binary":
            return self._bits.nbytes / n
        return self._f32.nbytes / n if self.n_chunks else 4.0 * self._dim

    def _exact_scores(self, q: np.ndarray, k: int) -> np.ndarray:
        if self.fmt == "float32":
            return np.asarray(self._f32 @ q, dtype=np.float64)
        if self.fmt == "int8":
            return (self._q8 @ q).astype(np.float64) * self._scale
        n = len(self._chunk_ids)
        scores = np.full(n, -np.inf)
        m = min(n, self.rescore * k)
        dist = hamming(self._bits, pack_signs(q[None, :])[0])
        cand = np.sort(np.argpartition(dist, m - 1)[:m]) if m < n else np.arange(n)
        scores[cand] = np.asarray(self._f32[cand] @ q, dtype=np.float64)
        return scores

    def search_vector(self, q: np.ndarray, k: int) -> Ranking:
        if k <= 0:
            return Ranking.empty()
        if self._graph is not None:
            return self._search_ann(q, k)
        if not len(self._chunk_ids):
            return Ranking.empty()
        scores = self._exact_scores(q, k)
        rows = top_documents(-scores, self.chunk_doc, self.n_docs, k, one_per_doc=self.one_chunk_per_doc,
                             positive_only=False)
        rows = rows[np.isfinite(scores[rows])]
        return Ranking(self._doc_names[self.chunk_doc[rows]].tolist(), scores[rows], self._chunk_ids[rows])

    def _search_ann(self, q: np.ndarray, k: int) -> Ranking:
        count = max(self.rescore * k, 100)
        while True:
            cand = ann.candidates(self._graph, q, count)
            docs = self.store.live_chunk_docs(cand)  # deletes are filtered here
            ids = np.array([c for c in cand.tolist() if c in docs], np.int64)
            scores = self._rows.vectors(ids, self._dim) @ q if len(ids) else np.zeros(0)
            order = sorted(range(len(ids)), key=lambda i: (-scores[i], docs[int(ids[i])], ids[i]))
            best: dict[str, int] = {}
            for i in order:
                best.setdefault(docs[int(ids[i])], i)
            if len(best) >= k or count >= len(self._graph):
                top = sorted(best.values(), key=lambda i: (-scores[i], docs[int(ids[i])]))[:k]
                return Ranking([docs[int(ids[i])] for i in top], np.asarray(scores, np.float64)[top], ids[top])
            count *= 4

    def search_passages(self, q: np.ndarray, k: int) -> Ranking:
        """The ``k`` passages closest to the query vector ``q`` (several per document allowed)."""
        if k <= 0 or (self._graph is None and not len(self._chunk_ids)):
            return Ranking.empty()
        if self._graph is not None:
            cand = ann.candidates(self._graph, q, max(self.rescore * k, 100))
            docs = self.store.live_chunk_docs(cand)
            ids = np.array([c for c in cand.tolist() if c in docs], np.int64)
            scores = np.asarray(self._rows.vectors(ids, self._dim) @ q, np.float64) if len(ids) else np.zeros(0)
            order = np.lexsort((ids, -scores))[:k]
            return Ranking([docs[int(i)] for i in ids[order]], scores[order], ids[order])
        scores = self._exact_scores(q, k)
        rows = best_rows(-scores, k, self.chunk_doc, positive_only=False)
        rows = rows[np.isfinite(scores[rows])]
        return Ranking(self._doc_names[self.chunk_doc[rows]].tolist(), scores[rows], self._chunk_ids[rows])

    def search(self, query: str, k: int = 10) -> Ranking:
        return self.search_vector(self.encoder.encode_queries([query])[0], k)

    def vectors_for(self, chunk_ids: list[int]) -> np.ndarray:
        """The float32 vectors of the given chunk ids (zeros for one without a vector)."""
        return self._rows.vectors(np.asarray(chunk_ids, np.int64), self._dim)

    def passages(self) -> tuple[np.ndarray, list[str]]:
        """Every live passage's float32 vector and its document id, in row order (reads every vector)."""
        live = self.store.live_chunk_ids()
        vecs, docs = [], []
        for v, ids, d in self._rows.parts:
            keep = np.isin(ids, live)
            vecs.append(np.asarray(v)[keep])
            docs += d[keep].tolist()
        return (np.concatenate(vecs) if vecs else np.zeros((0, self._dim), np.float32)), docs

    @property
    def doc_ids(self) -> set[str]:
        """Every document with a live vector (reads every segment: for checks, not for queries)."""
        live = self.store.live_chunk_ids()
        return {d for _, ids, docs in self._rows.parts for d in docs[np.isin(ids, live)].tolist()}

    @property
    def live_chunk_ids(self) -> np.ndarray:
        live = self.store.live_chunk_ids()
        parts = [ids[np.isin(ids, live)] for _, ids, _ in self._rows.parts]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)
