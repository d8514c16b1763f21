"""``sleuth eval``: retrieval quality and speed on a BEIR-layout directory."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from sleuth.cli.common import err, friendly_errors, json_option, out, print_json
from sleuth.evaluate.experiment import run_beir
from sleuth.config import Settings
from sleuth.retrieve import PIPELINES, get_pipeline

_LABELS = [
    ("ndcg@10", "nDCG@10"), ("recall@100", "Recall@100"), ("mrr@10", "MRR@10"), ("map", "MAP"),
    ("build_s", "build s"), ("qps", "queries/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"),
    ("index_bytes", "index bytes"), ("peak_rss_mb", "peak RSS MB"),
]


@click.command("eval")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--pipeline", "pipelines", multiple=True, type=click.Choice(PIPELINES.names()), default=["bm25"],
              show_default=True, help="Pipeline to evaluate; repeat to compare several.")
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv to score against.")
@click.option("--depth", type=click.IntRange(1, 10_000), default=100, show_default=True, help="Documents retrieved per query.")
@click.option("--collection", "-c", type=click.Path(path_type=Path), default=None,
              help="Keep the index in this directory (re-used on the next run). Default: a temporary one, shared by the pipelines of this run.")
@click.option("--run-file", type=click.Path(path_type=Path), default=None,
              help="Also write the ranking as a TREC run file (with several pipelines: one file per pipeline, suffixed).")
@json_option
@friendly_errors
def eval_(data_dir: Path, pipelines: tuple[str, ...], split: str, depth: int, collection: Path | None,
          run_file: Path | None, as_json: bool) -> None:
    """Evaluate retrieval on DATA_DIR (BEIR layout: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv).

    Prints nDCG@10, Recall@100, MRR@10 and MAP (trec_eval's definitions, via pytrec_eval), index
    build time, single-query throughput and p50/p95 latency, index size and peak memory.
    """
    results = []
    tmp = tempfile.TemporaryDirectory(prefix="sleuth-eval-") if collection is None else None
    settings = None
    if tmp is not None:  # one index for all pipelines of this run, embedded only if one needs it
        collection = Path(tmp.name) / "collection"
        if not any(get_pipeline(p).dense for p in pipelines):
            settings = Settings(encoder="none")
    for name in pipelines:
        rf = run_file
        if run_file is not None and len(pipelines) > 1:
            rf = run_file.with_name(f"{run_file.stem}.{name}{run_file.suffix}")
        with Progress(TextColumn(f"{name}: {{task.description}}"), BarColumn(), MofNCompleteColumn(),
                      console=err, transient=True, disable=as_json) as bar:
            task = bar.add_task("queries")
            results.append(run_beir(data_dir, name, split=split, depth=depth, collection_dir=collection,
                                    settings=settings, run_file=rf, on_progress=lambda _s, i, n: bar.update(task, completed=i, total=n)))
    if tmp is not None:
        tmp.cleanup()
    if as_json:
        print_json(results[0] if len(results) == 1 else {"results": results})
        return
    r0 = results[0]
    out.print(f"{data_dir} ({r0['split']}: {r0['queries']} queries, {r0['documents']:,} documents)")
    table = Table()
    table.add_column("measure")
    for r in results:
        table.add_column(r["pipeline"], justify="right")
    for key, label in _LABELS:
        table.add_row(label, *(f"{r[key]:,}" if isinstance(r[key], int) else str(r[key]) for r in results))
    out.print(table)
