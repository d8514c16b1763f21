"""``sleuth eval-answers``: how good are the cited answers on a BEIR-layout directory?"""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from sleuth.cli.common import err, friendly_errors, json_option, out, print_json
from sleuth.evaluate.answers import evaluate_answers
from sleuth.rag.pipeline import AskOptions


@click.command("eval-answers")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--ood", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A BEIR folder of another collection: its questions must be declined (abstention accuracy).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Use only the first N judged questions.")
@click.option("--generator", "-g", default=None, help="Answer with a generator (see `sleuth ask --help`); default extractive.")
@click.option("--no-ablation", is_flag=True, help="Skip the module on/off table.")
@click.option("--memory-stream", type=click.IntRange(0), default=30, show_default=True,
              help="Questions in the memory test stream (each also repeated and paraphrased); 0 skips it.")
@click.option("--collection", "-c", type=click.Path(path_type=Path), default=None, help="Keep the index here.")
@json_option
@friendly_errors
def eval_answers(data_dir: Path, ood: Path | None, limit: int | None, generator: str | None, no_ablation: bool,
                 memory_stream: int, collection: Path | None, as_json: bool) -> None:
    """Cited-document recall/precision against qrels, abstention, support, latency, memory, ablation."""
    from sleuth.rag.backends import get_generator

    r = evaluate_answers(data_dir, ood_dir=ood, limit=limit, generator=get_generator(generator),
                         options=AskOptions(), collection_dir=collection, ablation=not no_ablation,
                         memory_stream=memory_stream, on_progress=lambda s: err.print(Text(f"{s}...", style="dim")))
    if as_json:
        print_json(r)
        return
    out.print(f"{data_dir}: {r['queries']} judged questions")
    for key in ("cited_recall@3", "cited_precision", "answered", "support_rate", "abstention_accuracy"):
        if key in r:
            out.print(f"  {key:22s} {r[key]}")
    out.print("  stage ms (mean)        " + ", ".join(f"{k} {v}" for k, v in r["stage_ms"].items()))
    if "ablation" in r:
        out.print("\n| pipeline | cited recall@3 | cited precision |\n|---|---|---|")
        for name, s in r["ablation"].items():
            out.print(f"| {name} | {s['cited_recall@3']:.4f} | {s['cited_precision']:.4f} |")
    if "memory" in r:
        out.print("\nmemory: " + ", ".join(f"{k} {v}" for k, v in r["memory"].items()))
