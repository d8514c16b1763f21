"""``sleuth synth``: make an evaluation set (questions + reference excerpts) from your own documents."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sleuth.cli.common import (backend_options, collection_option, err, friendly_errors, json_option, on_interrupt, opened, out, print_json)
from sleuth.types import Document


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write corpus.jsonl, queries.jsonl, qrels/test.tsv, spans.jsonl and synth.json into.")
@collection_option
@backend_options()
@click.option("--questions", "-n", "n_questions", type=click.IntRange(1, 100_000), default=100, show_default=True,
              help="How many questions to keep.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same set.")
@click.option("--generator", default=None, metavar="SPEC",
              help="Write natural questions with a generator: smollm2, /path/model.gguf, or openai:http://HOST:PORT/v1. "
                   "Default: the documented keyword heuristic.")
@click.option("--multi-ratio", type=click.FloatRange(0, 1), default=0.25, show_default=True,
              help="Heuristic: share of questions that need two separate excerpts of one document.")
@click.option("--max-tries", type=click.IntRange(1), default=None,
              help="Generator: stop after this many replies [3 x --questions].")
@click.option("--no-progress", is_flag=True, help="Do not draw a progress bar.")
@json_option
@friendly_errors
def synth(paths: tuple[Path, ...], out_dir: Path, collection: Path | None, n_questions: int, seed: int,
          generator: str | None, multi_ratio: float, max_tries: int | None, no_progress: bool, as_json: bool) -> None:
    """Generate questions with exact reference excerpts from PATHS, or from a collection.

    With PATHS (files or folders, any format `sleuth index` reads) the documents are read from them;
    without, from the collection (--collection, or the default one). Each question comes with one or
    more excerpts: exact character spans of the documents (spans.jsonl), and the files are a BEIR
    dataset, so both `sleuth eval OUT` and `sleuth eval chunking OUT` can use them.

    Without --generator a salient sentence (rare words, IDF over the corpus) becomes a keyword query;
    with one, the model writes a question and answer about a passage, and replies whose answer is not
    in the passage, or that repeat an earlier question, are dropped. How: docs/evaluation.md.
    """
    from sleuth.evaluate.synth import load_generator, synthesize, write_eval_set

    if paths:
        from sleuth.ingest import read_paths

        docs = [d for d in read_paths(list(paths)) if isinstance(d, Document)]
    else:
        fix = "Make the questions from an embedded collection of the same documents."
        with opened(collection, readonly=True, needs="documents", fix=fix) as col:
            docs = list(col.store.iter_documents())
    gen = load_generator(generator)
    on_interrupt(f"Nothing was written to {out_dir} (the set is written at the end). Run the same command again.")
    with Progress(TextColumn("synth: questions kept"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=no_progress or as_json) as bar:
        task = bar.add_task("questions", total=n_questions)
        result = synthesize(docs, n_questions, seed=seed, generator=gen, generator_name=generator,
                            multi_ratio=multi_ratio, max_tries=max_tries,
                            on_progress=lambda kept, total: bar.update(task, completed=kept))
    paths_written = write_eval_set(out_dir, docs, result)
    manifest = result.manifest(len(docs))
    if as_json:
        print_json({**manifest, "out": str(out_dir), "paths": {k: str(v) for k, v in paths_written.items()}})
        return
    dropped = ", ".join(f"{n} {r}" for r, n in manifest["dropped"].items() if n) or "none"
    out.print(f"{manifest['questions']} questions ({manifest['multi_excerpt_questions']} with two excerpts) from "
              f"{len(docs):,} documents, {manifest['method']}, seed {seed}; dropped: {dropped}.")
    out.print(f"Written to {out_dir}. Next: sleuth eval chunking {out_dir} --report {out_dir / 'report'}")
    if manifest["questions"] < n_questions:
        err.print(f"Only {manifest['questions']} of the {n_questions} questions asked for passed the filters.")
