"""``sleuth eval``: retrieval quality and speed on a BEIR-layout directory; ``sleuth eval chunking``.

``eval`` is a group whose default subcommand is ``retrieval``: ``sleuth eval DATA_DIR ...`` is
``sleuth eval retrieval DATA_DIR ...``. (A data directory literally named ``chunking`` or
``retrieval`` must be written ``./chunking``.)
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from sleuth.cli.common import (
    backend_choice,
    backend_options,
    err,
    friendly_errors,
    json_option,
    on_interrupt,
    out,
    print_json,
    target,
)
from sleuth.cli.progress import add_task, progress_bar
from sleuth.evaluate.comparison import mark, significance_text
from sleuth.evaluate.experiment import JUDGES
from sleuth.retrieve import PIPELINES

_LABELS = [
    ("ndcg@10", "nDCG@10"), ("recall@100", "Recall@100"), ("mrr@10", "MRR@10"), ("map", "MAP"),
    ("qps", "queries/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"),
    ("index_bytes", "index bytes"), ("peak_rss_mb", "peak RSS MB"),
]
_TESTS = ("randomization", "ttest", "wilcoxon")
DEFAULT = "retrieval"
# The chunking grid: each configuration embeds the whole corpus once (dense), so time grows with the
# number of configurations; semantic also embeds every sentence to cut. See docs/evaluation.md.
DEFAULT_CHUNKERS = ("fixed", "sentence", "recursive")
DEFAULT_SIZES = (100, 200)
FULL_CHUNKERS = ("fixed", "sentence", "recursive", "semantic")
FULL_SIZES = (25, 50, 100, 200)


class _EvalGroup(click.Group):
    """A group that runs its default subcommand when the first argument names no subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["sleuth.eval.argv"] = list(args)  # for the "command" line of reports
        if not args or args[0] not in self.commands:
            args = [DEFAULT, *args]
        return super().parse_args(ctx, args)


def _command_line() -> str:
    """The command as typed (``sleuth eval ...``), for reports."""
    argv = click.get_current_context().meta.get("sleuth.eval.argv", [])
    return " ".join(["sleuth", "eval", *(shlex.quote(str(a)) for a in argv)])


def _report_options(f: Any) -> Any:
    f = click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
                     show_default=True, help="Significance level of --compare.")(f)
    f = click.option("--test", "test", type=click.Choice(_TESTS), default="randomization", show_default=True,
                     help="Paired test of --compare (two-sided, over queries).")(f)
    f = click.option("--compare", is_flag=True,
                     help="Test every system against the first on the same queries and mark significant differences.")(f)
    f = click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Write report.md, a self-contained report.html (with plots) and report.json into this directory.")(f)
    return f


@click.group("eval", cls=_EvalGroup, context_settings={"help_option_names": ["-h", "--help"]})
def eval_() -> None:
    """Evaluate retrieval (default), chunking or cited answers. See `sleuth eval retrieval --help`,
    `sleuth eval chunking --help` and `sleuth eval answers --help` (also `sleuth eval-answers`)."""


@eval_.command("retrieval")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--pipeline", "pipelines", multiple=True, type=click.Choice(PIPELINES.names()), default=["bm25"],
              show_default=True, help="Pipeline to evaluate; repeat to compare several.")
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv to score against.")
@click.option("--depth", type=click.IntRange(1, 10_000), default=100, show_default=True, help="Documents retrieved per query.")
@click.option("--collection", "-c", type=click.Path(path_type=Path), default=None,
              help="Keep the index in this directory (re-used on the next run). Default: a temporary one, shared by the pipelines of this run.")
@click.option("--run-file", type=click.Path(path_type=Path), default=None,
              help="Also write the ranking as a TREC run file (with several pipelines: one file per pipeline, suffixed).")
@click.option("--judge", type=click.Choice(JUDGES), default="auto", show_default=True,
              help="document: score the qrels; passage: a hit counts only if the passage it shows holds the "
                   "question's reference excerpt (sets made by `sleuth synth`); auto: passage when the set has excerpts.")
