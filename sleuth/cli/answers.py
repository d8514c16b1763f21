"""``sleuth eval-answers``: how good are the cited answers on a BEIR-layout or QA directory?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.text import Text

from sleuth.cli.common import err, friendly_errors, json_option, out, print_json
from sleuth.evaluate.answers import evaluate_answers
from sleuth.evaluate.qa import COLUMN_NAMES, COLUMNS, evaluate_qa, is_qa_dir
from sleuth.rag.pipeline import AskOptions


@click.command("eval-answers")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--ood", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="BEIR: a folder of another collection whose questions must be declined (abstention accuracy).")
@click.option("--docs", type=click.Path(exists=True, path_type=Path), default=None,
              help="QA format: the documents (a folder or file sleuth index reads); default: DATA_DIR's PDFs.")
@click.option("--limit", type=click.IntRange(1), default=None, help="BEIR: use only the first N judged questions.")
@click.option("--generator", "-g", default=None, help="Answer with a generator (see `sleuth ask --help`); default extractive.")
@click.option("--no-ablation", is_flag=True, help="Skip the module on/off table.")
@click.option("--memory-stream", type=click.IntRange(0), default=30, show_default=True,
              help="BEIR: questions in the memory test stream (each also repeated and paraphrased); 0 skips it.")
@click.option("--collection", "-c", type=click.Path(path_type=Path), default=None, help="Keep the index here.")
@json_option
@friendly_errors
def eval_answers(data_dir: Path, ood: Path | None, docs: Path | None, limit: int | None, generator: str | None,
                 no_ablation: bool, memory_stream: int, collection: Path | None, as_json: bool) -> None:
    """Evaluate cited answers on DATA_DIR.

    A BEIR folder (queries + qrels): cited-document recall/precision, abstention (--ood), support,
    latency, memory and the module ablation. A QA folder (qa.jsonl with answer terms and evidence
    pages, optional unanswerable.jsonl, and the documents): answer term in the answer, right paper
    cited, answerable answered, unanswerable declined, cited page = evidence page, per question kind,
    and the reader's ablation.
    """
    from sleuth.rag.generators import get_generator

    def progress(step: str) -> None:
        err.print(Text(f"{step}...", style="dim"))

    if is_qa_dir(data_dir):
        r = evaluate_qa(data_dir, docs=docs, generator=get_generator(generator), options=AskOptions(),
                        collection_dir=collection, ablation=not no_ablation, on_progress=progress)
        print_json(r) if as_json else _print_qa(r)
        return
    r = evaluate_answers(data_dir, ood_dir=ood, limit=limit, generator=get_generator(generator),
                         options=AskOptions(), collection_dir=collection, ablation=not no_ablation,
                         memory_stream=memory_stream, on_progress=progress)
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


def _cell(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def _print_qa(r: dict[str, Any]) -> None:
    out.print(f"{r['data']}: {r['answerable']} answerable and {r['unanswerable']} unanswerable questions, "
              f"{r['documents']} documents in {r['passages']} passages; abstention threshold {r['threshold']:.3f}")
    head = "| " + " | ".join(COLUMN_NAMES[c] for c in COLUMNS) + " |"
    rule = "|" + "---|" * len(COLUMNS)
    out.print(f"\n{head}\n{rule}\n| " + " | ".join(_cell(r[c]) for c in COLUMNS) + " |")
    out.print("\n| kind | " + " | ".join(COLUMN_NAMES[c] for c in ("answer_term", "right_paper", "answered", "page"))
              + " |\n|---|---|---|---|---|")
    for kind, s in r["by_kind"].items():
        out.print(f"| {kind} | " + " | ".join(_cell(s[c]) for c in ("answer_term", "right_paper", "answered", "page")) + " |")
    if "ablation" in r:
        out.print("\n| reader | " + " | ".join(COLUMN_NAMES[c] for c in COLUMNS) + " |\n|---" + "|---" * len(COLUMNS) + "|")
        for name, s in r["ablation"].items():
            out.print(f"| {name} | " + " | ".join(_cell(s[c]) for c in COLUMNS) + " |")
