"""``sleuth index``: add files to a collection."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from sleuth.chunking import CHUNKERS
from sleuth.cli.common import (
    EXIT_ERROR,
    backend_options,
    collection_option,
    err,
    friendly_errors,
    json_option,
    on_interrupt,
    print_json,
    target,
)
from sleuth.cli.progress import add_task, progress_bar
from sleuth.config import Settings
from sleuth.ingest import FORMATS, sources
from sleuth.ingest.base import Options
from sleuth.ingest.read import expected_records, read_sources
from sleuth.store.base import IngestSummary


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@collection_option
@click.option("--format", "fmt", type=click.Choice(FORMATS.names()), default=None,
              help="Read every file as this format. Default: by extension (.jsonl .md .txt .pdf; a folder with corpus.jsonl is BEIR).")
@click.option("--id-field", default="_id", show_default=True, help="JSONL: field holding the document id.")
@click.option("--title-field", default="title", show_default=True, help="JSONL: field holding the title.")
@click.option("--text-field", default="text", show_default=True, help="JSONL: field holding the text.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the input files.")
@click.option("--skip-bad", is_flag=True, help="Record malformed files and records in the summary and go on (the default; wins over --strict).")
@click.option("--strict", is_flag=True, help="Stop at the first malformed file or record, instead of listing it and going on.")
@click.option("--with-references", "with_references", is_flag=True,
              help="PDF: index the reference list as text too (it is always parsed into the metadata).")
@click.option("--chunker", type=click.Choice(CHUNKERS.names()), default=None, help="New collections only: how to cut passages [sentence].")
@click.option("--chunk-size", type=int, default=None, help="New collections only: passage length in words [200].")
@click.option("--chunk-overlap", type=int, default=None, help="New collections only: overlap in words [0].")
@click.option("--no-progress", is_flag=True, help="Do not draw a progress bar.")
@click.option("--vectors", "vectors_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Import embeddings made elsewhere instead of embedding here: an .npz with chunk_ids, vectors "
                   "and model_id (README: 'Embeddings made elsewhere').")
@backend_options(creating=True)
@click.option("--ray", "ray", is_flag=True,
              help="Read, chunk and embed on Ray workers (Milvus backend; $RAY_ADDRESS names a cluster, else a local Ray starts).")
@click.option("--ray-workers", type=click.IntRange(1), default=2, show_default=True, help="With --ray: parallel workers.")
@json_option
@friendly_errors
def index(paths: tuple[Path, ...], collection: Path | None, fmt: str | None, id_field: str, title_field: str,
          text_field: str, encoding: str, skip_bad: bool, strict: bool, with_references: bool, chunker: str | None,
          chunk_size: int | None, chunk_overlap: int | None, no_progress: bool, vectors_file: Path | None, ray: bool,
          ray_workers: int, as_json: bool) -> None:
    """Index files into a collection (created if needed): PDFs, .bib (Zotero/Better BibTeX, with linked
    PDFs), Markdown, text, JSONL or a BEIR folder.

    Re-running is safe and cheap: an unchanged file is skipped before it is read (size, mtime and
    sha256 recorded per file), changed ones re-indexed, and the same file in two places is one
    document. A malformed file or record is listed in the summary and the rest is indexed (exit
    status 1); --strict stops at the first. An interrupted run keeps what it committed; run it again
    to finish.
    """
    if not paths and vectors_file is None:
        raise click.UsageError("Give the files or folders to index (or --vectors FILE to import embeddings).")
    skip_bad = skip_bad or not strict
    where = target(collection)
    chosen = {k: v for k, v in (("chunker", chunker), ("chunk_size", chunk_size), ("chunk_overlap", chunk_overlap)) if v is not None}
    settings = None
    if chosen:
        base = Settings()
        if where.exists():
            with where.open(readonly=True) as existing:
                base = existing.settings
        settings = base.replace(**chosen)
    read_options = dict(fmt=fmt, id_field=id_field, title_field=title_field, text_field=text_field, encoding=encoding,
                        skip_bad=skip_bad, include_references=with_references)
    # Both check the paths before a collection is created.
    session: AbstractContextManager[None] = nullcontext()
    if ray:
        from sleuth.store.ray_ingest import check_target, plan, ray_session

        check_target(where)
        work = plan(list(paths), **read_options)
        session = ray_session(ray_workers)  # before any Milvus client exists (see ray_session)
    else:
        opts = Options(id_field, title_field, text_field, encoding, skip_bad, with_references)
        found = list(sources(list(paths), fmt=fmt, opts=opts))  # the files, so the total is known first
    on_interrupt(lambda: _kept(where))
    with session, where.open_or_create(settings) as col:
        with progress_bar(disable=no_progress or as_json) as bar:
            task = add_task(bar, f"indexing into {where.label}", unit="records")
            embed = add_task(bar, "embedding passages", unit="passages", visible=False)
            # Passages to embed = passage ids written since the start (ids only grow), where the store
            # numbers them; passages left unembedded by an interrupted run only raise the total.
            last_id = getattr(col.store, "max_chunk_id", None)
            first_id = last_id() if last_id else 0

            def embedded(n: int) -> None:
                if bar.tasks[embed].total is None:  # the backlog, counted once
                    bar.update(embed, total=col.unembedded())
                bar.update(embed, visible=True, advance=n)
                to_embed(())

            def to_embed(_ids: object) -> None:
                if last_id is not None:
                    done = bar.tasks[embed].completed
                    bar.update(embed, total=max(done, last_id() - first_id))

            if ray:
                from sleuth.store.ray_ingest import ray_ingest

                summary = ray_ingest(work, col, workers=ray_workers, on_progress=lambda n: bar.advance(task, n))
            elif paths:
                whole_files = all(isinstance(e, tuple) and not e[0].splittable for e in found)
                bar.update(task, total=expected_records(found), unit="files" if whole_files else "records")
                # The embedded store records sources: unchanged files are skipped before they are read.
                ledger = col.store if "sources" in col.capabilities else None
                items = read_sources(found, opts, on_source=lambda s: bar.update(task, current=s.rel), ledger=ledger)
                summary = col.ingest(items, on_progress=lambda n: bar.advance(task, n), on_embed=embedded,
                                     on_commit=to_embed, embed=vectors_file is None)
            else:
                summary = IngestSummary()
            imported = _import(col, vectors_file) if vectors_file is not None else None
            _calibrate(col, bar)
        total = {"documents": col.store.count_documents(), "chunks": col.store.count_chunks()}
        left = col.unembedded()
    if as_json:
        print_json({**summary.to_dict(), "collection": where.label, "total": total, "vectors_imported": imported,
                    "unembedded_passages": left})
    else:
        _print_summary(summary, where.label, total)
        if imported is not None:
            err.print(f"Imported {imported:,} vectors from {vectors_file}.")
        if left:
            err.print(f"{left:,} passages are not embedded yet: run `sleuth index` to finish"
                      + (" (or import their vectors with --vectors)." if vectors_file else "."))
        if paths and not (summary.added or summary.updated or summary.skipped or summary.failed):
            err.print("No documents were found in the given paths. Supported: a BEIR folder (corpus.jsonl), "
                      ".jsonl/.ndjson, .md/.markdown, .txt, .pdf and .bib files; or pass --format.")
    if _malformed(summary):
        sys.exit(EXIT_ERROR)


def _malformed(s: IngestSummary) -> bool:
    """Failures other than empty inputs (reported, but nothing was wrong with them)."""
    return any(not f.empty for f in s.failed)


def _calibrate(col: Any, bar: Any) -> None:
    """Choose the collection's abstention threshold when it has none or has grown or shrunk by half
    (:mod:`sleuth.evaluate.calibrate`); the embedded store only, once every passage is embedded."""
    from sleuth.evaluate.calibrate import ensure_calibrated, needs_calibration

    if "abstention" not in col.capabilities or col.unembedded() or not needs_calibration(col):
        return
    task = add_task(bar, "calibrating abstention", unit="questions")
    ensure_calibrated(col, on_progress=lambda done, total: bar.update(task, completed=done, total=total))


def _kept(where: Any) -> str:
    """The Ctrl-C note: ingest commits in batches, so what was read is kept and a re-run skips it."""
    held = ""
    if where.exists():
        with where.open(readonly=True) as col:
            held = f" (the collection holds {col.store.count_documents():,} documents)"
    return (f"Every document read so far is saved in {where.label}{held}; passages not yet embedded are "
            "embedded on the next run. Run the same command again to finish: documents already saved are skipped.")


def _import(col: object, path: Path) -> int:
    import numpy as np

    from sleuth.errors import InputError

    col.require("import-vectors", "Drop --vectors, or index into a local --collection.")  # type: ignore[attr-defined]
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = {"chunk_ids", "vectors", "model_id"} - set(z.files)
            if missing:
                raise InputError(f"{path} has no {', '.join(sorted(missing))} array.",
                                 "Save it with np.savez(FILE, chunk_ids=..., vectors=..., model_id='...').")
            ids, vecs, model = z["chunk_ids"], z["vectors"], str(z["model_id"])
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} is not a readable .npz file ({exc}).", "Save it with numpy.savez.") from None
    return col.import_vectors([(ids, vecs)], model)  # type: ignore[attr-defined]


def _print_summary(s: IngestSummary, directory: str, total: dict[str, int]) -> None:
    table = Table(title=f"Indexed into {directory}", show_header=True, title_justify="left")
    for name in ("added", "updated", "unchanged (skipped)", "failed", "passages written"):
        table.add_column(name, justify="right")
    table.add_row(str(s.added), str(s.updated), str(s.skipped), str(len(s.failed)), str(s.chunks))
    err.print(table)
    err.print(f"The collection now holds {total['documents']:,} documents in {total['chunks']:,} passages.")
    for f in s.failed[:20]:
        where = f"{f.source}:{f.line}" if f.line else f.source
        err.print(Text.assemble("  ", ("failed", "yellow"), f" {where}: {f.reason}"))
    if len(s.failed) > 20:
        err.print(f"  ... and {len(s.failed) - 20} more (use --json for the full list)")
