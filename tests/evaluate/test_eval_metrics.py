"""evaluate_run / per_query: hand-computed values, edge cases, and a differential test."""

from __future__ import annotations

import random
from math import log2

import pytest
import reference

from sleuth.errors import ConfigError, EvaluationError
from sleuth.evaluate.metrics import METRICS, evaluate_run, per_query, per_query_all, ranked

# q1: grades d1=2, d2=1, d4=1 relevant (3), d3=0 judged non-relevant.
#     Ranked: 1 d3(0)  2 d1(2)  3 d5(-)  4 d2(1)  5 d6(-);  d4 never retrieved.
# q2: e0=1 relevant. e0 and e1 tie at 1.0; ties go by doc id descending, so e1 ranks 1, e0 ranks 2.
# q3: judged but absent from the run -> 0 everywhere.
# "unjudged" is in the run only and must be ignored.
QRELS = {
    "q1": {"d1": 2, "d2": 1, "d3": 0, "d4": 1},
    "q2": {"e0": 1},
    "q3": {"f1": 1},
}
RUN = {
    "q1": {"d3": 0.9, "d1": 0.8, "d5": 0.7, "d2": 0.6, "d6": 0.5},
    "q2": {"e0": 1.0, "e1": 1.0},
    "unjudged": {"d1": 5.0},
}

# nDCG@10, gain = grade, discount log2(rank + 1):
#   q1 DCG  = 2/log2(3) + 1/log2(5)                  = 1.26186 + 0.43068 = 1.69254
#      IDCG = 2/log2(2) + 1/log2(3) + 1/log2(4) + 0  = 2 + 0.63093 + 0.5 = 3.13093  -> 0.54059
#   q2 DCG = 1/log2(3) = 0.63093, IDCG = 1                                          -> 0.63093
Q1_NDCG10 = (2 / log2(3) + 1 / log2(5)) / (2 + 1 / log2(3) + 1 / log2(4))
Q2_NDCG10 = 1 / log2(3)
# nDCG@2: q1 DCG@2 = 2/log2(3), IDCG@2 = 2 + 1/log2(3); q2 as @10.
Q1_NDCG2 = (2 / log2(3)) / (2 + 1 / log2(3))
# recall@100: q1 2 of 3, q2 1 of 1.  recall@2: q1 1 of 3, q2 1 of 1.
# MRR@10: q1 first relevant at rank 2 -> 1/2; q2 at rank 2 -> 1/2.  MRR@1: 0 and 0.
# AP: q1 (1/2 + 2/4) / 3 = 1/3 (d4 unretrieved still counts in the denominator); q2 (1/2) / 1.
# P@5: q1 2/5, q2 1/5 (k fixed at 5 though q2 retrieved 2).
EXPECTED = {
    "ndcg@10": (Q1_NDCG10 + Q2_NDCG10 + 0) / 3,
    "ndcg@2": (Q1_NDCG2 + Q2_NDCG10 + 0) / 3,
    "recall@100": (2 / 3 + 1 + 0) / 3,
    "recall@2": (1 / 3 + 1 + 0) / 3,
    "mrr@10": (1 / 2 + 1 / 2 + 0) / 3,
    "mrr@1": 0.0,
    "map": (1 / 3 + 1 / 2 + 0) / 3,
    "precision@5": (2 / 5 + 1 / 5 + 0) / 3,
}


def test_default_metrics_and_keys():
    result = evaluate_run(QRELS, RUN)
    assert list(result) == ["ndcg@10", "recall@100", "mrr@10", "map"]
    for name, value in result.items():
        assert value == pytest.approx(EXPECTED[name], abs=1e-12), name


@pytest.mark.parametrize("metric", sorted(EXPECTED))
def test_hand_computed(metric):
    assert evaluate_run(QRELS, RUN, [metric])[metric] == pytest.approx(EXPECTED[metric], abs=1e-12)


def test_per_query_covers_judged_queries_only():
    assert per_query(QRELS, RUN, "ndcg@10") == pytest.approx({"q1": Q1_NDCG10, "q2": Q2_NDCG10, "q3": 0.0}, abs=1e-12)
    assert per_query(QRELS, RUN, "mrr@10") == {"q1": 0.5, "q2": 0.5, "q3": 0.0}


def test_ties_broken_by_doc_id_descending():
    # Consistency between pytrec_eval's order and the cut used for MRR@k: with the opposite
    # tie-break e0 would be at rank 1 and MRR@1 would be 1.
    assert ranked({"e0": 1.0, "e1": 1.0, "a": 2.0}) == [("a", 2.0), ("e1", 1.0), ("e0", 1.0)]
    qrels = {"q": {"e0": 1}}
    run = {"q": {"e0": 1.0, "e1": 1.0}}
    result = evaluate_run(qrels, run, ["mrr@1", "mrr@2", "precision@1"])
    assert result == {"mrr@1": 0.0, "mrr@2": 0.5, "precision@1": 0.0}


