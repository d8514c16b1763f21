import pytest

from sleuth.errors import ConfigError
from sleuth.ranking.fusion import FUSIONS, minmax, rrf, zscore

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
    assert FUSIONS.names() == ["minmax", "rrf", "zscore"]
    with pytest.raises(ConfigError, match="Did you mean 'rrf'"):
        FUSIONS.get("rff")
