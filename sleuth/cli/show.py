"""``sleuth show DOC``: a document's metadata, sections, passages (page, section) and parsed references."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.text import Text

from sleuth.cli.common import backend_options, collection_option, friendly_errors, json_option, opened, out, print_json
from sleuth.errors import InputError
from sleuth.ingest.structure import page_at
from sleuth.store.embedded.collection import Collection
from sleuth.text.cite import locator
from sleuth.types import Document

_META_SHOWN = ("authors", "year", "venue", "arxiv_id", "doi", "page_count")


def document_view(col: Collection, doc_id: str) -> dict[str, Any]:
    """Everything ``show`` prints, as JSON (the same object ``--json`` prints)."""
    doc = col.store.get_document(doc_id)
    if doc is None:
        raise InputError(f"No document with id {doc_id!r}.", "List the ids with `sleuth ls`, or find it with `sleuth search`.")
    md = dict(doc.metadata)
    references = md.pop("references", [])
    sections = [{**s, "page": page_at(md, s["start"])} for s in md.pop("sections", [])]
    md.pop("blocks", None)
    md.pop("page_offsets", None)
    md.pop("page_runs", None)
    passages = [{**p, "text": doc.text[p["start"]:p["end"]]} for p in col.store.document_chunks(doc_id)]
    return {"doc_id": doc.doc_id, "title": doc.title, "source": doc.source, "metadata": md,
            "corrected": sorted(col.store.correction(doc_id)), "sections": sections, "passages": passages,
            "references": references}


@click.command()
@click.argument("doc_id")
@click.option("--passages/--no-passages", default=True, show_default=True, help="List the passages (page, section, first words).")
@collection_option
@backend_options()
@json_option
@friendly_errors
def show(doc_id: str, passages: bool, collection: Path | None, as_json: bool) -> None:
    """Show one document: metadata, sections, passages with their page and section, references."""
    with opened(collection, readonly=True, needs="documents", fix="Find the document with `sleuth search` instead.") as col:
        view = document_view(col, doc_id)
    if as_json:
        print_json(view)
        return
    md = view["metadata"]
    out.print(Text(view["title"], style="bold cyan"))
    if who := locator(md.get("authors") or [], md.get("year")):
        out.print(Text(", ".join(md.get("authors") or []) or who))
    for key in _META_SHOWN[1:]:
        if md.get(key):
            out.print(Text(f"  {key:<10} {md[key]}"))
    out.print(Text(f"  {'id':<10} {view['doc_id']}\n  {'source':<10} {view['source']}", style="dim"))
    if view["corrected"]:
        out.print(Text(f"  corrected by hand: {', '.join(view['corrected'])}", style="yellow"))
    for w in md.get("warnings") or []:
        out.print(Text(f"  ⚠ {w}", style="yellow"))
    if md.get("abstract"):
        out.print(Text("\nAbstract", style="bold"))
        out.print(Text("  " + _clip(md["abstract"], 600)))
    if view["sections"]:
        out.print(Text("\nSections", style="bold"))
        for s in view["sections"]:
            label = f"{s.get('number', '')} {s['title']}".strip()
            out.print(Text(f"  {'  ' * (s['level'] - 1)}{label}" + (f"  p. {s['page']}" if s["page"] else "")))
    if passages:
        out.print(Text(f"\nPassages ({len(view['passages'])})", style="bold"))
        for p in view["passages"]:
            where = locator((), None, p["section"] or "", p["page"])
            out.print(Text.assemble((f"  {p['chunk_id']}", "dim"), (f"  {where}" if where else "", "green"),
                                    f"  {_clip(p['text'], 90)}"))
    refs = view["references"]
    if refs:
        out.print(Text(f"\nReferences ({len(refs)})", style="bold"))
        for i, r in enumerate(refs, 1):
            out.print(Text(f"  [{i}] {_reference(r)}"))


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + " …"


def _reference(r: dict[str, Any]) -> str:
    if r.get("title"):
        who = locator(r.get("authors") or [], r.get("year"))
        ids = " ".join(x for x in (f"doi:{r['doi']}" if r.get("doi") else "", f"arXiv:{r['arxiv_id']}" if r.get("arxiv_id") else "") if x)
        return " · ".join(x for x in (who, r["title"], r.get("venue", ""), ids) if x)
    return _clip(r["raw"], 160)


def require(col: Collection, doc_ids: tuple[str, ...]) -> list[Document]:
    """The documents, or an InputError naming the ids that are not in the collection."""
    docs = [col.store.get_document(d) for d in doc_ids]
    missing = [d for d, doc in zip(doc_ids, docs) if doc is None]
    if missing:
        raise InputError(f"No document with id {', '.join(repr(m) for m in missing)}.",
                         "List the ids with `sleuth ls`, or find them with `sleuth search`.")
    return [d for d in docs if d is not None]
