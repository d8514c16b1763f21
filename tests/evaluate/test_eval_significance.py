"""Paired significance tests: identical systems, a clearly better one, degenerate inputs."""

from __future__ import annotations

import math
import random

import pytest

from sleuth.errors import ConfigError, EvaluationError
from sleuth.evaluate.significance import METHODS, paired_test


def _scores(seed: int, n: int = 30) -> dict[str, float]:
    rng = random.Random(seed)
    return {f"q{i}": rng.random() * 0.8 for i in range(n)}


@pytest.mark.parametrize("method", METHODS)
def test_identical_systems_give_p_one(method):
    a = _scores(0)
    assert paired_test(a, dict(a), method) == (0.0, 1.0)


@pytest.mark.parametrize("method", METHODS)
def test_strictly_better_system_is_significant(method):
    b = _scores(1)
    rng = random.Random(2)
    a = {q: v + 0.05 + 0.1 * rng.random() for q, v in b.items()}
    statistic, p = paired_test(a, b, method)
    assert p < 0.05
    assert not math.isnan(statistic)


@pytest.mark.parametrize("method", METHODS)
def test_noise_is_not_significant(method):
    # Differences symmetric around 0: +d and -d in equal numbers.
    b = _scores(3)
    a = {q: v + (0.1 if i % 2 else -0.1) for i, (q, v) in enumerate(b.items())}
    assert paired_test(a, b, method)[1] > 0.5


def test_only_common_queries_count():
    b = _scores(1)
    a = {q: v + 0.1 * (1 + i % 3) for i, (q, v) in enumerate(b.items())}
    a_extra = {**a, "only-a": 100.0}
    b_extra = {**b, "only-b": -100.0}
    assert paired_test(a_extra, b_extra, "ttest") == paired_test(a, b, "ttest")


def test_constant_difference_t_test_is_decided_not_nan():
    b = _scores(4)
    a = {q: v + 0.1 for q, v in b.items()}
    assert paired_test(a, b, "ttest") == (math.inf, 0.0)
    assert paired_test(b, a, "ttest") == (-math.inf, 0.0)


def test_randomization_is_seeded():
    b = _scores(5)
    a = {q: v + (0.02 if i % 3 else -0.02) for i, (q, v) in enumerate(b.items())}
    first = paired_test(a, b, "randomization", seed=7)
    assert paired_test(a, b, "randomization", seed=7) == first
    assert first[0] == pytest.approx(0.02 / 3)
    # The sign-flip test approximates the t-test on a sample this size.
    assert first[1] == pytest.approx(paired_test(a, b, "ttest")[1], abs=0.05)


def test_unknown_method():
    with pytest.raises(ConfigError, match="Unknown significance test 'sign'. Valid tests: ttest, wilcoxon, rand"):
        paired_test(_scores(0), _scores(1), "sign")


def test_too_few_common_queries():
    with pytest.raises(EvaluationError, match="at least 2 queries scored by both systems, found 1"):
        paired_test({"q1": 0.5, "q2": 0.1}, {"q1": 0.2, "q3": 0.9})
