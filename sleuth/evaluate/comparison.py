"""Paired significance comparison of systems scored on the same queries, and how a table marks it.

:func:`compare`: every system is compared with the first (the baseline) on the same queries, metric by
metric, with :func:`sleuth.evaluate.significance.paired_test` (two-sided; the randomization test by
default, as Smucker, Allan & Carterette, "A comparison of statistical significance tests for information
retrieval evaluation", CIKM 2007, recommend). A difference is significant when p < alpha (0.05). No
correction for multiple comparisons is applied; :func:`significance_text` says so, with the number of
tests made. :func:`mark` is the ▲ / ▼ a table cell carries for a significant gain / loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sleuth.errors import ConfigError, EvaluationError, InputError

ALPHA = 0.05
DEFAULT_TEST = "randomization"
MARK = "▲"
MARK_DOWN = "▼"


def compare(
    per_query: Mapping[str, Mapping[str, Mapping[str, float]]],
    metrics: Sequence[str],
    *,
    baseline: str | None = None,
    method: str = DEFAULT_TEST,
    alpha: float = ALPHA,
    seed: int = 0,
) -> dict[str, Any]:
    """Paired tests of every system against the baseline, per metric, over the queries both scored.

    ``per_query`` is ``{system: {metric: {query id: value}}}`` (systems in order, the first is the
    baseline unless named). Returns ``{"baseline", "test", "alpha", "correction": "none", "tests",
    "rows": [{"system", "metric", "baseline_mean", "mean", "delta", "statistic", "p_value",
    "significant"}]}``.
    """
    from sleuth.evaluate.significance import METHODS, paired_test

    if method not in METHODS:
        raise ConfigError(f"Unknown significance test {method!r}.", f"Valid tests: {', '.join(METHODS)}.")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}.", "Pass e.g. --alpha 0.05.")
    systems = list(per_query)
    if len(systems) < 2:
        raise InputError("A comparison needs at least two systems.", "Pass --pipeline twice or more (or several chunkers).")
    base = baseline or systems[0]
    if base not in per_query:
        raise InputError(f"Unknown baseline {base!r}.", f"Choose one of: {', '.join(systems)}.")
    rows = []
    for system in systems:
        if system == base:
            continue
        for m in metrics:
            a, b = per_query[system][m], per_query[base][m]
            common = sorted(a.keys() & b.keys())
            if len(common) < 2:
                raise EvaluationError(f"{system} and {base} share fewer than 2 scored queries on {m}.",
                                      "Compare systems over the same queries.")
            stat, p = paired_test({q: a[q] for q in common}, {q: b[q] for q in common}, method, seed=seed)
            mean_a = math.fsum(a[q] for q in common) / len(common)
            mean_b = math.fsum(b[q] for q in common) / len(common)
            rows.append({"system": system, "metric": m, "baseline_mean": mean_b, "mean": mean_a,
                         "delta": mean_a - mean_b, "statistic": stat, "p_value": p,
                         "significant": bool(p < alpha), "queries": len(common)})
    return {"baseline": base, "test": method, "alpha": alpha, "correction": "none", "tests": len(rows), "rows": rows}


def significance_text(cmp: Mapping[str, Any]) -> str:
    """The sentence under a comparison: which test, against which baseline, what the marks mean, how many tests."""
    names = {"ttest": "paired t-test", "wilcoxon": "Wilcoxon signed-rank test",
             "randomization": "paired randomization (sign-flip) test, 10,000 resamples"}
    return (f"Significance: each system is compared with the baseline {cmp['baseline']!r} on the same queries "
            f"with a two-sided {names.get(cmp['test'], cmp['test'])}; {MARK} / {MARK_DOWN} mark a significant gain / "
            f"loss (p < {cmp['alpha']}). {cmp['tests']} tests, no correction for multiple comparisons.")


def mark(cmp: Mapping[str, Any] | None, system: str, metric: str) -> str:
    """``" ▲"`` / ``" ▼"`` when ``system`` differs significantly from the baseline on ``metric`` in ``cmp``, else ``""``."""
    if not cmp:
        return ""
    for r in cmp["rows"]:
        if r["system"] == system and r["metric"] == metric and r["significant"]:
            return " " + (MARK if r["delta"] > 0 else MARK_DOWN)
    return ""


def format_p(p: float) -> str:
    """A p-value to four decimals, or ``<0.0001``."""
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def chunk_per_query(result: Mapping[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """``{label: {metric: {query id: value}}}`` from an evaluation result, for :func:`compare`."""
    qids = result["query_ids"]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for r in result["results"]:
        out[r["label"]] = {m: dict(zip(qids, r["scores"][f"{m}_scores"])) for m in ("iou", "recall", "precision", "omega")}
    return out
