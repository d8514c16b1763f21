import pytest

from sleuth.errors import ConfigError
import numpy as np

from sleuth.retrieve.fusion import FUSIONS, Distribution, minmax, rrf, zscore, zscore_full

A = [("a", 10.0), ("b", 5.0), ("c", 0.0)]
B = [("c", 0.9), ("a", 0.5)]


def test_rrf_by_hand():
    got = dict(rrf([A, B], k=60))
    assert got["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert got["b"] == pytest.approx(1 / 62)
    assert got["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert [d for d, _ in rrf([A, B])] == ["a", "c", "b"]


def test_weighted_rrf():
    got = dict(rrf([A, B], weights=[2.0, 0.0], k=1))
    assert got == pytest.approx({"a": 1.0, "b": 2 / 3, "c": 0.5})


def test_minmax_by_hand():
    # A normalised: a 1, b 0.5, c 0; B normalised: c 1, a 0
    got = dict(minmax([A, B], weights=[0.5, 0.5]))
    assert got == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.5})
    assert [d for d, _ in minmax([A, B], weights=[0.5, 0.5])] == ["a", "c", "b"]  # tie -> doc id


def test_zscore_by_hand():
    # A: mean 5, std sqrt(50/3); z = (+1.2247, 0, -1.2247) shifted by +1.2247
    got = dict(zscore([A]))
    assert got["a"] == pytest.approx(2 * 1.224744871)
    assert got["b"] == pytest.approx(1.224744871)
    assert got["c"] == pytest.approx(0.0)


def test_constant_and_empty_runs():
    assert dict(minmax([[("x", 3.0), ("y", 3.0)], []])) == {"x": 1.0, "y": 1.0}
    assert dict(zscore([[("x", 3.0)]])) == {"x": 0.0}
    assert rrf([]) == []


def test_registry_names_and_errors():
    assert FUSIONS.names() == ["minmax", "rrf", "zscore", "zscore-full"]
    with pytest.raises(ConfigError, match="Did you mean 'rrf'"):
        FUSIONS.get("rff")


def test_zscore_full_by_hand():
    # A over all its passages: mean 2, std 4; B: mean 0.5, std 0.25. "b" is missing from B: it counts as
    # B's lowest shown score (0.5), i.e. it ranks at best at the bottom of B's list.
    got = dict(zscore_full([A, B], [0.4, 0.6], [Distribution(2.0, 4.0), Distribution(0.5, 0.25)]))
    assert got["a"] == pytest.approx(0.4 * (10 - 2) / 4 + 0.6 * (0.5 - 0.5) / 0.25)
    assert got["b"] == pytest.approx(0.4 * (5 - 2) / 4 + 0.6 * 0.0)
    assert got["c"] == pytest.approx(0.4 * (0 - 2) / 4 + 0.6 * (0.9 - 0.5) / 0.25)
    assert [d for d, _ in zscore_full([A, B], [0.4, 0.6], [Distribution(2.0, 4.0), Distribution(0.5, 0.25)])] == ["a", "c", "b"]


def test_zscore_full_matches_zscore_ordering_without_distributions():
    # Without the full distributions each run's own scores stand in: then it ranks as a weighted z-score.
    got = [d for d, _ in zscore_full([A])]
    assert got == [d for d, _ in zscore([A])]


def test_distribution_ignores_unscored_passages_and_constant_runs():
    d = Distribution.of(np.array([1.0, 3.0, -np.inf]))
    assert (d.mean, d.std) == (2.0, 1.0)
    assert Distribution.of(np.array([5.0, 5.0])) == Distribution(5.0, 1.0)  # no spread: unit scale
    assert Distribution.of(np.array([-np.inf])) == Distribution(0.0, 1.0)


def test_zscore_full_checks_its_arguments():
    with pytest.raises(ValueError, match="1 distributions for 2 runs"):
        zscore_full([A, B], distributions=[Distribution(0.0, 1.0)])
    assert zscore_full([[], []], distributions=[Distribution(0, 1), Distribution(0, 1)]) == []
