"""``sleuth ask``: an answer whose every sentence cites the passage it rests on."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click
from rich.text import Text

from sleuth.cli.common import backend_options, collection_option, err, friendly_errors, json_option, out, print_json, target
from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.types import AnswerSentence, Citation


def where(c: Citation) -> str:
    """``Title · §Section · p. 6`` for a citation (the parts that are known)."""
    parts = [c.title or c.doc_id] + ([f"§{c.section}"] if c.section else []) + ([f"p. {c.page}"] if c.page else [])
    return " · ".join(parts)


def quoted(s: AnswerSentence) -> Text:
    """The quoted sentence on one line, its answer span in bold."""
    text = s.text
    if s.span is None:
        return Text(f"    “{' '.join(text.split())}”")
    a, b = s.span
    return Text.assemble("    “", " ".join(text[:a].split()) + (" " if text[a - 1 : a].isspace() else ""),
                         (" ".join(text[a:b].split()), "bold"),
                         (" " if text[b : b + 1].isspace() else "") + " ".join(text[b:].split()), "”")


@click.command()
@click.argument("question")
@click.option("--generator", "-g", envvar="SLEUTH_GENERATOR", default=None,
              help="none (extractive, the default) | smollm2 | gguf:/path/model.gguf | openai:http://127.0.0.1:8080/v1. "
                   "Also $SLEUTH_GENERATOR.")
@click.option("--model", default=None, help="Model name to request from an OpenAI-compatible server.")
@click.option("-k", "k", type=click.IntRange(1, 50), default=5, show_default=True, help="Passages given to the reader.")
@click.option("--rewrite/--no-rewrite", default=False, show_default=True, help="Also search rewritten queries (PRF, or the generator's paraphrases).")
@click.option("--filter/--no-filter", "filter_", default=True, show_default=True, help="Drop passages that do not bear on the question.")
@click.option("--memory/--no-memory", default=True, show_default=True, help="Reuse answers to earlier (paraphrased) questions.")
@click.option("--min-relevance", type=float, default=None,
              help="Decline below this relevance (cosine of the question and the best sentence found); "
                   "default: the threshold calibrated for this collection (see `sleuth stats`).")
@collection_option
@backend_options()
@json_option
@friendly_errors
def ask(question: str, generator: str | None, model: str | None, k: int, rewrite: bool, filter_: bool, memory: bool,
        min_relevance: float | None, collection: Path | None, as_json: bool) -> None:
    """Answer QUESTION from the collection, citing the exact passages.

    Without --generator the answer is extractive: the passages' own best sentences, so every
    citation is an exact span. With a generator, sleuth checks every [n] the model writes: markers
    pointing at no passage are removed, and sentences their passages do not support are flagged.
    When the collection does not hold the answer, sleuth says so instead of guessing.
    """
    from sleuth.rag.backends import get_generator

    gen = get_generator(generator, model=model)
    with target(collection).open(readonly=True) as col:
        asker = Asker(col, gen, AskOptions(k=k, rewrite=rewrite, filter=filter_, memory=memory,
                                           min_relevance=min_relevance))
        streaming = gen is not None and not as_json and sys.stdout.isatty()
        answer = asker.ask(question, on_token=(lambda s: out.print(s, end="")) if streaming else None)
        asker.close()
    if as_json:
        d = asdict(answer)
        print_json(d)
        return
    if streaming:
        out.print()
        out.print("[dim]checked:[/]")
    out.print(Text(answer.text, style="bold" if not answer.abstained else "yellow"))
    if answer.abstention is not None:
        why = answer.abstention
        out.print(Text(f"  {why.message}", style="dim"))
        if why.closest is not None:
            out.print(Text(f"  closest: {where(why.closest)}: “{' '.join(why.closest.quote.split())}”", style="dim"),
                      soft_wrap=True)
    flagged = [s for s in answer.sentences if not s.supported]
    for s in flagged:
        out.print(Text(f"  ⚠ not supported by its citations ({s.support:.0%} of its terms found): {s.text}", style="red"))
    if answer.rejected_citations:
        out.print(Text(f"  ⚠ removed citations to passages that were not given: {sorted(set(answer.rejected_citations))}", style="red"))
    if answer.form == "table":
        return
    for c, s in zip(answer.citations, answer.sentences):
        out.print(Text.assemble((f"[{c.n}] ", "bold"), (where(c), "cyan"), (f"  {c.doc_id} chars {c.start}-{c.end}", "dim")))
        out.print(quoted(s), soft_wrap=True)
    source = "memory" if answer.from_memory else answer.reader
    err.print(f"[dim]{source}; " + ", ".join(f"{k} {v:.0f} ms" for k, v in answer.timings_ms.items()) + "[/]")
