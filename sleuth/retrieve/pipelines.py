"""Named retrieval pipelines: ``(collection, query, k) -> [(doc_id, score, chunk_id), ...]``, best first.

``sleuth search --mode NAME`` and ``sleuth eval --pipeline NAME`` both look pipelines up here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sleuth.registry import Registry
from sleuth.retrieve.fusion import FUSIONS

if TYPE_CHECKING:
    from sleuth.store.collection import Collection

Result = list[tuple[str, float, int]]


class Pipeline:
    """A retrieval pipeline; ``prepare`` loads what it needs once, so timing measures queries only."""

    def __init__(self, name: str, run: Callable[[Collection, str, int], Result],
                 prepare: Callable[[Collection], object] | None = None, *, dense: bool = False) -> None:
        self.name = name
        self.run = run
        self.prepare = prepare or (lambda col: None)
        self.dense = dense
        """Whether the pipeline needs dense vectors (an eval of lexical pipelines skips embedding)."""

    def __call__(self, collection: Collection, query: str, k: int) -> Result:
        return self.run(collection, query, k)


PIPELINES: Registry[Pipeline] = Registry("pipeline")


def _bm25(col: Collection, query: str, k: int) -> Result:
    res = col.lexical.search(query, k)
    return list(zip(res.doc_ids, res.scores.tolist(), res.chunk_ids.tolist()))


PIPELINES.add("bm25", Pipeline("bm25", _bm25, prepare=lambda col: col.lexical))


def _dense(col: Collection, query: str, k: int) -> Result:
    res = col.dense.search(query, k)
    return list(zip(res.doc_ids, res.scores.tolist(), res.chunk_ids.tolist()))


PIPELINES.add("dense", Pipeline("dense", _dense, prepare=lambda col: col.dense, dense=True))

HYBRID_DEPTH = 100
"""Each half retrieves at least this many documents before fusion."""


def _hybrid(method: str, **params: float) -> Callable[[Collection, str, int], Result]:
    fuse = FUSIONS.get(method)

    def run(col: Collection, query: str, k: int) -> Result:
        depth = max(k, HYBRID_DEPTH)
        halves = [_bm25(col, query, depth), _dense(col, query, depth)]
        chunk = {doc: c for half in reversed(halves) for doc, _, c in half}  # lexical passage wins ties
        fused = fuse([[(d, s) for d, s, _ in h] for h in halves], **params)
        return [(d, s, chunk[d]) for d, s in fused[:k]]

    return run


def _prepare_both(col: Collection) -> None:
    col.lexical
    col.dense


# The default hybrid is an equal-weight convex combination of min-max normalised scores: on all six
# shared collections it beat both of its halves, as RRF did and z-score did not, and it beat RRF on
# five of six (benchmarks/README.md, "Hybrid fusion").
HYBRID_FUSIONS = {"hybrid": "minmax", "hybrid-rrf": "rrf", "hybrid-minmax": "minmax", "hybrid-zscore": "zscore"}
"""The fusion method (:data:`sleuth.retrieve.fusion.FUSIONS`) of each hybrid pipeline."""
for _name, _method in HYBRID_FUSIONS.items():
    PIPELINES.add(_name, Pipeline(_name, _hybrid(_method), prepare=_prepare_both, dense=True))


def get_pipeline(name: str) -> Pipeline:
    return PIPELINES.get(name)

RERANK_DEPTH = 20
"""Documents of the hybrid ranking the reranker re-scores (cost grows linearly: see benchmarks/README.md)."""
RERANK_WEIGHT = 0.5


def _hybrid_rerank(col: Collection, query: str, k: int) -> Result:
    """Hybrid, then the collection's trained cross-encoder over the head (``sleuth tune`` adopts both)."""
    from sleuth.errors import CollectionError
    from sleuth.index.vectors import passage_text
    from sleuth.rerank import rerank_scores

    reranker = col.reranker
    if reranker is None:
        raise CollectionError(
            "This collection has no trained reranker.",
            "Run `sleuth tune` on it first (embedded collections only), or use --mode hybrid.",
        )
    depth = int(col.tuned.get("rerank_depth", RERANK_DEPTH))
    first = _hybrid("minmax")(col, query, max(k, depth))
    texts = []
    for _, _, chunk_id in first[:depth]:
        found = col.store.get_chunk(int(chunk_id))
        texts.append(passage_text(found[1], found[0].text) if found else "")
    scores = reranker.score(query, texts)
    chunk = {d: c for d, _, c in first}
    fused = rerank_scores([(d, s) for d, s, _ in first], scores.tolist(),
                          float(col.tuned.get("rerank_weight", RERANK_WEIGHT)))
    return [(d, s, chunk[d]) for d, s in fused[:k]]


def _prepare_rerank(col: Collection) -> None:
    _prepare_both(col)
    col.reranker


PIPELINES.add("hybrid-rerank", Pipeline("hybrid-rerank", _hybrid_rerank, prepare=_prepare_rerank, dense=True))
