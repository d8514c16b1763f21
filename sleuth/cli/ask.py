"""``sleuth ask``: an answer whose every sentence cites the passage it rests on."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click
from rich.text import Text

from sleuth.cli.common import (
    backend_options,
    collection_option,
    err,
    friendly_errors,
    json_option,
    out,
    print_json,
    target,
    where_option,
)
from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.text.cite import locator
from sleuth.types import AnswerSentence


def marked(text: str, style: str = "") -> Text:
    """An answer's text with its ``**answer spans**`` in bold on a terminal (in a pipe the asterisks
    stay, as search marks its matches)."""
    parts = text.split("**")
    if len(parts) % 2 == 0 or not out.is_terminal:  # unpaired, or no styles: show the text as it is
        return Text(text, style=style)
    return Text.assemble(*((p, f"{style} bold".strip()) if i % 2 else (p, style) for i, p in enumerate(parts)))


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
@click.option("--bibtex", is_flag=True, help="Append the cited papers as BibTeX entries (with --json: a \"bibtex\" field).")
@where_option
@collection_option
@backend_options()
@json_option
@friendly_errors
def ask(question: str, generator: str | None, model: str | None, k: int, rewrite: bool, filter_: bool, memory: bool,
        min_relevance: float | None, bibtex: bool, where: tuple[str, ...], collection: Path | None,
        as_json: bool) -> None:
    """Answer QUESTION from the collection, citing the exact passages.

    Without --generator the answer is extractive: the passages' own best sentences, so every
    citation is an exact span. With a generator, sleuth checks every [n] the model writes: markers
    pointing at no passage are removed, and sentences their passages do not support are flagged.
    When the collection does not hold the answer, sleuth says so instead of guessing.
    """
    from sleuth.rag.generators import get_generator

    gen = get_generator(generator, model=model)
    with target(collection).open(readonly=True) as col:
        # A filtered question must not be answered from memory made without the filter.
        asker = Asker(col, gen, AskOptions(k=k, rewrite=rewrite, filter=filter_, memory=memory and not where,
                                           min_relevance=min_relevance, where=where))
        streaming = gen is not None and not as_json and sys.stdout.isatty()
        answer = asker.ask(question, on_token=(lambda s: out.print(s, end="")) if streaming else None)
        asker.close()
        entries = cited_bibtex(col, answer) if bibtex else ""
    if as_json:
        d = asdict(answer)
        if bibtex:
            d["bibtex"] = entries
        print_json(d)
        return
    if streaming:
        out.print()
        out.print(Text("checked:", style="dim"))
    out.print(marked(answer.text, "yellow" if answer.abstained else ""), soft_wrap=True)
    if answer.abstention is not None:
        why = answer.abstention
        out.print(Text(f"  {why.message}", style="dim"))
        if why.closest is not None:
            c = why.closest
            place = " · ".join(p for p in (c.title or c.doc_id, locator(c.authors, c.year, c.section, c.page)) if p)
            out.print(Text(f"  closest: {place}: “{' '.join(c.quote.split())}”", style="dim"),
                      soft_wrap=True)
    flagged = [s for s in answer.sentences if not s.supported]
    for s in flagged:
        out.print(Text(f"  ⚠ not supported by its citations ({s.support:.0%} of its terms found): {s.text}", style="red"))
    if answer.rejected_citations:
        out.print(Text(f"  ⚠ removed citations to passages that were not given: {sorted(set(answer.rejected_citations))}", style="red"))
    if answer.form != "table":
        # An extractive answer's sentences are its citations' quotes (one each), with the answer span marked.
        spans = answer.sentences if len(answer.sentences) == len(answer.citations) and gen is None else ()
        for i, c in enumerate(answer.citations):
            out.print(Text.assemble((f"[{c.n}] ", "bold"), (c.title or c.doc_id, "cyan"),
                                    (f"  {c.doc_id} chars {c.start}-{c.end}", "dim")))
            if where_line := locator(c.authors, c.year, c.section, c.page):
                out.print(Text("    " + where_line, style="green"))
            out.print(quoted(spans[i]) if spans else Text(f"    “{' '.join(c.quote.split())}”"), soft_wrap=True)
    if bibtex and entries:
        out.print()
        out.print(entries, markup=False, highlight=False)
    source = "memory" if answer.from_memory else answer.reader
    err.print(Text(f"{source}; " + ", ".join(f"{k} {v:.0f} ms" for k, v in answer.timings_ms.items()), style="dim"))


def cited_bibtex(col: object, answer: object) -> str:
    """BibTeX entries of the documents an answer cites, in citation order."""
    from sleuth.ingest.bibtex import to_bibtex

    ids = list(dict.fromkeys(c.doc_id for c in answer.citations))  # type: ignore[attr-defined]
    docs = [d for d in (col.store.get_document(i) for i in ids) if d is not None]  # type: ignore[attr-defined]
    return to_bibtex(docs) if docs else ""
