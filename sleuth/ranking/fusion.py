"""Rank fusion as pure functions: lists of (doc_id, score) rankings in, one fused ranking out.

Every function takes ``runs`` (each a best-first list of ``(doc_id, score)``) and ``weights`` (one
per run, default equal) and returns a best-first list of ``(doc_id, fused_score)``; equal fused
scores are ordered by doc id so fusion is deterministic. A document missing from a run contributes
nothing from that run (for the score-based methods: the run's minimum after normalisation, i.e. 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from sleuth.registry import Registry

Pairs = Sequence[tuple[str, float]]
"""One ranking as ``(doc_id, score)`` pairs, best first (:meth:`sleuth.ranking.ranking.Ranking.pairs`)."""
Fusion = Callable[..., list[tuple[str, float]]]

FUSIONS: Registry[Fusion] = Registry("fusion method")


def _weights(runs: Sequence[Pairs], weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * len(runs)
    if len(weights) != len(runs):
        raise ValueError(f"{len(weights)} weights for {len(runs)} runs")
    return list(weights)


def _sorted(acc: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(acc.items(), key=lambda kv: (-kv[1], kv[0]))


@FUSIONS.register("rrf")
def rrf(runs: Sequence[Pairs], weights: Sequence[float] | None = None, k: float = 60.0) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum_r w_r / (k + rank_r(d)), ranks from 1.

    Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual rank
    learning methods", SIGIR 2009 (k = 60 there).
    """
    acc: dict[str, float] = {}
    for w, run in zip(_weights(runs, weights), runs):
        for rank, (doc, _) in enumerate(run, start=1):
            acc[doc] = acc.get(doc, 0.0) + w / (k + rank)
    return _sorted(acc)


def _convex(runs: Sequence[Pairs], weights: Sequence[float] | None, norm: Callable[[np.ndarray], np.ndarray]) -> list[tuple[str, float]]:
    acc: dict[str, float] = {}
    for w, run in zip(_weights(runs, weights), runs):
        if not run:
            continue
        scores = norm(np.array([s for _, s in run], dtype=np.float64))
        for (doc, _), s in zip(run, scores.tolist()):
            acc[doc] = acc.get(doc, 0.0) + w * s
    return _sorted(acc)


def minmax_norm(x: np.ndarray) -> np.ndarray:
    """(x - min) / (max - min); all ones when every score is equal."""
    span = x.max() - x.min()
    return (x - x.min()) / span if span > 0 else np.ones_like(x)


def zscore_norm(x: np.ndarray) -> np.ndarray:
    """(x - mean) / std, then shifted so the run's minimum is 0 (a missing document scores below all)."""
    sd = x.std()
    z = (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)
    return z - z.min()


@FUSIONS.register("minmax")
def minmax(runs: Sequence[Pairs], weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Convex combination of min-max normalised scores: sum_r w_r * (s - min_r) / (max_r - min_r).

    Fox & Shaw's CombSUM with min-max normalisation (TREC-2, 1994); Bruch, Gai & Ingber, "An Analysis
    of Fusion Functions for Hybrid Retrieval", ACM TOIS 2023, for its use in lexical+dense hybrids.
    """
    return _convex(runs, weights, minmax_norm)


@FUSIONS.register("zscore")
def zscore(runs: Sequence[Pairs], weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Convex combination of z-score normalised scores (Montague & Aslam, CIKM 2001), shifted to >= 0."""
    return _convex(runs, weights, zscore_norm)
