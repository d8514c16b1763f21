"""Paired significance tests between two systems' per-query scores.

Which test: Smucker, Allan & Carterette, "A comparison of statistical significance tests for
information retrieval evaluation", CIKM 2007, recommend the randomization (permutation) test
and find the paired t-test agrees with it closely; the Wilcoxon signed-rank test is included
for comparison. All tests are two-sided on the differences ``a[q] - b[q]``.
"""

from __future__ import annotations

import math

import numpy as np

from sleuth.errors import ConfigError, EvaluationError

METHODS = ("ttest", "wilcoxon", "randomization")
_BATCH = 1000  # sign-flip rows drawn at a time: bounds memory at _BATCH x queries floats


def paired_test(
    a: dict[str, float],
    b: dict[str, float],
    method: str = "ttest",
    *,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> tuple[float, float]:
    """``(statistic, two-sided p-value)`` over the query ids ``a`` and ``b`` have in common.

    - ``ttest``: paired t-test, ``scipy.stats.ttest_rel``; statistic t = mean(d) / (sd(d) / sqrt(n)).
    - ``wilcoxon``: Wilcoxon signed-rank, ``scipy.stats.wilcoxon``; zero differences are dropped
      (Wilcoxon 1945); statistic is the smaller of the signed rank sums.
    - ``randomization``: paired sign-flip permutation test; statistic mean(d),
      p = (1 + #{resamples with |mean(s * d)| >= |mean(d)|}) / (1 + n_resamples), s_i = +-1 drawn
      with ``seed`` (the +1 keeps p a valid p-value; Phipson & Smyth 2010).

    Degenerate cases are decided here rather than left to NaN: when every difference is 0 the
    systems are indistinguishable, ``(0.0, 1.0)``; for the t-test, a constant non-zero difference
    has zero variance and returns ``(+-inf, 0.0)``, the limit of t as the variance shrinks.
    """
    if method not in METHODS:
        raise ConfigError(f"Unknown significance test {method!r}.", f"Valid tests: {', '.join(METHODS)}.")
    common = sorted(a.keys() & b.keys())
    if len(common) < 2:
        raise EvaluationError(
            f"A paired test needs at least 2 queries scored by both systems, found {len(common)}.",
            "Compare per-query scores of the same qrels.",
        )
    x = np.array([a[q] for q in common], dtype=float)
    y = np.array([b[q] for q in common], dtype=float)
    d = x - y
    if not d.any():
        return 0.0, 1.0
    # scipy.stats takes ~0.7 s to import; load it only when a test is actually run.
    from scipy import stats

    if method == "ttest":
        # Rounding in a - b leaves "constant" differences unequal in the last bits, where
        # scipy's variance has no precision left; treat those as constant too.
        if np.ptp(d) <= 1e-12 * np.abs(d).max():
            return math.copysign(math.inf, d[0]), 0.0
        result = stats.ttest_rel(x, y)
        return float(result.statistic), float(result.pvalue)
    if method == "wilcoxon":
        result = stats.wilcoxon(x, y)
        return float(result.statistic), float(result.pvalue)
    return _randomization(d, n_resamples, seed)


def _randomization(d: np.ndarray, n_resamples: int, seed: int) -> tuple[float, float]:
    """Sign-flip permutation test of mean(d) = 0; see :func:`paired_test`."""
    if n_resamples < 1:
        raise ConfigError(f"n_resamples must be at least 1, got {n_resamples}.")
    rng = np.random.default_rng(seed)
    observed = float(d.mean())
    # Relative slack so a resample equal to the observed mean up to rounding counts as "as extreme".
    threshold = abs(observed) * (1 - 1e-9)
    extreme = 0
    for start in range(0, n_resamples, _BATCH):
        rows = min(_BATCH, n_resamples - start)
        signs = rng.integers(0, 2, size=(rows, d.size)) * 2 - 1
        extreme += int(np.count_nonzero(np.abs(signs @ d) / d.size >= threshold))
    return observed, (1 + extreme) / (1 + n_resamples)