@_report_options
@backend_options(creating=True)
@click.option("--no-progress", is_flag=True, help="Do not draw a progress bar.")
@json_option
@friendly_errors
def retrieval(data_dir: Path, pipelines: tuple[str, ...], split: str, depth: int, collection: Path | None,
              run_file: Path | None, judge: str, report_dir: Path | None, compare: bool, test: str, alpha: float,
              no_progress: bool, as_json: bool) -> None:
    """Evaluate retrieval on DATA_DIR (BEIR layout: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv).

    Prints nDCG@10, Recall@100, MRR@10 and MAP (trec_eval's definitions, via pytrec_eval), the
    index build time (once: the pipelines share one index), single-query throughput and p50/p95
    latency, index size and peak memory. On a set made by `sleuth synth`, hits are judged by passage
    (see --judge); on document judgments, a collection too small for them to mean much is flagged.

    \b
    `sleuth eval DATA_DIR` is short for `sleuth eval retrieval DATA_DIR`. Also:
      sleuth eval DATA --pipeline bm25 --pipeline hybrid --compare --report out/
      sleuth eval chunking SYNTH_DIR --report out/   (token-level chunking metrics; see its --help)
      sleuth eval answers DATA_DIR                   (cited answers; also `sleuth eval-answers`)
    """
    from sleuth.evaluate.retrieval_run import evaluate_retrieval

    remote = None
    if backend_choice().get("backend", "embedded") != "embedded":
        def remote(where: Path | None, name: str) -> Any:
            return target(where, milvus_collection=name)
    with progress_bar(disable=as_json or no_progress) as bar:
        tasks: dict[str, int] = {}

        def progress(what: str, done: int, total: int) -> None:
            if what not in tasks:
                unit = "documents" if what.startswith("building") else "queries"
                tasks[what] = add_task(bar, what, total=total or None, unit=unit)
            bar.update(tasks[what], completed=done, total=total or None)

        ev = evaluate_retrieval(data_dir, pipelines, split=split, depth=depth, collection=collection,
                                run_file=run_file, judge=judge, details=report_dir is not None,
                                compare_systems=compare, test=test, alpha=alpha, remote=remote,
                                remote_name=backend_choice().get("milvus_collection"), on_progress=progress,
                                on_interrupt=on_interrupt)
    if report_dir is not None:
        from sleuth.evaluate.report import retrieval_report, write_report

        assert ev.per_query is not None and ev.curves is not None
        write_report(retrieval_report(ev.labelled_results(), ev.per_query, ev.curves, ev.comparison,
                                      _command_line()), report_dir)
    results, cmp = ev.results, ev.comparison
    if as_json:
        if cmp is not None:
            print_json({"results": results, "comparison": cmp, **ev.extra()})
        else:
            print_json({**results[0], **ev.extra()} if len(results) == 1 else {"results": results, **ev.extra()})
        return
    for w in ev.warnings:
        err.print(Text.assemble(("warning: ", "yellow"), w))
    r0, b = results[0], ev.build
    out.print(f"{data_dir} ({r0['split']}: {r0['queries']} queries, {r0['documents']:,} documents)")
    rate = f", {b['docs_per_s']:,} documents/s" if b["docs_per_s"] else ""
    out.print(f"index: {b['documents']:,} documents in {b['chunks']:,} passages, built in {b['build_s']} s{rate}; "
              + (f"shared by the {len(results)} pipelines" if len(results) > 1 else "then the queries"))
    if ev.judged == "passage":
        out.print("judged by passage: a hit counts only when the passage it shows holds the question's "
                  "reference excerpt (--judge document scores documents)")
    table = Table()
    table.add_column("measure")
    for label in ev.labels:
        table.add_column(label, justify="right")
    for key, text in _LABELS:
        cells = []
        for r, label in zip(results, ev.labels):
            cell = f"{r[key]:,}" if isinstance(r[key], int) else str(r[key])
            cells.append(cell + mark(cmp, label, key))
        table.add_row(text, *cells)
    out.print(table)
    if cmp is not None:
        out.print(significance_text(cmp))
    if report_dir is not None:
        err.print(f"Report written to {report_dir / 'report.html'} (and report.md, report.json).")


# -- chunking -------------------------------------------------------------------------------------


@eval_.command("chunking")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--chunker", "chunkers", multiple=True, default=DEFAULT_CHUNKERS,
              show_default=True, help="Chunker to evaluate (fixed, sentence, recursive, semantic); repeat for several.")
@click.option("--size", "sizes", multiple=True, type=click.IntRange(1), default=DEFAULT_SIZES, show_default=True,
              help="Chunk size in words; repeat for several.")
@click.option("--full-grid", is_flag=True,
              help="All four chunkers x 25/50/100/200 words: 16 configurations instead of 6, with semantic (which "
                   "embeds every sentence once more to cut); time grows with the number of configurations.")
@click.option("--overlap", "overlaps", multiple=True, type=click.FloatRange(0, 1, max_open=True), default=[0.0],
              show_default=True, help="Overlap as a fraction of the size (0.5: half); repeat for several.")
@click.option("--config", "extra", multiple=True, metavar="NAME:SIZE[:OVERLAP]",
              help="Add one exact configuration, e.g. fixed:100:50 (overlap in words). With --config only, "
                   "the --chunker x --size grid is skipped unless those options are given too.")
@click.option("-k", "k", type=click.IntRange(1, 1000), default=5, show_default=True, help="Chunks retrieved per question.")
@click.option("--retriever", type=click.Choice(["dense", "bm25"]), default="dense", show_default=True,
              help="dense: cosine of all-MiniLM-L6-v2 vectors (as Chroma's study); bm25: Lucene BM25.")
