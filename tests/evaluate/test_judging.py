"""Passage judgments from reference excerpts, and the random-ranking baseline of document judgments."""

from __future__ import annotations

import math
import random

import pytest

from sleuth.evaluate.judging import (
    RANDOM_NDCG_WARN,
    mean_random_ndcg,
    passage_qrels,
    random_ndcg,
    small_collection_warning,
)
from sleuth.evaluate.metrics import evaluate_run


def test_a_passage_holding_half_an_excerpt_or_the_most_of_it_is_relevant() -> None:
    chunks = [(1, "d", 0, 100), (2, "d", 100, 200), (3, "d", 200, 300), (4, "e", 0, 100)]
    refs = {
        "inside": [("d", 10, 50)],            # wholly in passage 1
        "split": [("d", 80, 140)],            # 20 chars in 1, 40 in 2 -> only 2 holds half
        "halves": [("d", 150, 250)],          # exactly half in 2 and in 3 -> both
        "spread": [("d", 90, 300)],           # 10 / 100 / 100 of 210: none holds half; the most: 2 and 3
        "two": [("d", 10, 20), ("e", 5, 9)],  # two excerpts in two documents
    }
    assert passage_qrels(refs, chunks) == {
        "inside": {"d#1": 1}, "split": {"d#2": 1}, "halves": {"d#2": 1, "d#3": 1},
        "spread": {"d#2": 1, "d#3": 1}, "two": {"d#1": 1, "e#4": 1},
    }


def test_random_ndcg_by_hand() -> None:
    # One relevant document among 19: (1/19) * sum_{r=1..10} 1/log2(r+1) = 4.5436 / 19.
    assert random_ndcg(1, 19) == pytest.approx(sum(1 / math.log2(r + 1) for r in range(1, 11)) / 19)
    assert random_ndcg(1, 19) == pytest.approx(0.2391, abs=1e-4)
    assert random_ndcg(1, 1) == 1.0  # one document: every ranking is perfect
    assert random_ndcg(2, 2) == pytest.approx(1.0)
    assert random_ndcg(0, 10) == 0.0
    assert random_ndcg(1, 5000) < 0.001


def test_random_ndcg_matches_shuffled_rankings_scored_by_pytrec_eval() -> None:
    # Differential check: the closed form against the mean nDCG@10 of many random orderings.
    rng = random.Random(0)
    docs = [f"d{i}" for i in range(25)]
    qrels = {"q": {"d3": 1, "d7": 1, "d11": 1}}
    trials = []
    for _ in range(3000):
        order = docs[:]
        rng.shuffle(order)
        run = {"q": {d: float(len(order) - r) for r, d in enumerate(order)}}
        trials.append(evaluate_run(qrels, run, ["ndcg@10"])["ndcg@10"])
    assert sum(trials) / len(trials) == pytest.approx(mean_random_ndcg(qrels, len(docs)), abs=0.01)


def test_small_collections_are_flagged_and_large_ones_are_not() -> None:
    assert small_collection_warning(random_ndcg(1, 19), 19) is not None
    assert "19 documents" in small_collection_warning(random_ndcg(1, 19), 19)
    assert small_collection_warning(random_ndcg(1, 5183), 5183) is None
    assert random_ndcg(1, 100) < RANDOM_NDCG_WARN <= random_ndcg(1, 80)
