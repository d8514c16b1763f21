"""``sleuth tune``: adapt retrieval to the collection, without labels, within a time budget."""

from __future__ import annotations

import re
from pathlib import Path

import click

from sleuth.cli.common import (backend_options, collection_option, friendly_errors, json_option, on_interrupt, opened, out, print_json)
from sleuth.errors import InputError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_duration(text: str) -> float:
    """'90s', '10m', '1.5h' or plain seconds -> seconds."""
    m = _DURATION.match(text)
    if not m or float(m.group(1)) <= 0:
        raise InputError(f"--budget {text!r} is not a duration.", "Write it like 10m, 90s or 1h.")
    return float(m.group(1)) * _UNIT[m.group(2)]


@click.command()
@click.option("--budget", default="10m", show_default=True,
              help="Training time allowed (e.g. 5m, 600s, 1h); mining, export and checks add ~1-3 minutes.")
@click.option("--train", "train_data", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A BEIR folder whose qrels/<split>.tsv adds judged pairs (e.g. SciFact's train split).")
@click.option("--split", "train_split", default="train", show_default=True,
              help="Which qrels file of --train to learn from; 'test' is refused.")
@click.option("--no-reranker", is_flag=True, help="Only adapt the query encoder.")
@click.option("--generator", default=None, metavar="SPEC",
              help="Also train on questions a generator writes about passages (smollm2, /path/model.gguf or "
                   "openai:http://HOST:PORT/v1); it may use 30% of the budget.")
@click.option("--questions", type=click.IntRange(1, 100_000), default=200, show_default=True,
              help="With --generator: how many questions to aim for.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for pair sampling, splits and training.")
@click.option("--min-gain", type=click.FloatRange(0, 1), default=0.005, show_default=True,
              help="nDCG@10 a model must gain on the held-out pairs to be adopted.")
@click.option("--reset", is_flag=True, help="Forget the tuned models and go back to the shipped ones.")
@click.option("--verbose", "-v", is_flag=True,
              help="Also show the training libraries' own warnings, logs and progress bars (torch, transformers, onnxruntime).")
@collection_option
@backend_options()
@json_option
@friendly_errors
def tune(budget: str, train_data: Path | None, train_split: str, no_reranker: bool, generator: str | None,
         questions: int, seed: int, min_gain: float, reset: bool, verbose: bool, collection: Path | None,
         as_json: bool) -> None:
    """Adapt search to this collection's own text, on the CPU, without labels.

    \b
    Mines training pairs from the documents (title -> body, sentence -> rest of its passage; with
    --generator also questions a language model writes about passages), trains a query encoder against the collection's passage vectors and a
    cross-encoder reranker on hard negatives from the current hybrid search, then keeps each model
    only if it ranks a held-out slice of the pairs better than the untuned search. Search, ask, eval
    and serve use what was kept.
    Needs torch:  pip install torch==2.13.0 && pip install 'sleuth[tune]'

    \b
    Examples:
      sleuth tune                                  # 10 minutes of training, default collection
      sleuth tune -c scifact --train ../shared/data/scifact --budget 5m
      sleuth tune --generator smollm2 --questions 100   # plus generated questions (make install-llm)
      sleuth tune --reset                          # back to the shipped models
    """
    with opened(collection, needs="tune", fix="Tune an embedded collection of the same documents (`sleuth index DIR`).") as col:
        if reset:
            col.set_tuned(None)
            from sleuth.tune.runner import remove_unused

            remove_unused(col)
            out.print("Tuned models removed; the collection uses the shipped ones.")
            return
        from sleuth.evaluate.synth import load_generator
        from sleuth.tune.noise import quiet_libraries
        from sleuth.tune.runner import TuneOptions
        from sleuth.tune.runner import tune as run

        options = TuneOptions(budget_s=parse_duration(budget), seed=seed, train_data=train_data,
                              train_split=train_split, reranker=not no_reranker, min_gain=min_gain,
                              generator=load_generator(generator), questions=questions)
        on_interrupt("The collection keeps the search it had: sleuth tune records what it adopts only at the "
                     "end. Run the same command again to tune from the start.")
        with quiet_libraries(not verbose):
            report = _with_progress(lambda on_event: run(col, options, on_event), quiet=as_json)
        tuned = col.tuned
    if as_json:
        print_json({"adopted": report.adopted, "report": report.to_dict(), "default_mode": _mode(tuned)})
        return
    out.print(f"pairs: {', '.join(f'{k} {v}' for k, v in report.pairs.items())}; held out: {report.held_out_pairs}")
    out.print("held-out nDCG@10: " + ", ".join(f"{k} {v:.4f}" for k, v in report.held_out_ndcg.items()))
    kept = [k for k in ("query_encoder", "reranker") if report.adopted.get(k)]
    out.print(f"adopted: {', '.join(kept) if kept else 'nothing (the untuned search did as well)'}; "
              f"search now uses {_mode(tuned)}; {report.seconds.get('total', 0):.0f} s in all")


def _mode(tuned: dict[str, object]) -> str:
    return "hybrid-rerank" if tuned.get("reranker") else "hybrid"


def _with_progress(job, quiet: bool):  # type: ignore[no-untyped-def]
    """Run ``job(on_event)`` under one progress row per stage: steps done/total, rate, time left."""
    if quiet:
        return job(None)
    from sleuth.cli.progress import add_task, progress_bar

    with progress_bar(transient=False) as bar:
        tasks: dict[str, int] = {}

        def on_event(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                for t in tasks.values():  # a new stage means the earlier ones are over
                    task = bar.tasks[t]
                    bar.update(t, completed=task.total or task.completed)
                tasks[stage] = add_task(bar, f"{len(tasks) + 1}. {stage}", total=total, unit=_UNITS.get(stage, "steps"))
            bar.update(tasks[stage], completed=done, total=total)

        return job(on_event)


_UNITS = {"writing questions": "questions", "mining negatives": "pairs", "baseline": "checks", "export": "models",
          "checking reranker": "checks"}
