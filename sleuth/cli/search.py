"""``sleuth search``: ranked documents with highlighted snippets."""

from __future__ import annotations

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
from sleuth.retrieve import PIPELINES
from sleuth.text.cite import locator
from sleuth.types import Hit


@click.command()
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 1000), default=10, show_default=True, help="How many documents to show.")
@click.option("--mode", type=click.Choice(PIPELINES.names()), default=None,
              help="Retrieval pipeline. Default: hybrid when the collection has dense vectors, else bm25.")
@where_option
@collection_option
@backend_options()
@json_option
@friendly_errors
def search(query: str, k: int, mode: str | None, where: tuple[str, ...], collection: Path | None, as_json: bool) -> None:
    """Search the collection for QUERY and print the best documents.

    \b
    sleuth search "dense retrieval" --where "year>=2020" --where "author:Karpukhin"
    """
    with target(collection).open(readonly=True) as col:
        mode = mode or col.default_mode
        hits = col.search(query, k, mode=mode, where=where)
        left = col.unembedded() if mode != "bm25" else 0
    if left:
        err.print(Text(f"{left:,} passages are not embedded yet: run `sleuth index` to finish", style="yellow"),
                  "(they were searched by their words only).")
    if as_json:
        print_json({"query": query, "mode": mode, "hits": [h.to_json() for h in hits]})
        return
    if not hits:
        out.print("No document matches. Try other or fewer words.")
    for h in hits:
        out.print(Text.assemble((f"{h.rank + 1:>2}. ", "bold"), (h.title or h.doc_id, "bold cyan"),
                                (f"  [{h.doc_id}]  score {h.score:.3f}", "dim")))
        if where_line := locator(h.authors, h.year, h.section, h.page):
            out.print(Text("    " + where_line, style="green"))
        out.print(_highlighted(h), soft_wrap=True)
        out.print()


def _highlighted(h: Hit) -> Text:
    if not out.is_terminal:  # no colours in a pipe or a log: mark matches with ** instead
        s, pos = h.snippet, 0
        parts = []
        for a, b in h.highlights:
            parts += [s[pos:a], "**", s[a:b], "**"]
            pos = b
        return Text("    " + "".join(parts) + s[pos:])
    t = Text("    " + h.snippet)
    for a, b in h.highlights:
        t.stylize("bold yellow", a + 4, b + 4)
    return t

