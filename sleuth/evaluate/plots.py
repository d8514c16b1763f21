"""The plots of evaluation reports, each a PNG (bytes) drawn with matplotlib's Agg backend.

Chunking (:func:`sleuth.evaluate.chunking.evaluate_chunkers` output): metric vs chunk size,
recall-precision as k grows, per-question distributions. Retrieval (``sleuth eval``): mean quality per
pipeline, recall-precision over the cutoff, per-query distributions. matplotlib (no display needed) is
imported only when a plot is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from sleuth.errors import ConfigError

CHUNK_METRICS = (("recall", "Recall"), ("precision", "Precision"), ("iou", "IoU"), ("omega", "Precision-Ω"))
"""The chunking metrics (result keys) and how tables and plots title them."""


def _plt() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("Reports draw their plots with matplotlib, which is not installed.",
                          "Run: pip install matplotlib") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return buf.getvalue()


def _boxplot(ax: Any, data: list[list[float]], labels: list[str]) -> None:
    try:
        ax.boxplot(data, tick_labels=labels, showmeans=True)
    except TypeError:  # matplotlib < 3.9
        ax.boxplot(data, labels=labels, showmeans=True)


# -- chunking -------------------------------------------------------------------------------------

_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_DASHES = ("-", "--", "-.", ":")


def _family(r: Mapping[str, Any]) -> str:
    ratio = r["overlap"] / r["size"] if r["size"] else 0
    return r["chunker"] + (f" (overlap {ratio:.0%})" if r["overlap"] else "")


def plot_metric_vs_size(result: Mapping[str, Any]) -> bytes:
    """Four panels (recall, precision, IoU, Precision-Ω) against chunk size, one line per chunker."""
    plt = _plt()
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    families: dict[str, list[Mapping[str, Any]]] = {}
    for r in result["results"]:
        families.setdefault(_family(r), []).append(r)
    for ax, (key, label) in zip(axes, CHUNK_METRICS):
        for i, (fam, rs) in enumerate(families.items()):
            rs = sorted(rs, key=lambda r: r["size"])
            # distinct markers and dashes, so that configurations with equal scores stay visible
            ax.plot([r["size"] for r in rs], [r["stats"][f"{key}_mean"] for r in rs], label=fam,
                    marker=_MARKERS[i % len(_MARKERS)], markersize=7 - (i % 3), linestyle=_DASHES[i % len(_DASHES)],
                    color=_COLORS[i % len(_COLORS)], alpha=0.9)
        ax.set_xscale("log", base=2)
        sizes = sorted({r["size"] for r in result["results"]})
        ax.set_xticks(sizes, [str(s) for s in sizes])
        ax.minorticks_off()
        ax.set_xlabel("chunk size (words)")
        ax.set_title(f"{label} @ k={result['k']}" if key != "omega" else label)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return _png(fig)


def plot_recall_precision(result: Mapping[str, Any]) -> bytes:
    """Precision against recall as k grows (one curve per configuration, points labelled with k)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    families = list(dict.fromkeys(_family(r) for r in result["results"]))
    sizes = sorted({r["size"] for r in result["results"]})
    for r in result["results"]:
        ks = sorted(r["at_k"], key=int)
        xs = [r["at_k"][k]["recall_mean"] for k in ks]
        ys = [r["at_k"][k]["precision_mean"] for k in ks]
        fi, si = families.index(_family(r)), sizes.index(r["size"])  # colour: chunker; marker: size
        line = ax.plot(xs, ys, marker=_MARKERS[si % len(_MARKERS)], markersize=4, label=r["label"],
                       color=_COLORS[fi % len(_COLORS)], linestyle=_DASHES[si % len(_DASHES)])[0]
        ax.annotate(f"k={ks[0]}", (xs[0], ys[0]), fontsize=6, color=line.get_color(),
                    xytext=(3, 2), textcoords="offset points")
    ax.set_xlabel("recall (token level)")
    ax.set_ylabel("precision (token level)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, None)
    ax.grid(alpha=0.3)
    ax.set_title(f"Recall-precision as k grows ({', '.join(str(k) for k in result['ks'])})")
    ax.legend(fontsize=7, ncol=2)
    return _png(fig)


def plot_chunk_distributions(result: Mapping[str, Any]) -> bytes:
    """Box plots of per-question IoU and recall for each configuration."""
    plt = _plt()
    labels = [r["label"] for r in result["results"]]
    fig, axes = plt.subplots(2, 1, figsize=(max(7, 0.55 * len(labels) + 2), 7))
    for ax, key, name in ((axes[0], "iou_scores", "IoU"), (axes[1], "recall_scores", "recall")):
        _boxplot(ax, [r["scores"][key] for r in result["results"]], labels)
        ax.set_ylabel(f"{name} per question")
        ax.tick_params(axis="x", rotation=60, labelsize=7)
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_title(f"Per-question distributions @ k={result['k']}")
    fig.tight_layout()
    return _png(fig)


# -- retrieval ------------------------------------------------------------------------------------


def plot_retrieval_bars(results: Sequence[Mapping[str, Any]], metrics: Sequence[str]) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(metrics) * max(1, len(results)) / 2), 4))
    width = 0.8 / max(1, len(results))
    for i, r in enumerate(results):
        xs = [j + i * width for j in range(len(metrics))]
        ax.bar(xs, [r[m] for m in metrics], width, label=r["label"])
    ax.set_xticks([j + width * (len(results) - 1) / 2 for j in range(len(metrics))], list(metrics))
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    ax.set_title("Mean quality per pipeline")
    return _png(fig)


def plot_retrieval_curves(curves: Mapping[str, Mapping[str, Mapping[str, float]]]) -> bytes:
    """P@k against recall@k over the cutoffs k, one curve per pipeline."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 5))
    for label, c in curves.items():
        ks = sorted(c, key=int)
        xs = [c[k]["recall"] for k in ks]
        ys = [c[k]["precision"] for k in ks]
        line = ax.plot(xs, ys, marker="o", markersize=3, label=label)[0]
        for k, x, y in zip(ks, xs, ys):
            if k in ("1", "10", "100"):
                ax.annotate(f"k={k}", (x, y), fontsize=6, color=line.get_color(), xytext=(3, 2),
                            textcoords="offset points")
    ax.set_xlabel("recall@k")
    ax.set_ylabel("precision@k")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, None)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Recall-precision over the cutoff k")
    return _png(fig)


def plot_retrieval_distributions(per_query: Mapping[str, Mapping[str, Mapping[str, float]]],
                                 metrics: Sequence[str]) -> bytes:
    plt = _plt()
    labels = list(per_query)
    fig, axes = plt.subplots(1, len(metrics), figsize=(max(8, 3.2 * len(metrics)), 4), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        _boxplot(ax, [list(per_query[s][m].values()) for s in labels], labels)
        ax.set_title(f"{m} per query")
        ax.tick_params(axis="x", rotation=45, labelsize=7)
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return _png(fig)
