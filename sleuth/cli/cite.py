"""``sleuth cite DOC...``: export documents as BibTeX (or their metadata as JSON)."""

from __future__ import annotations

from pathlib import Path

import click

from sleuth.cli.common import backend_options, collection_option, friendly_errors, opened, print_json
from sleuth.cli.show import require
from sleuth.ingest.bibtex import cite_key, to_bibtex


@click.command()
@click.argument("doc_ids", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["bibtex", "json"]), default="bibtex", show_default=True)
@collection_option
@backend_options()
@friendly_errors
def cite(doc_ids: tuple[str, ...], fmt: str, collection: Path | None) -> None:
    """Export documents as BibTeX entries: the .bib entry they came from, or one made from their metadata."""
    with opened(collection, readonly=True, needs="documents", fix="Cite from an embedded collection of the same papers.") as col:
        docs = require(col, doc_ids)
    if fmt == "json":
        keep = ("authors", "year", "venue", "doi", "arxiv_id", "abstract")
        print_json([{"doc_id": d.doc_id, "key": cite_key(d), "title": d.title,
                     **{k: d.metadata[k] for k in keep if d.metadata.get(k)}} for d in docs])
        return
    click.echo(to_bibtex(docs), nl=False)