def test_score_zero_judgments_are_not_relevant():
    qrels = {"q": {"bad": 0, "good": 1}}
    run = {"q": {"bad": 2.0, "good": 1.0}}
    result = evaluate_run(qrels, run, ["mrr@10", "precision@1", "recall@1", "map", "ndcg@1"])
    assert result == {"mrr@10": 0.5, "precision@1": 0.0, "recall@1": 0.0, "map": 0.5, "ndcg@1": 0.0}


def test_query_with_only_nonrelevant_judgments_scores_zero():
    qrels = {"q": {"a": 0}, "r": {"b": 1}}
    run = {"q": {"a": 1.0}, "r": {"b": 1.0}}
    assert evaluate_run(qrels, run) == {"ndcg@10": 0.5, "recall@100": 0.5, "mrr@10": 0.5, "map": 0.5}


def test_empty_run_scores_zero():
    assert evaluate_run(QRELS, {}) == {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0, "map": 0.0}
    assert evaluate_run(QRELS, {"q1": {}}) == {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0, "map": 0.0}


def test_perfect_run_scores_one():
    run = {qid: {d: float(g) for d, g in judged.items()} for qid, judged in QRELS.items()}
    assert evaluate_run(QRELS, run, ["ndcg@10", "recall@100", "mrr@10", "map"]) == pytest.approx(
        {"ndcg@10": 1.0, "recall@100": 1.0, "mrr@10": 1.0, "map": 1.0}
    )


def test_empty_qrels_is_an_error():
    with pytest.raises(EvaluationError, match="No judged queries"):
        evaluate_run({}, RUN)


def test_nan_score_is_an_error():
    with pytest.raises(EvaluationError, match="query 'q1', document 'd1' is NaN"):
        evaluate_run(QRELS, {"q1": {"d1": float("nan")}})


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bleu", "Unknown metric 'bleu'. Valid metrics: map, mrr@k, ndcg@k, precision@k, recall@k"),
        ("ndcg", "Metric 'ndcg' needs a positive integer cutoff"),
        ("recall@0", "Metric 'recall@0' needs a positive integer cutoff"),
        ("mrr@ten", "Metric 'mrr@ten' needs a positive integer cutoff"),
        ("map@10", "Metric 'map' takes no cutoff, got 'map@10'"),
    ],
)
def test_unknown_or_malformed_metric(name, message):
    with pytest.raises(ConfigError) as info:
        evaluate_run(QRELS, RUN, [name])
    assert str(info.value).startswith(message)


def test_registry_holds_the_families():
    assert METRICS.names() == ["map", "mrr", "ndcg", "precision", "recall"]


DIFF_METRICS = [
    *(f"ndcg@{k}" for k in (1, 3, 5, 10, 100)),
    *(f"recall@{k}" for k in (1, 5, 10, 100)),
    *(f"precision@{k}" for k in (1, 5, 10)),
    *(f"mrr@{k}" for k in (1, 3, 10)),
    "map",
]


def _random_case(seed: int) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """~50 judged queries with graded (some negative) grades; runs with many score ties,
    unjudged documents, missing and empty queries, and run-only queries."""
    rng = random.Random(seed)
    pool = [f"doc{i}" for i in range(40)]
    qrels, run = {}, {}
    for q in range(50):
        qid = f"q{q}"
        qrels[qid] = {d: rng.choice([-1, 0, 0, 1, 1, 2, 3]) for d in rng.sample(pool, rng.randint(1, 12))}
        shape = rng.random()
        if shape < 0.08:
            continue  # judged, not retrieved
        if shape < 0.12:
            run[qid] = {}
            continue
        # Scores on a coarse grid so that ties are common.
        run[qid] = {d: rng.randint(0, 8) / 4 for d in rng.sample(pool, rng.randint(1, 30))}
    for q in range(50, 55):
        run[f"q{q}"] = {d: rng.random() for d in rng.sample(pool, 5)}
    return qrels, run


@pytest.mark.parametrize("seed", range(5))
def test_differential_against_numpy_reference(seed):
    qrels, run = _random_case(seed)
    ours = per_query_all(qrels, run, DIFF_METRICS)
    means = evaluate_run(qrels, run, DIFF_METRICS)
    for metric in DIFF_METRICS:
        expected = reference.per_query(qrels, run, metric)
        assert ours[metric].keys() == expected.keys()
        for qid in expected:
            assert ours[metric][qid] == pytest.approx(expected[qid], abs=1e-9), (metric, qid)
        assert means[metric] == pytest.approx(reference.mean(qrels, run, metric), abs=1e-9), metric
