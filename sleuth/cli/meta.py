"""``sleuth meta DOC --title ... --year ...``: correct a document's metadata by hand; corrections win."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sleuth.cli.common import backend_options, collection_option, friendly_errors, json_option, opened, out, print_json
from sleuth.cli.show import require
from sleuth.errors import InputError
from sleuth.docstore.papers import uncorrected


@click.command()
@click.argument("doc_id")
@click.option("--title", default=None)
@click.option("--author", "authors", multiple=True, help="An author's full name; repeat in order (replaces the list).")
@click.option("--year", type=click.IntRange(1000, 2999), default=None)
@click.option("--venue", default=None)
@click.option("--doi", default=None)
@click.option("--arxiv", "arxiv_id", default=None, help="arXiv id, e.g. 2004.04906v3.")
@click.option("--clear", is_flag=True, help="Drop every earlier correction of this document first.")
@collection_option
@backend_options()
@json_option
@friendly_errors
def meta(doc_id: str, title: str | None, authors: tuple[str, ...], year: int | None, venue: str | None,
         doi: str | None, arxiv_id: str | None, clear: bool, collection: Path | None, as_json: bool) -> None:
    """Correct DOC's title, authors, year, venue, DOI or arXiv id.

    The correction is stored with the collection and applied again whenever the document is
    re-indexed, so it wins over what was extracted. The document is re-indexed at once (its title is
    searched and shown with every hit).
    """
    given: dict[str, Any] = {k: v for k, v in (("title", title), ("year", year), ("venue", venue), ("doi", doi),
                                                ("arxiv_id", arxiv_id)) if v is not None}
    if authors:
        given["authors"] = list(authors)
    if not given and not clear:
        raise InputError("Nothing to correct.", "Pass --title, --author, --year, --venue, --doi or --arxiv.")
    if given.get("title") is not None and not str(given["title"]).strip():
        raise InputError("The title cannot be empty.", "Pass the paper's title, e.g. --title \"Dense Passage Retrieval\".")
    with opened(collection, needs="documents", fix="Correct metadata in an embedded collection.") as col:
        (doc,) = require(col, (doc_id,))
        fields = {**({} if clear else col.store.correction(doc_id)), **given}
        col.store.set_correction(doc_id, fields)
        col.ingest([uncorrected(doc)])  # re-indexed with the corrections applied again (Collection.ingest)
        fixed = col.store.get_document(doc_id)
    assert fixed is not None
    view = {"doc_id": doc_id, "title": fixed.title, "corrected": fields,
            **{k: fixed.metadata.get(k) for k in ("authors", "year", "venue", "doi", "arxiv_id")}}
    if as_json:
        print_json(view)
    else:
        out.print(f"Corrected {doc_id}: " + ", ".join(f"{k}={v}" for k, v in fields.items()), markup=False, highlight=False)
