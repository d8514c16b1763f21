"""``sleuth stats | ls | rm | settings``: look after a collection."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from sleuth.cli.common import (EXIT_ERROR, backend_options, collection_option, err, friendly_errors, json_option, opened, out,
                               print_json, target)
from sleuth.config import settings_table
from sleuth.errors import InputError
from sleuth.text.cite import locator


@click.command()
@collection_option
@backend_options()
@json_option
@friendly_errors
def stats(collection: Path | None, as_json: bool) -> None:
    """Show what a collection holds: documents, passages, size on disk, settings."""
    with opened(collection, readonly=True) as col:
        s = col.stats()
    if as_json:
        print_json(s)
        return
    out.print(Text.assemble((str(s["collection"]), "bold"), f"  (format {s['format_version']})"))
    out.print(f"  documents  {s['documents']:,}\n  passages   {s['chunks']:,}")
    if s.get("bytes_on_disk") is not None:
        out.print(f"  on disk    {s['bytes_on_disk'] / 2**20:.1f} MiB")
    out.print("  settings   " + ", ".join(f"{k}={v}" for k, v in s["settings"].items()))
    if a := s.get("abstention"):
        out.print(f"  abstains   below relevance {a['threshold']:.3f} (calibrated on {a['passages']:,} passages; "
                  "`sleuth ask --min-relevance` overrides)")
    if s.get("unembedded_passages"):
        out.print(Text.assemble("  ", (f"{s['unembedded_passages']:,} passages are not embedded yet: run `sleuth index` "
                                       "to finish", "yellow"), " (until then they are found by their words only)"))


@click.command()
@collection_option
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@backend_options()
@json_option
@friendly_errors
def ls(collection: Path | None, limit: int, offset: int, as_json: bool) -> None:
    """List documents (id, title, authors, year) in the order they were added.

    --json gives doc_id, source, title, authors, year, arxiv_id and doi of each.
    """
    with opened(collection, readonly=True, needs="documents", fix="Find documents with `sleuth search` instead.") as col:
        rows = col.store.list_entries(limit, offset)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        who = locator(r["authors"], r["year"])
        out.print(f"{r['doc_id']}\t{r['title']}" + (f"\t{who}" if who else ""), highlight=False, markup=False)


@click.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--all", "drop", is_flag=True, help="Delete the whole collection directory.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation with --all.")
@collection_option
@backend_options()
@json_option
@friendly_errors
def rm(doc_ids: tuple[str, ...], drop: bool, yes: bool, collection: Path | None, as_json: bool) -> None:
    """Remove documents by id, or the whole collection with --all.

    Exits 1 when an id was not in the collection (the others are still removed), so a script notices.
    """
    where = target(collection)
    if drop:
        if doc_ids:
            raise InputError("Give document ids or --all, not both.", "Drop the ids to delete the whole collection.")
        if not yes:
            click.confirm(f"Delete the collection at {where.label} and everything in it?", abort=True)
        where.remove()
        print_json({"removed": where.label}) if as_json else out.print(f"Removed {where.label}.")
        return
    if not doc_ids:
        raise InputError("No document ids given.", "Pass ids (see `sleuth ls`), or --all to delete the collection.")
    with where.open() as col:
        wanted = list(dict.fromkeys(doc_ids))
        known = col.store.hashes(wanted)
        absent = [d for d in wanted if d not in known]
        n = col.delete(wanted)
    if as_json:
        print_json({"removed": n, "not_found": len(absent), "not_found_ids": absent})
    else:
        out.print(f"Removed {n} document(s).")
    if absent:
        shown = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
        err.print(Text.assemble(("error: ", "bold red"), f"{len(absent)} id(s) were not in the collection: {shown}."))
        err.print(Text.assemble(("what to do: ", "bold"), "Check the ids with `sleuth ls` (ids are case-sensitive)."))
        sys.exit(EXIT_ERROR)


@click.command()
@json_option
def settings(as_json: bool) -> None:
    """List the collection settings, their defaults and what they do."""
    rows = settings_table()
    if as_json:
        print_json([{"name": n, "default": d, "help": h} for n, d, h in rows])
        return
    table = Table("setting", "default", "meaning")
    for n, d, h in rows:
        table.add_row(n, str(d), h)
    out.print(table)
