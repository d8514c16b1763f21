"""Rank fusion as pure functions: lists of (doc_id, score) rankings in, one fused ranking out.

Every function takes ``runs`` (each a best-first list of ``(doc_id, score)``) and ``weights`` (one
per run, default equal) and returns a best-first list of ``(doc_id, fused_score)``; equal fused
scores are ordered by doc id so fusion is deterministic. A document missing from a run contributes
nothing from that run (for the score-based methods: the run's minimum after normalisation, i.e. 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sleuth.registry import Registry

Run = Sequence[tuple[str, float]]
Fusion = Callable[..., list[tuple[str, float]]]

FUSIONS: Registry[Fusion] = Registry("fusion method")


def _weights(runs: Sequence[Run], weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * len(runs)
    if len(weights) != len(runs):
        raise ValueError(f"{len(weights)} weights for {len(runs)} runs")
    return list(weights)


def _sorted(acc: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(acc.items(), key=lambda kv: (-kv[1], kv[0]))


@FUSIONS.register("rrf")
def rrf(runs: Sequence[Run], weights: Sequence[float] | None = None, k: float = 60.0) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum_r w_r / (k + rank_r(d)), ranks from 1.

    Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual rank
    learning methods", SIGIR 2009 (k = 60 there).
    """
    acc: dict[str, float] = {}
    for w, run in zip(_weights(runs, weights), runs):
        for rank, (doc, _) in enumerate(run, start=1):
            acc[doc] = acc.get(doc, 0.0) + w / (k + rank)
    return _sorted(acc)


def _convex(runs: Sequence[Run], weights: Sequence[float] | None, norm: Callable[[np.ndarray], np.ndarray]) -> list[tuple[str, float]]:
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
def minmax(runs: Sequence[Run], weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Convex combination of min-max normalised scores: sum_r w_r * (s - min_r) / (max_r - min_r).

    Fox & Shaw's CombSUM with min-max normalisation (TREC-2, 1994); Bruch, Gai & Ingber, "An Analysis
    of Fusion Functions for Hybrid Retrieval", ACM TOIS 2023, for its use in lexical+dense hybrids.
    """
    return _convex(runs, weights, minmax_norm)


@dataclass(frozen=True)
class Distribution:
    """The mean and standard deviation of *every* score a retriever gave one query (all passages),
    not only of the top k it returned."""

    mean: float
    std: float

    @classmethod
    def of(cls, scores: np.ndarray) -> Distribution:
        finite = scores[np.isfinite(scores)]
        if not len(finite):
            return cls(0.0, 1.0)
        sd = float(finite.std())
        return cls(float(finite.mean()), sd if sd > 0 else 1.0)


@FUSIONS.register("zscore-full")
def zscore_full(runs: Sequence[Run], weights: Sequence[float] | None = None,
                distributions: Sequence[Distribution] | None = None) -> list[tuple[str, float]]:
    """Convex combination of scores standardised against each retriever's whole score distribution:

        score(d) = sum_r w_r * (s_r(d) - mean_r) / std_r

    where mean_r and std_r are over every passage retriever r scored for this query
    (:class:`Distribution`), and a document missing from run r's top k counts as run r's k-th score
    (it ranks at best there). Standardising against the top k only (:func:`zscore`) or scaling to the
    top k's range (:func:`minmax`) stretches a run whose top k happen to be close together; the full
    distribution says how far above the bulk of the collection a document stands. This is the
    z-score normalisation of Montague & Aslam (CIKM 2001) over the complete score list, as Lee
    ("Analyses of multiple evidence combination", SIGIR 1997) normalised over all documents. Without
    ``distributions`` each run's own scores stand in for its full distribution.
    """
    w = _weights(runs, weights)
    dists = list(distributions) if distributions is not None else [
        Distribution.of(np.array([s for _, s in run], dtype=np.float64)) for run in runs]
    if len(dists) != len(runs):
        raise ValueError(f"{len(dists)} distributions for {len(runs)} runs")
    docs = list(dict.fromkeys(doc for run in runs for doc, _ in run))
    acc = dict.fromkeys(docs, 0.0)
    for wt, run, dist in zip(w, runs, dists):
        if not run:
            continue
        scores = dict(run)
        floor = min(scores.values())
        for doc in docs:
            acc[doc] += wt * (scores.get(doc, floor) - dist.mean) / dist.std
    return _sorted(acc)


@FUSIONS.register("zscore")
def zscore(runs: Sequence[Run], weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Convex combination of z-score normalised scores (Montague & Aslam, CIKM 2001), shifted to >= 0."""
    return _convex(runs, weights, zscore_norm)
