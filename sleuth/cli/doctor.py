"""``sleuth doctor``: check a collection and rebuild damaged indexes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sleuth.cli.common import collection_option, friendly_errors, json_option, on_interrupt, out, print_json, resolve
from sleuth.store.embedded.doctor import diagnose, repair


@click.command()
@collection_option
@click.option("--repair", "fix", is_flag=True,
              help="Rebuild damaged derived indexes (lexical segments, vectors) from the docstore, and embed pending passages.")
@json_option
@friendly_errors
def doctor(collection: Path | None, fix: bool, as_json: bool) -> None:
    """Check a collection's files (meta.json, docstore integrity, index checksums).

    Exits 0 when everything is healthy, 1 otherwise. With --repair, derived indexes are rebuilt
    from the docstore first; documents are never touched.
    """
    directory = resolve(collection)
    if fix:
        on_interrupt("Documents are never touched, and each index is replaced in one step: the collection is as "
                     "it was or partly repaired. Run `sleuth doctor --repair` again to finish.")
    report = repair(directory) if fix else diagnose(directory)
    if as_json:
        print_json({"collection": str(directory), "ok": report.ok, "checks": report.checks})
    else:
        for c in report.checks:
            out.print(f"{'ok  ' if c['ok'] else 'FAIL'}  {c['check']}: {c['detail']}", highlight=False)
        if not report.ok and not fix:
            out.print(f"Run `sleuth doctor --repair --collection {directory}` to rebuild derived indexes.")
    sys.exit(0 if report.ok else 1)
