"""Retrieval metrics, computed by pytrec_eval (Van Gysel & de Rijke, SIGIR 2018), i.e. trec_eval.

Conventions, all trec_eval's:

- A document is relevant when its qrels grade is >= 1; grade 0 (or below) is judged non-relevant.
- A run is ranked by score descending; equal scores are ordered by doc id descending (byte order),
  so ties are broken deterministically by doc id, as trec_eval does.
- Only queries in the qrels count. The mean is over *every* judged query: one missing from the run
  scores 0 (trec_eval ``-c``). Queries in the run but not in the qrels are ignored.
- ``map`` uses the whole run; a ``@k`` metric looks at the top k only.

Metric names are ``map`` or ``<family>@<k>`` with k a positive integer; the families are the
entries of :data:`METRICS`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pytrec_eval

from sleuth.errors import ConfigError, EvaluationError
from sleuth.evaluate.beir import Qrels
from sleuth.registry import Registry

Run = dict[str, dict[str, float]]
"""query id -> {doc id: score}; higher scores rank first."""

DEFAULT_METRICS = ("ndcg@10", "recall@100", "mrr@10", "map")


@dataclass(frozen=True)
class MetricFamily:
    """One trec_eval measure family. ``formula`` documents it; ``trec_measure`` computes it.

    ``cut_run``: evaluate on the run truncated to the top k, for measures trec_eval does not cut
    itself (MRR@k is ``recip_rank`` over the top k).
    """

    formula: str
    trec_measure: str
    takes_k: bool
    cut_run: bool = False


METRICS: Registry[MetricFamily] = Registry("metric")
METRICS.add(
    "ndcg",
    MetricFamily(
        "nDCG@k = DCG@k / IDCG@k, DCG@k = sum_{i=1..k} grade_i / log2(i + 1) with the qrels grade as "
        "the gain (negative grades count 0), IDCG@k = DCG@k of the judged grades sorted descending; "
        "0 when nothing is relevant (Jarvelin & Kekalainen 2002; trec_eval ndcg_cut).",
        "ndcg_cut",
        takes_k=True,
    ),
)
METRICS.add(
    "recall",
    MetricFamily(
        "Recall@k = |relevant in top k| / |relevant judged|; 0 when nothing is relevant (trec_eval recall).",
        "recall",
        takes_k=True,
    ),
)
METRICS.add(
    "precision",
    MetricFamily(
        "P@k = |relevant in top k| / k, k fixed even when fewer are retrieved (trec_eval P).",
        "P",
        takes_k=True,
    ),
)
METRICS.add(
    "mrr",
    MetricFamily(
        "MRR@k = 1 / rank of the first relevant document if it is within the top k, else 0 "
        "(Voorhees, TREC-8 QA 1999; trec_eval recip_rank on the run cut to k).",
        "recip_rank",
        takes_k=True,
        cut_run=True,
    ),
)
METRICS.add(
    "map",
    MetricFamily(
        "AP = sum over relevant retrieved documents of precision at their rank / |relevant judged|, "
        "over the whole run; 0 when nothing is relevant (trec_eval map).",
        "map",
        takes_k=False,
    ),
)


@dataclass(frozen=True)
class _Measure:
    """A parsed metric name: what to ask pytrec_eval for, and on which run depth."""

    request: str  # pytrec_eval measure spec, e.g. "ndcg_cut.10"
    key: str  # key of pytrec_eval's result, e.g. "ndcg_cut_10"
    depth: int | None  # cut the run to this many documents first; None = whole run


def _valid_names() -> str:
    return ", ".join(f"{name}@k" if METRICS.get(name).takes_k else name for name in METRICS)


def parse_metric(name: str) -> _Measure:
    """Map ``ndcg@10`` etc. to a pytrec_eval measure; ConfigError listing valid names otherwise."""
    family_name, at, cutoff = name.partition("@")
    if family_name not in METRICS:
        raise ConfigError(
            f"Unknown metric {name!r}.", f"Valid metrics: {_valid_names()} (k a positive integer, e.g. ndcg@10)."
        )
    family = METRICS.get(family_name)
    if not family.takes_k:
        if at:
            raise ConfigError(f"Metric {family_name!r} takes no cutoff, got {name!r}.", f"Use {family_name!r}.")
        return _Measure(family.trec_measure, family.trec_measure, None)
    if not (cutoff.isascii() and cutoff.isdigit() and int(cutoff) > 0):
        raise ConfigError(
            f"Metric {name!r} needs a positive integer cutoff.", f"Write it as {family_name}@k, e.g. {family_name}@10."
        )
    k = int(cutoff)
    if family.cut_run:
        return _Measure(family.trec_measure, family.trec_measure, k)
    return _Measure(f"{family.trec_measure}.{k}", f"{family.trec_measure}_{k}", None)


def ranked(docs: dict[str, float], depth: int | None = None) -> list[tuple[str, float]]:
    """``(doc id, score)`` best first in trec_eval's order: score descending, then doc id descending."""
    if depth is None:
        return sorted(docs.items(), key=_trec_order, reverse=True)
    return heapq.nlargest(depth, docs.items(), key=_trec_order)


def _trec_order(item: tuple[str, float]) -> tuple[float, str]:
    doc_id, score = item
    return score, doc_id


def check_run(run: Run) -> None:
    """Raise EvaluationError on a NaN score: it has no place in a ranking and would reorder silently."""
    for qid, docs in run.items():
        for doc_id, score in docs.items():
            if math.isnan(score):
                raise EvaluationError(
                    f"Run score of query {qid!r}, document {doc_id!r} is NaN.",
                    "Fix the scorer that produced it (e.g. a cosine of a zero vector).",
                )


def per_query_all(qrels: Qrels, run: Run, metrics: Iterable[str] = DEFAULT_METRICS) -> dict[str, dict[str, float]]:
    """``{metric: {query id: value}}`` for every query in the qrels (0 when absent from the run)."""
    measures = {name: parse_metric(name) for name in metrics}
    if not qrels:
        raise EvaluationError("No judged queries: the qrels are empty.", "Load a qrels file with judgments.")
    check_run(run)
    judged_run = {qid: {d: float(s) for d, s in docs.items()} for qid, docs in run.items() if qid in qrels}

    # One pytrec_eval pass per run depth, because MRR@k needs the run itself cut to k.
    results: dict[int | None, dict[str, dict[str, float]]] = {}
    for depth in {m.depth for m in measures.values()}:
        requests = {m.request for m in measures.values() if m.depth == depth}
        depth_run = judged_run if depth is None else {q: dict(ranked(d, depth)) for q, d in judged_run.items()}
        results[depth] = pytrec_eval.RelevanceEvaluator(qrels, requests).evaluate(depth_run)

    return {
        name: {qid: results[m.depth].get(qid, {}).get(m.key, 0.0) for qid in qrels} for name, m in measures.items()
    }


def per_query(qrels: Qrels, run: Run, metric: str) -> dict[str, float]:
    """``{query id: value}`` of one metric for every query in the qrels; see the module conventions."""
    return per_query_all(qrels, run, [metric])[metric]


def evaluate_run(qrels: Qrels, run: Run, metrics: Sequence[str] = DEFAULT_METRICS) -> dict[str, float]:
    """Mean of each metric over every query in the qrels, keyed by the metric names as given."""
    scores = per_query_all(qrels, run, metrics)
    return {name: math.fsum(values.values()) / len(values) for name, values in scores.items()}
