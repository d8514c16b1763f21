"""Evaluation reports: Markdown, a self-contained HTML page and JSON.

``write_report(report, DIR)`` writes::

    DIR/report.md         tables and the figures (linked as figures/*.png)
    DIR/report.html       the same, one file: CSS inline, figures embedded as data:image/png;base64 URIs
    DIR/report.json       every number behind the tables and plots (and the command that made them)
    DIR/figures/*.png     the plots

Two builders make a :class:`Report` from results: :func:`chunking_report` (``sleuth eval chunking``:
metric vs chunk size, recall-precision curves over k, per-question distributions) and
:func:`retrieval_report` (``sleuth eval``: quality and speed per pipeline, recall-precision curves
over the cutoff, per-query distributions, and with ``--compare`` the paired significance tests).

The plots are drawn by :mod:`sleuth.evaluate.plots`; the significance comparison and its marks come
from :mod:`sleuth.evaluate.comparison`.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import InputError
from sleuth.evaluate.comparison import MARK, MARK_DOWN, format_p, mark, significance_text
from sleuth.evaluate.plots import (
    CHUNK_METRICS,
    plot_chunk_distributions,
    plot_metric_vs_size,
    plot_recall_precision,
    plot_retrieval_bars,
    plot_retrieval_curves,
    plot_retrieval_distributions,
)


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


# -- tables -------------------------------------------------------------------------------------


def comparison_table(cmp: Mapping[str, Any]) -> Table:
    """One row per paired test of :func:`sleuth.evaluate.comparison.compare`'s result."""
    rows = [[r["system"], r["metric"], f"{r['baseline_mean']:.4f}", f"{r['mean']:.4f}", f"{r['delta']:+.4f}",
             format_p(r["p_value"]), "yes" if r["significant"] else "no"] for r in cmp["rows"]]
    return Table(f"Paired tests against {cmp['baseline']}",
                 ["system", "metric", "baseline", "system mean", "Δ", "p", f"p < {cmp['alpha']}"],
                 rows, significance_text(cmp))


# -- chunking -------------------------------------------------------------------------------------


def chunking_table(result: Mapping[str, Any], cmp: Mapping[str, Any] | None = None) -> Table:
    rows = []
    for r in result["results"]:
        s = r["stats"]
        rows.append([r["label"], r["chunker"], str(r["size"]), str(r["overlap"]), f"{r['chunks']:,}",
                     f"{r['mean_chunk_words']:.1f}"]
                    + [f"{s[f'{m}_mean']:.3f} ± {s[f'{m}_std']:.3f}" + mark(cmp, r["label"], m)
                       for m, _ in CHUNK_METRICS])
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
        rep.tables.append(comparison_table(cmp))
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
    rows = [[m] + [f"{r[m]:.4f}" + mark(cmp, r["label"], m) for r in results] for m in QUALITY]
    rows += [[name] + [f"{r[key]:,}" if isinstance(r[key], int) else str(r[key]) for r in results]
             for key, name in _SPEED]
    rep.tables.append(Table("Quality and speed", ["measure", *labels], rows,
                            f"{MARK} / {MARK_DOWN}: significantly better / worse than {cmp['baseline']} "
                            "(paired tests below)." if cmp else ""))
    if cmp:
        rep.tables.append(comparison_table(cmp))
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
