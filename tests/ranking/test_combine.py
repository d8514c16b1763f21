from __future__ import annotations

import pytest

from sleuth.ranking.combine import rerank_scores


def test_interpolation_by_hand() -> None:
    first = [("a", 0.9), ("b", 0.5), ("c", 0.1), ("t1", 0.05), ("t2", 0.01)]
    # first-stage head normalised: a 1, b 0.5, c 0; reranker normalised: a 0, b 1, c 0.25
    got = rerank_scores(first, [1.0, 5.0, 2.0], weight=0.5)
    assert [d for d, _ in got] == ["b", "a", "c", "t1", "t2"]
    assert got[0][1] == pytest.approx(1 + 0.5 * 1 + 0.5 * 0.5)
    assert got[1][1] == pytest.approx(1 + 0.5 * 0 + 0.5 * 1)
    assert got[2][1] == pytest.approx(1 + 0.5 * 0.25 + 0.5 * 0)
    assert got[3][1] == pytest.approx(0.5) and got[4][1] == pytest.approx(0.46)


def test_weight_one_is_the_reranker_and_zero_the_first_stage() -> None:
    first = [("a", 3.0), ("b", 2.0), ("c", 1.0)]
    assert [d for d, _ in rerank_scores(first, [0.0, 1.0, 2.0], 1.0)] == ["c", "b", "a"]
    assert [d for d, _ in rerank_scores(first, [0.0, 1.0, 2.0], 0.0)] == ["a", "b", "c"]


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        rerank_scores([("a", 1.0)], [1.0, 2.0], 0.5)
    with pytest.raises(ValueError):
        rerank_scores([("a", 1.0)], [1.0], 1.5)
    assert rerank_scores([("a", 1.0)], [], 0.5) == [("a", 1.0)]