@click.option("--unit", type=click.Choice(["word", "char"]), default="word", show_default=True,
              help="Token unit of the metrics: whitespace-separated words, or characters (Chroma's code).")
@_report_options
@click.option("--no-progress", is_flag=True, help="Do not draw a progress bar.")
@json_option
@friendly_errors
def chunking(data_dir: Path, chunkers: tuple[str, ...], sizes: tuple[int, ...], overlaps: tuple[float, ...],
             full_grid: bool, extra: tuple[str, ...], k: int, retriever: str, unit: str, report_dir: Path | None,
             compare: bool, test: str, alpha: float, no_progress: bool, as_json: bool) -> None:
    """Token-level chunking evaluation on DATA_DIR, an evaluation set made by `sleuth synth`.

    For every chunker x size x overlap (and each --config), the corpus is chunked, the top -k chunks of
    every question are retrieved from the whole corpus, and the retrieved text is compared with the
    question's reference excerpts: recall, precision, IoU and Precision-Ω (the precision of retrieving
    every chunk that holds excerpt tokens), as in Chroma's chunking study. Definitions and formulas:
    docs/evaluation.md. --json prints Chroma's keys (iou_mean, recall_mean, precision_mean, omega_mean
    and their _std) per configuration.
    """
    from sleuth.evaluate.chunking import ChunkConfig, evaluate_chunkers, load_eval_set

    ctx = click.get_current_context()
    grid_given = full_grid or any(ctx.get_parameter_source(p) == click.core.ParameterSource.COMMANDLINE
                                  for p in ("chunkers", "sizes", "overlaps"))
    if full_grid:
        chunkers = tuple(dict.fromkeys([*FULL_CHUNKERS, *(c for c in chunkers if c not in DEFAULT_CHUNKERS)]))
        sizes = tuple(dict.fromkeys([*FULL_SIZES, *sizes]))
    configs: list[ChunkConfig] = []
    if grid_given or not extra:
        for name in chunkers:
            for ratio in overlaps:
                for size in sorted(sizes):
                    configs.append(ChunkConfig(name, size, int(size * ratio)))
    configs += [ChunkConfig.parse(spec) for spec in extra]
    configs = list(dict.fromkeys(configs))
    data = load_eval_set(data_dir)
    on_interrupt("Nothing was written. Run the same command again (a smaller grid runs faster: see --help).")
    with progress_bar(disable=as_json or no_progress) as bar:
        tasks: dict[str, int] = {}

        def progress(what: str, i: int, n: int) -> None:
            phase, _, current = what.partition(" (")
            if phase not in tasks:
                unit = "configurations" if phase == "chunking" else "passages"
                label = "chunking" if phase == "chunking" else ("embedding and scoring" if retriever == "dense" else "scoring")
                tasks[phase] = add_task(bar, label, total=n, unit=unit)
            bar.update(tasks[phase], completed=i, total=n, current=current.rstrip(")"))

        result = evaluate_chunkers(data, configs, retriever=retriever, k=k, unit=unit, on_progress=progress)
    cmp = None
    if compare:
        from sleuth.evaluate.comparison import chunk_per_query
        from sleuth.evaluate.comparison import compare as compare_systems

        cmp = compare_systems(chunk_per_query(result), ("recall", "precision", "iou", "omega"), method=test,
                              alpha=alpha)
    if report_dir is not None:
        from sleuth.evaluate.report import chunking_report, write_report

        write_report(chunking_report(result, cmp, _command_line()), report_dir)
    if as_json:
        slim = {key: v for key, v in result.items() if key != "query_ids"}
        slim["results"] = [{key: v for key, v in r.items() if key != "scores"} | r["stats"] for r in result["results"]]
        if cmp is not None:
            slim["comparison"] = cmp
        print_json(slim)
        return
    from sleuth.evaluate.report import chunking_table

    table = Table(title=f"{data_dir}: top {k} chunks ({retriever}), {result['questions']} questions",
                  title_justify="left")
    for i, c in enumerate(("config", "chunks", "words", "recall", "precision", "IoU", "Prec-Ω")):
        table.add_column(c, justify="left" if i == 0 else "right")
    for r in result["results"]:
        s = r["stats"]
        table.add_row(r["label"], f"{r['chunks']:,}", f"{r['mean_chunk_words']:.0f}",
                      *(f"{s[f'{m}_mean']:.3f}" + mark(cmp, r["label"], m) for m in ("recall", "precision", "iou", "omega")))
    out.print(table)
    out.print(chunking_table(result, cmp).note + " Std, plots: --report DIR.")
    if cmp is not None:
        out.print(significance_text(cmp))
    if report_dir is not None:
        err.print(f"Report written to {report_dir / 'report.html'} (and report.md, report.json).")


def _add_answers() -> None:
    from sleuth.cli.answers import eval_answers  # also `sleuth eval-answers`, its older name

    eval_.add_command(eval_answers, "answers")


_add_answers()
