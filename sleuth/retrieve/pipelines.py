"""Named retrieval pipelines: ``(collection, query, k) -> [(doc_id, score, chunk_id), ...]``, best first.

``sleuth search --mode NAME`` and ``sleuth eval --pipeline NAME`` both look pipelines up here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sleuth.registry import Registry
from sleuth.retrieve.fusion import FUSIONS, Distribution, zscore_full

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
HYBRID_FUSION = "zscore-full"
DENSE_WEIGHT = 0.6
"""The default hybrid: bm25 x 0.4 + dense x 0.6 of scores standardised against all passages' scores
(:func:`sleuth.retrieve.fusion.zscore_full`). The weight is the one label-free inverse-cloze questions
chose on five of the six shared collections (``python benchmarks/bench_fusion.py``, benchmarks/README.md,
"Hybrid fusion"); no test qrels were used to choose it."""


def hybrid_method(col: Collection) -> str:
    """The fusion method of the collection's default ``hybrid``."""
    return HYBRID_FUSION


def fuse_halves(col: Collection, runs: list[list[tuple[str, float]]], method: str,
                distributions: list[Distribution] | None = None) -> list[tuple[str, float]]:
    """Fuse the lexical and dense runs (documents or passages) of one query with ``method``; the
    default method weighs them 0.4 / 0.6 and standardises against ``distributions`` (all passages)."""
    if method == HYBRID_FUSION:
        return zscore_full(runs, [1.0 - DENSE_WEIGHT, DENSE_WEIGHT], distributions)
    return FUSIONS.get(method)(runs)


def distributions(col: Collection, query: str, qvec: np.ndarray) -> list[Distribution] | None:
    """Every passage's bm25 and dense score for ``query``, summarised; None where a store cannot say."""
    lex = col.lexical
    if not hasattr(lex, "chunk_scores") or not hasattr(col.dense, "chunk_scores"):
        return None
    ids = lex.term_ids(query)
    bm25 = Distribution.of(lex.chunk_scores(ids)) if ids else Distribution(0.0, 1.0)
    return [bm25, Distribution.of(col.dense.chunk_scores(qvec, HYBRID_DEPTH))]


def _hybrid(method: str | None) -> Callable[[Collection, str, int], Result]:
    """A hybrid pipeline fusing with ``method``; None: the collection's own (:func:`hybrid_method`)."""

    def run(col: Collection, query: str, k: int) -> Result:
        depth = max(k, HYBRID_DEPTH)
        qvec = col.encoder.encode_queries([query])[0]
        res = col.dense.search_vector(qvec, depth)
        halves = [_bm25(col, query, depth), list(zip(res.doc_ids, res.scores.tolist(), res.chunk_ids.tolist()))]
        chunk = {doc: c for half in reversed(halves) for doc, _, c in half}  # lexical passage wins ties
        how = method or hybrid_method(col)
        dists = distributions(col, query, qvec) if how == HYBRID_FUSION else None
        fused = fuse_halves(col, [[(d, s) for d, s, _ in h] for h in halves], how, dists)
        return [(d, s, chunk[d]) for d, s in fused[:k]]

    return run


def _prepare_both(col: Collection) -> None:
    col.lexical
    col.dense


for _name, _method in (("hybrid", None), ("hybrid-rrf", "rrf"), ("hybrid-minmax", "minmax"), ("hybrid-zscore", "zscore")):
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
    first = _hybrid(None)(col, query, max(k, depth))
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
