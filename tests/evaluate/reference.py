"""Plain numpy versions of the metrics, written from their definitions, for differential tests only.

They share nothing with sleuth.evaluate.metrics but the conventions it documents: relevant means
grade >= 1, nDCG gain = grade (negative counts 0), ties broken by doc id descending.
"""

from __future__ import annotations

import numpy as np


def ranking(docs: dict[str, float]) -> list[str]:
    return [d for d, _ in sorted(docs.items(), key=lambda item: (item[1], item[0]), reverse=True)]


def _relevant(judged: dict[str, int], ranked: list[str]) -> np.ndarray:
    return np.array([judged.get(d, 0) >= 1 for d in ranked], dtype=bool)


def ndcg(judged: dict[str, int], docs: dict[str, float], k: int) -> float:
    gains = np.array([max(judged.get(d, 0), 0) for d in ranking(docs)[:k]], dtype=float)
    ideal = np.sort(np.array([max(g, 0) for g in judged.values()], dtype=float))[::-1][:k]
    idcg = float(np.sum(ideal / np.log2(np.arange(2, ideal.size + 2))))
    if idcg == 0:
        return 0.0
    return float(np.sum(gains / np.log2(np.arange(2, gains.size + 2)))) / idcg


def recall(judged: dict[str, int], docs: dict[str, float], k: int) -> float:
    n_rel = sum(g >= 1 for g in judged.values())
    return float(_relevant(judged, ranking(docs)[:k]).sum()) / n_rel if n_rel else 0.0


def precision(judged: dict[str, int], docs: dict[str, float], k: int) -> float:
    return float(_relevant(judged, ranking(docs)[:k]).sum()) / k


def mrr(judged: dict[str, int], docs: dict[str, float], k: int) -> float:
    hits = np.flatnonzero(_relevant(judged, ranking(docs)[:k]))
    return 1.0 / (hits[0] + 1) if hits.size else 0.0


def average_precision(judged: dict[str, int], docs: dict[str, float]) -> float:
    n_rel = sum(g >= 1 for g in judged.values())
    rel = _relevant(judged, ranking(docs))
    if not n_rel or not rel.any():
        return 0.0
    precision_at = np.cumsum(rel) / np.arange(1, rel.size + 1)
    return float(precision_at[rel].sum()) / n_rel


def per_query(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], metric: str) -> dict[str, float]:
    """Same contract as sleuth's per_query: every judged query, 0 when absent from the run."""
    family, _, k = metric.partition("@")
    scorers = {"ndcg": ndcg, "recall": recall, "precision": precision, "mrr": mrr}
    out = {}
    for qid, judged in qrels.items():
        docs = run.get(qid, {})
        out[qid] = average_precision(judged, docs) if family == "map" else scorers[family](judged, docs, int(k))
    return out


def mean(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], metric: str) -> float:
    return float(np.mean(list(per_query(qrels, run, metric).values())))
