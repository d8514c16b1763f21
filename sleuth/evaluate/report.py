"""Evaluation reports: Markdown, a self-contained HTML page and JSON, with matplotlib plots.

``write_report(report, DIR)`` writes::

    DIR/report.md         tables and the figures (linked as figures/*.png)
    DIR/report.html       the same, one file: CSS inline, figures embedded as data:image/png;base64 URIs
    DIR/report.json       every number behind the tables and plots (and the command that made them)
    DIR/figures/*.png     the plots

Two builders make a :class:`Report` from results: :func:`chunking_report` (``sleuth eval chunking``:
metric vs chunk size, recall-precision curves over k, per-question distributions) and
:func:`retrieval_report` (``sleuth eval``: quality and speed per pipeline, recall-precision curves
over the cutoff, per-query distributions, and with ``--compare`` the paired significance tests).

Significance (:func:`compare`): every system is compared with the first (the baseline) on the same
queries, metric by metric, with :func:`sleuth.evaluate.significance.paired_test` (two-sided;
the randomization test by default, as Smucker, Allan & Carterette, CIKM 2007, recommend). A difference
is marked significant when p < alpha (0.05). No correction for multiple comparisons is applied; the
report says so, with the number of tests made.

matplotlib (Agg backend, no display needed) is imported only when a report is drawn.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import ConfigError, EvaluationError, InputError

ALPHA = 0.05
DEFAULT_TEST = "randomization"
MARK = "▲"
MARK_DOWN = "▼"


# -- the document model ---------------------------------------------------------------------------


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class Figure:
    name: str  # file stem under figures/
    title: str
    png: bytes
    caption: str = ""


@dataclass
class Report:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    command: str = ""


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """The report as Markdown; figures are linked as ``figures/NAME.png``."""
    out = [f"# {report.title}", ""]
    if report.command:
        out += ["Command:", "", "```", report.command, "```", ""]
    for p in report.paragraphs:
        out += [p, ""]
    for t in report.tables:
        out += [f"## {t.title}", "", "| " + " | ".join(map(_md_cell, t.columns)) + " |",
                "|" + "|".join("---" if i == 0 else "---:" for i in range(len(t.columns))) + "|"]
        out += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in t.rows]
        out.append("")
        if t.note:
            out += [t.note, ""]
    for f in report.figures:
        out += [f"## {f.title}", "", f"![{f.title}](figures/{f.name}.png)", ""]
        if f.caption:
            out += [f.caption, ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       padding: 0 1rem; color: #1b1f24; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; }
th { background: #f6f8fa; } td:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .note { color: #57606a; font-size: .85rem; }
"""


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (no external file, script or network access)."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(report.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
             f"<h1>{e(report.title)}</h1>"]
    if report.command:
        parts.append(f"<p>Command:</p><pre><code>{e(report.command)}</code></pre>")
    parts += [f"<p>{e(p)}</p>" for p in report.paragraphs]
    for i, t in enumerate(report.tables):
        parts.append(f'<h2 id="table-{i}">{e(t.title)}</h2>')
        parts.append("<table><thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in t.columns) + "</tr></thead><tbody>")
        parts += ["<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in t.rows]
        parts.append("</tbody></table>")
        if t.note:
            parts.append(f'<p class="note">{e(t.note)}</p>')
    for f in report.figures:
        data = base64.b64encode(f.png).decode("ascii")
        parts.append(f'<h2 id="figure-{e(f.name)}">{e(f.title)}</h2>')
        parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{e(f.title)}" '
                     f'data-figure="{e(f.name)}">' + (f"<figcaption>{e(f.caption)}</figcaption>" if f.caption else "")
                     + "</figure>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalars
        return _jsonable(obj.item())
    return obj


def write_report(report: Report, out_dir: Path | str) -> dict[str, Path]:
    """Write report.md, report.html, report.json and figures/*.png into ``out_dir`` (created)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file.", "Pass a directory to --report.")
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for f in report.figures:
        (out / "figures" / f"{f.name}.png").write_bytes(f.png)
    paths = {"markdown": out / "report.md", "html": out / "report.html", "json": out / "report.json"}
    paths["markdown"].write_text(render_markdown(report), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    payload = {"title": report.title, "command": report.command, **report.data}
    paths["json"].write_text(json.dumps(_jsonable(payload), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


# -- significance ---------------------------------------------------------------------------------


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


def _significance_text(cmp: Mapping[str, Any]) -> str:
    names = {"ttest": "paired t-test", "wilcoxon": "Wilcoxon signed-rank test",
             "randomization": "paired randomization (sign-flip) test, 10,000 resamples"}
    return (f"Significance: each system is compared with the baseline {cmp['baseline']!r} on the same queries "
            f"with a two-sided {names.get(cmp['test'], cmp['test'])}; {MARK} / {MARK_DOWN} mark a significant gain / "
            f"loss (p < {cmp['alpha']}). {cmp['tests']} tests, no correction for multiple comparisons.")


def _mark(cmp: Mapping[str, Any] | None, system: str, metric: str) -> str:
    if not cmp:
        return ""
    for r in cmp["rows"]:
        if r["system"] == system and r["metric"] == metric and r["significant"]:
            return " " + (MARK if r["delta"] > 0 else MARK_DOWN)
    return ""


def _comparison_table(cmp: Mapping[str, Any]) -> Table:
    rows = [[r["system"], r["metric"], f"{r['baseline_mean']:.4f}", f"{r['mean']:.4f}", f"{r['delta']:+.4f}",
             _fmt_p(r["p_value"]), "yes" if r["significant"] else "no"] for r in cmp["rows"]]
    return Table(f"Paired tests against {cmp['baseline']}",
                 ["system", "metric", "baseline", "system mean", "Δ", "p", f"p < {cmp['alpha']}"],
                 rows, _significance_text(cmp))


def _fmt_p(p: float) -> str:
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


# -- plotting -------------------------------------------------------------------------------------


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

_CHUNK_METRICS = (("recall", "Recall"), ("precision", "Precision"), ("iou", "IoU"), ("omega", "Precision-Ω"))


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
    for ax, (key, label) in zip(axes, _CHUNK_METRICS):
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


def chunk_per_query(result: Mapping[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """``{label: {metric: {query id: value}}}`` from an evaluation result, for :func:`compare`."""
    qids = result["query_ids"]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for r in result["results"]:
        out[r["label"]] = {m: dict(zip(qids, r["scores"][f"{m}_scores"])) for m in ("iou", "recall", "precision", "omega")}
    return out


def chunking_table(result: Mapping[str, Any], cmp: Mapping[str, Any] | None = None) -> Table:
    rows = []
    for r in result["results"]:
        s = r["stats"]
        rows.append([r["label"], r["chunker"], str(r["size"]), str(r["overlap"]), f"{r['chunks']:,}",
                     f"{r['mean_chunk_words']:.1f}"]
                    + [f"{s[f'{m}_mean']:.3f} ± {s[f'{m}_std']:.3f}" + _mark(cmp, r["label"], m)
                       for m, _ in _CHUNK_METRICS])
    unit = "words" if result.get("unit", "word") == "word" else "characters"
    note = (f"Token-level metrics over {result['questions']} questions, top {result['k']} chunks from "
            f"{result['retriever']} retrieval over the whole corpus ({result['documents']:,} documents); tokens are "
            f"{unit}. Mean ± population std. Definitions: docs/evaluation.md.")
    return Table("Chunking configurations", ["config", "chunker", "size", "overlap", "chunks", "mean words",
                                             "recall", "precision", "IoU", "Precision-Ω"], rows, note)


def chunking_report(result: Mapping[str, Any], cmp: Mapping[str, Any] | None = None, command: str = "") -> Report:
    """A report of :func:`sleuth.evaluate.chunking.evaluate_chunkers` output (and an optional comparison)."""
    rep = Report(f"Chunking evaluation: {Path(str(result.get('data') or 'data')).name}", command=command)
    rep.paragraphs.append(
        f"{result['questions']} questions with reference excerpts; for each configuration the corpus is chunked, "
        f"the top {result['k']} chunks are retrieved ({result['retriever']}"
        + (f", {result['encoder']}" if result.get("encoder") else "")
        + "), and the retrieved text is compared with the excerpts token by token: recall, precision and IoU of "
          "the retrieved tokens, and Precision-Ω, the precision a retriever would reach by returning every chunk "
          "that holds excerpt tokens (the best this chunking allows).")
    table = chunking_table(result, cmp)
    if cmp:
        table.note += f" {MARK} / {MARK_DOWN}: significantly better / worse than {cmp['baseline']} (paired tests below)."
    rep.tables.append(table)
    if cmp:
        rep.tables.append(_comparison_table(cmp))
    rep.figures += [
        Figure("metric_vs_size", "Metrics against chunk size", plot_metric_vs_size(result),
               "Each panel is one metric; one line per chunker (and overlap)."),
        Figure("recall_precision", "Recall-precision curves", plot_recall_precision(result),
               "Token-level precision against recall as more chunks are retrieved (k = " +
               ", ".join(str(k) for k in result["ks"]) + ")."),
        Figure("distributions", "Per-question distributions", plot_chunk_distributions(result),
               "Box: quartiles; whiskers: 1.5 IQR; triangle: mean."),
    ]
    rep.data = {"kind": "chunking", "result": dict(result), "comparison": dict(cmp) if cmp else None}
    return rep


# -- retrieval ------------------------------------------------------------------------------------

QUALITY = ("ndcg@10", "recall@100", "mrr@10", "map")
CURVE_KS = (1, 2, 3, 5, 10, 20, 50, 100)
_SPEED = (("build_s", "build s"), ("qps", "queries/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"),
          ("index_bytes", "index bytes"), ("peak_rss_mb", "peak RSS MB"))


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


def retrieval_report(
    results: Sequence[Mapping[str, Any]],
    per_query: Mapping[str, Mapping[str, Mapping[str, float]]],
    curves: Mapping[str, Mapping[str, Mapping[str, float]]],
    cmp: Mapping[str, Any] | None = None,
    command: str = "",
) -> Report:
    """A report of ``sleuth eval`` runs. ``results`` carry a ``label`` each (pipeline name, unique);
    ``per_query`` is ``{label: {metric: {qid: value}}}``; ``curves`` ``{label: {k: {"precision", "recall"}}}``."""
    r0 = results[0]
    rep = Report(f"Retrieval evaluation: {Path(str(r0['data'])).name}", command=command)
    rep.paragraphs.append(
        f"{r0['queries']} judged queries ({r0['split']} split) over {r0['documents']:,} documents. Quality by "
        "trec_eval's definitions (pytrec_eval); speed is one query at a time after a warm-up.")
    labels = [r["label"] for r in results]
    rows = [[m] + [f"{r[m]:.4f}" + _mark(cmp, r["label"], m) for r in results] for m in QUALITY]
    rows += [[name] + [f"{r[key]:,}" if isinstance(r[key], int) else str(r[key]) for r in results]
             for key, name in _SPEED]
    rep.tables.append(Table("Quality and speed", ["measure", *labels], rows,
                            f"{MARK} / {MARK_DOWN}: significantly better / worse than {cmp['baseline']} "
                            "(paired tests below)." if cmp else ""))
    if cmp:
        rep.tables.append(_comparison_table(cmp))
    rep.figures += [
        Figure("quality", "Mean quality per pipeline", plot_retrieval_bars(results, QUALITY)),
        Figure("recall_precision", "Recall-precision curves", plot_retrieval_curves(curves),
               "Mean precision@k against mean recall@k for k = " + ", ".join(sorted(next(iter(curves.values())), key=int))
               + "." if curves else ""),
        Figure("distributions", "Per-query distributions", plot_retrieval_distributions(per_query, QUALITY),
               "Box: quartiles; whiskers: 1.5 IQR; triangle: mean."),
    ]
    rep.data = {"kind": "retrieval", "results": [dict(r) for r in results], "per_query": per_query,
                "curves": curves, "comparison": dict(cmp) if cmp else None}
    return rep
