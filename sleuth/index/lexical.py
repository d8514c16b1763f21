"""The lexical index: BM25F over chunks, document-level results.

On disk it is a list of immutable segments (see :mod:`sleuth.index.segments`); in memory, one
column-major weight matrix built at load time over the live chunks. A reader that finds chunks in the
docstore newer than the manifest (a crash between the docstore commit and the segment write) indexes
them in memory; the next writer persists them. The docstore decides which chunks are live, so a
deleted document can never come back from a stale segment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

from sleuth.config import Settings
from sleuth.errors import CollectionError
from sleuth.index.bm25 import bm25f_matrix
from sleuth.index.segments import (
    Segment,
    build_segment,
    merge_segments,
    read_manifest,
    read_segment,
    write_manifest,
    write_segment,
)
from sleuth.index.topk import top_documents
from sleuth.store.docstore import DocStore
from sleuth.text import Analyzer

MAX_SEGMENTS = 8
T = TypeVar("T")


@dataclass(frozen=True)
class LexicalResult:
    """Top documents of one query: parallel arrays, best first."""

    doc_ids: list[str]
    scores: np.ndarray
    chunk_ids: np.ndarray  # the best-scoring chunk of each document


def retry_if_replaced(directory: Path, attempt: Callable[[], T]) -> T:
    """Run ``attempt``; if a file it read vanished (or changed) because a writer published a new
    manifest and removed the old segments meanwhile, try again with the new manifest. Real damage
    still raises: the same failure under an unchanged manifest.

    Any OSError counts (a file can vanish between the existence check, the checksum and the load),
    and an OSError under an unchanged manifest is reported as the damage it is."""
    for _ in range(5):
        before = read_manifest(directory)
        try:
            return attempt()
        except (CollectionError, OSError) as exc:
            if read_manifest(directory) != before:
                continue
            if isinstance(exc, OSError):
                raise CollectionError(
                    f"An index file in {directory} cannot be read ({exc.strerror or exc}).",
                    f"Run `sleuth doctor --repair --collection {directory.parent}` to rebuild it.",
                ) from None
            raise
    return attempt()


def _tail(store: DocStore, covered: int, analyzer: Analyzer) -> Segment | None:
    rows = [c for batch in store.iter_chunks(after=covered) for c in batch]
    return build_segment(rows, analyzer) if rows else None


def flush(directory: Path, store: DocStore, analyzer: Analyzer) -> None:
    """Persist a segment for chunks not yet covered; merge when segments pile up. Writer only."""
    directory.mkdir(exist_ok=True)
    manifest = {**read_manifest(directory), "docstore": store.id}
    seg = _tail(store, int(manifest["covered"]), analyzer)
    entries = list(manifest["segments"])
    if seg is not None:
        name = f"seg-{int(manifest['next']):06d}"
        entries.append(write_segment(directory, name, seg))
        manifest = {**manifest, "covered": int(seg.chunk_ids.max()), "next": int(manifest["next"]) + 1}
    if len(entries) > MAX_SEGMENTS:
        merged = merge_segments([read_segment(directory, e) for e in entries], store.live_chunk_ids())
        name = f"seg-{int(manifest['next']):06d}"
        entries = [write_segment(directory, name, merged)]
        manifest = {**manifest, "next": int(manifest["next"]) + 1}
    if seg is not None or entries != manifest["segments"]:
        write_manifest(directory, {**manifest, "segments": entries})
    keep = {e["file"] for e in entries} | {"manifest.json"}
    for stale in directory.iterdir():
        if stale.name not in keep:
            stale.unlink(missing_ok=True)


class LexicalIndex:
    """An in-memory, query-ready view of the lexical index over the docstore's live chunks."""

    def __init__(self, segment: Segment, settings: Settings, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.chunk_ids = segment.chunk_ids
        self.vocab = {t: i for i, t in enumerate(segment.terms.tolist())}
        doc_ids, self.chunk_doc = np.unique(segment.doc_ids, return_inverse=True)
        self.doc_ids: list[str] = doc_ids.tolist()
        self.one_chunk_per_doc = len(self.doc_ids) == len(self.chunk_ids)
        w = bm25f_matrix(
            segment.body, segment.body_len, segment.title, segment.title_len,
            k1=settings.k1, b=settings.b, title_b=settings.title_b, title_weight=settings.title_weight,
        )
        self._indptr, self._indices, self._neg = w.indptr, w.indices, -w.data
        self._doc_names = np.array(self.doc_ids, dtype=object)
        self.n_chunks = len(self.chunk_ids)
        self.nbytes = int(self._indptr.nbytes + self._indices.nbytes + self._neg.nbytes)

    @classmethod
    def load(cls, directory: Path, store: DocStore, settings: Settings, analyzer: Analyzer) -> LexicalIndex:
        def attempt() -> LexicalIndex:
            manifest = read_manifest(directory)
            segments = [read_segment(directory, e) for e in manifest["segments"]]
            with store.snapshot():
                tail = _tail(store, int(manifest["covered"]), analyzer)
                if tail is not None:
                    segments.append(tail)
                merged = merge_segments(segments, store.live_chunk_ids())
            return cls(merged, settings, analyzer)

        return retry_if_replaced(directory, attempt)

    def term_ids(self, query: str) -> list[int]:
        vocab = self.vocab
        return [vocab[t] for t in self.analyzer.terms(query) if t in vocab]

    def chunk_scores(self, term_ids: list[int]) -> np.ndarray:
        """BM25F score of every chunk (zeros where no term matches)."""
        return -self._neg_scores(term_ids)

    def _neg_scores(self, term_ids: list[int]) -> np.ndarray:
        # Negated so that selecting the best is a partition of the smallest values, which numpy's
        # introselect does ~5x faster than the largest when most values are equal (0) as here.
        ptr, idx, neg = self._indptr, self._indices, self._neg
        if len(term_ids) == 1:
            a, b = ptr[term_ids[0]], ptr[term_ids[0] + 1]
            return np.bincount(idx[a:b], neg[a:b], minlength=self.n_chunks)
        sl = [slice(ptr[t], ptr[t + 1]) for t in term_ids]
        return np.bincount(np.concatenate([idx[s] for s in sl]), np.concatenate([neg[s] for s in sl]),
                           minlength=self.n_chunks)

    def search_batch(self, queries: list[str], k: int = 10) -> list[LexicalResult]:
        """:meth:`search` for many queries at once: one sparse product, queries x terms x passages."""
        rows, cols = [], []
        for i, q in enumerate(queries):
            ids = self.term_ids(q)
            rows += [i] * len(ids)
            cols += ids
        q = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(queries), len(self.vocab)))
        w = sp.csc_matrix((self._neg, self._indices, self._indptr), shape=(self.n_chunks, len(self.vocab)))
        wt = w.T.tocsr()
        out = []
        for block in range(0, len(queries), 256):  # bounds the dense block at 256 x passages
            out.extend(self._rank(s, k) for s in (q[block : block + 256] @ wt).toarray())
        return out

    def search(self, query: str, k: int = 10) -> LexicalResult:
        term_ids = self.term_ids(query)
        if not term_ids or k <= 0:
            return LexicalResult([], np.zeros(0), np.zeros(0, np.int64))
        return self._rank(self._neg_scores(term_ids), k)

    def _rank(self, neg: np.ndarray, k: int) -> LexicalResult:
        rows = top_documents(neg, self.chunk_doc, len(self.doc_ids), k, one_per_doc=self.one_chunk_per_doc)
        return LexicalResult(self._doc_names[self.chunk_doc[rows]].tolist(), -neg[rows], self.chunk_ids[rows])
