"""The paired significance comparison behind --compare (sleuth.evaluate.comparison): cases with a known answer."""

from __future__ import annotations

import random

import pytest

from sleuth.errors import InputError
from sleuth.evaluate.comparison import MARK, MARK_DOWN, compare, format_p, mark


def _scores(n: int = 30, seed: int = 0) -> dict[str, float]:
    rng = random.Random(seed)
    return {f"q{i}": rng.random() * 0.8 for i in range(n)}


@pytest.mark.parametrize("method", ["randomization", "ttest", "wilcoxon"])
def test_identical_runs_show_no_difference(method):
    a = _scores()
    cmp = compare({"base": {"m": a}, "same": {"m": dict(a)}}, ["m"], method=method)
    (row,) = cmp["rows"]
    assert row["delta"] == 0.0 and row["p_value"] == 1.0 and not row["significant"]


@pytest.mark.parametrize("method", ["randomization", "ttest", "wilcoxon"])
def test_a_strictly_better_run_is_significant(method):
    a = _scores()
    rng = random.Random(1)
    better = {q: v + 0.05 + 0.1 * rng.random() for q, v in a.items()}  # better on every query
    cmp = compare({"base": {"m": a}, "better": {"m": better}}, ["m"], method=method)
    (row,) = cmp["rows"]
    assert row["delta"] > 0 and row["p_value"] < 0.001 and row["significant"]
    worse = compare({"better": {"m": better}, "base": {"m": a}}, ["m"], method=method)["rows"][0]
    assert worse["delta"] < 0 and worse["significant"]


def test_one_changed_query_out_of_many_is_not_significant():
    a = _scores(30, 0)
    one = dict(a)
    one["q0"] += 0.5
    for method in ("randomization", "ttest"):
        assert not compare({"a": {"m": a}, "b": {"m": one}}, ["m"], method=method)["rows"][0]["significant"]


def test_compare_needs_two_systems():
    with pytest.raises(InputError, match="at least two"):
        compare({"only": {"m": {"q": 1.0}}}, ["m"])


def test_mark_and_p_format():
    a = _scores()
    better = {q: v + 0.1 for q, v in a.items()}
    cmp = compare({"base": {"m": a}, "better": {"m": better}, "same": {"m": dict(a)}}, ["m"])
    assert mark(cmp, "better", "m") == " " + MARK
    assert mark(cmp, "same", "m") == ""
    assert mark(None, "better", "m") == ""
    worse = compare({"better": {"m": better}, "base": {"m": a}}, ["m"])
    assert mark(worse, "base", "m") == " " + MARK_DOWN
    assert format_p(0.00001) == "<0.0001" and format_p(0.5) == "0.5000"
