"""How a reranker's scores join the first stage's (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sleuth.ranking.fusion import minmax_norm


def rerank_scores(
    first: Sequence[tuple[str, float]], reranked: Sequence[float], weight: float
) -> list[tuple[str, float]]:
    """Reorder the head of ``first`` (best first) by interpolating its scores with the reranker's.

    For the ``n = len(reranked)`` head documents: ``s = w·mm(r) + (1 - w)·mm(f)``, with ``mm`` the min-max
    normalisation to [0, 1] over the head (Bruch et al. 2023 on convex fusion), ``r`` the reranker's and
    ``f`` the first stage's scores. ``w = 1`` is a pure reranker. Head documents keep scores in
    ``[1, 2]`` so they stay above the tail, which keeps its order and first-stage scores shifted below 1.
    """
    n = len(reranked)
    if n > len(first):
        raise ValueError(f"{n} reranker scores for {len(first)} documents")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    if n == 0:
        return list(first)
    f = minmax_norm(np.array([s for _, s in first[:n]], dtype=np.float64))
    r = minmax_norm(np.asarray(reranked, dtype=np.float64))
    head = 1.0 + weight * r + (1.0 - weight) * f
    order = np.argsort(-head, kind="stable")
    out = [(first[i][0], float(head[i])) for i in order]
    tail = first[n:]
    if tail:
        top = max(s for _, s in tail)
        out += [(d, s - top + 0.5) for d, s in tail]
    return out
