"""The passages an answer is read from: the best *passages* of the collection, not one per document.

Search ranks documents by their best passage; a question about the body of a paper needs the few
passages that hold the answer, often several from the same paper. For the embedded store the
lexical and dense halves each return their best ``depth`` passages (several per document), fused as
the mode's hybrid fuses documents (:data:`sleuth.retrieve.pipelines.HYBRID_FUSIONS`). Pipelines
without passage rankings (a reranker, a remote store) and metadata filters (``where``) fall back to
the document ranking: the best passage of each of the best documents.

:func:`with_neighbours` then adds, for each retrieved passage, the passage before and after it in
its document, so that a sentence just across a boundary can be read.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from sleuth.rag.context import Passage
from sleuth.retrieve import get_pipeline
from sleuth.ranking.fusion import FUSIONS, rrf
from sleuth.retrieve.pipelines import HYBRID_DEPTH, HYBRID_FUSIONS

if TYPE_CHECKING:
    from sleuth.store.embedded.collection import Collection

PASSAGE_MODES = ("bm25", "dense", *HYBRID_FUSIONS)
"""Modes :func:`passage_ranking` ranks passage by passage; any other falls back to documents."""


def passage_ranking(col: Collection, query: str, qvec: np.ndarray | None, k: int, mode: str) -> list[tuple[int, float]]:
    """The ``k`` best passages for ``query`` as (chunk row id, score), best first."""
    depth = max(k, HYBRID_DEPTH)
    runs = []
    if mode != "dense":
        r = col.lexical.search_passages(query, depth)
        runs.append([(str(c), s) for c, s in zip(r.chunk_ids.tolist(), r.scores.tolist())])
    if mode != "bm25" and qvec is not None:
        r = col.dense.search_passages(qvec, depth)
        runs.append([(str(c), s) for c, s in zip(r.chunk_ids.tolist(), r.scores.tolist())])
    fused = runs[0] if len(runs) == 1 else FUSIONS.get(HYBRID_FUSIONS.get(mode, "minmax"))(runs)
    return [(int(c), s) for c, s in fused[:k]]


def retrieve_passages(col: Collection, queries: list[str], qvec: np.ndarray | None, k: int, mode: str,
                      *, by_passage: bool = True, where: tuple[str, ...] = ()) -> list[Passage]:
    """Context passages numbered from 1, with their document's metadata and dense relevance
    (``by_passage=False``: the best passage of each of the ``k`` best documents, as search ranks)."""
    if by_passage and not where and mode in PASSAGE_MODES and "passages" in col.capabilities:
        vec = [qvec] + [None if qvec is None else col.encoder.encode_queries([q])[0] for q in queries[1:]]
        runs = [passage_ranking(col, q, v, max(k, 20), mode) for q, v in zip(queries, vec)]
        ranked = runs[0] if len(runs) == 1 else [(int(c), s) for c, s in rrf([[(str(c), s) for c, s in r] for r in runs])]
    else:
        pipe = get_pipeline(mode)
        runs = [[(str(c), s) for _, s, c in col.ranked(lambda d, q=q: pipe(col, q, d), max(k * 4, 20), where)]
                for q in queries]
        ranked = [(int(c), s) for c, s in (runs[0] if len(runs) == 1 else rrf(runs))]
    found = col.store.get_chunks([c for c, _ in ranked[:k]])
    meta: dict[str, dict] = {}
    passages = []
    for row, score in ranked[:k]:
        if row not in found:
            continue
        chunk, title = found[row]
        passages.append(Passage(len(passages) + 1, chunk, title, score, row=row,
                                metadata=_metadata(col, chunk.doc_id, meta)))
    return with_relevance(col, passages, qvec)


def _metadata(col: Collection, doc_id: str, cache: dict[str, dict]) -> dict:
    if doc_id not in cache:
        doc = col.store.get_document(doc_id) if "documents" in col.capabilities else None
        cache[doc_id] = doc.metadata if doc is not None else {}
    return cache[doc_id]


def with_relevance(col: Collection, passages: list[Passage], qvec: np.ndarray | None) -> list[Passage]:
    """Set each passage's dense relevance (cosine to the question), used to abstain and to filter."""
    if qvec is None or not passages:
        return passages
    rel = col.dense.vectors_for([p.row for p in passages]) @ qvec
    return [replace(p, relevance=float(r)) for p, r in zip(passages, rel)]


def with_neighbours(col: Collection, passages: list[Passage], qvec: np.ndarray | None) -> list[Passage]:
    """``passages`` followed by the passages right before and after each one in its document
    (numbered on from the last, marked ``neighbour``), skipping any already there."""
    have = {p.row for p in passages}
    extra: list[Passage] = []
    for p in passages:
        for row in (p.row - 1, p.row + 1):
            if row in have or row < 1:
                continue
            found = col.store.get_chunk(row)
            if found is None or found[0].doc_id != p.chunk.doc_id:
                continue
            have.add(row)
            extra.append(Passage(len(passages) + len(extra) + 1, found[0], found[1], p.score, row=row,
                                 metadata=p.metadata, neighbour=True))
    return passages + with_relevance(col, extra, qvec)
