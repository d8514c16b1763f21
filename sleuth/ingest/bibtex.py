"""BibTeX in and out: a Zotero / Better BibTeX export as input, and entries for ``sleuth cite``.

Reading (``.bib``, bibtexparser 2): one document per entry, id = the citation key. Its metadata are the
entry's fields in the shared names (``authors``, ``year``, ``venue`` from journal/booktitle, ``doi``,
``arxiv_id`` from eprint, ``abstract``) plus the entry itself under ``bibtex`` (type and fields, for a
faithful export). A ``file = {...}`` field links PDFs (Zotero: ``Description:path:mime`` items joined by
``;``; Better BibTeX: plain paths; relative paths are relative to the .bib file): the first linked PDF
that exists is read and its text, pages, sections and references indexed under the entry, and the bib
fields win over what the PDF gave. An entry without a readable PDF is its abstract (or title) alone.
A malformed entry is reported with the file and line where it starts; the other entries are read.

Writing: :func:`to_bibtex` turns documents back into entries (the stored entry when there is one,
with corrected fields applied; otherwise one made from the metadata, keyed ``lastnameYEARfirstword``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleuth.ingest.base import FORMATS, Format, Item, Options, Rejected, Source, bad, empty, load_text
from sleuth.types import Document

if TYPE_CHECKING:
    from bibtexparser import model

# bibtexparser (and pylatexenc under it) is imported by the functions that use it: `sleuth search` need not pay.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)  # its own report of a bad block; ours names the line
_VENUE_FIELDS = ("journal", "booktitle", "journaltitle", "publisher", "howpublished")
_SKIP = {"author", "title"}


def read_bibtex(source: Source, opts: Options) -> Iterator[Item]:
    import bibtexparser
    from bibtexparser import middlewares as mw

    content = load_text(source.path, opts)
    if isinstance(content, Rejected):
        yield content
        return
    lib = bibtexparser.parse_string(content, append_middleware=[
        mw.LatexDecodingMiddleware(), mw.SeparateCoAuthors(), mw.SplitNameParts()])
    for block in lib.failed_blocks:
        lines = [ln for ln in str(getattr(block, "error", "") or "").splitlines() if ln.strip()]
        what = lines[-1].strip() if lines else "unreadable entry"
        yield bad(opts, source.path, block.start_line + 1, f"malformed BibTeX entry: {what}",
                  "fix the entry (a missing } or , is the usual cause)")
    if not lib.entries and not lib.failed_blocks:
        yield empty(source.path, None, "no BibTeX entries")
        return
    for entry in lib.entries:
        yield _document(entry, source, opts)


def _document(entry: model.Entry, source: Source, opts: Options) -> Item:
    fields = {f.key.lower(): f.value for f in entry.fields}
    md: dict[str, Any] = {}
    authors = [_name(n) for n in fields.get("author", []) if not isinstance(fields.get("author"), str)]
    if authors:
        md["authors"] = authors
    if m := re.search(r"\d{4}", str(fields.get("year") or fields.get("date") or "")):
        md["year"] = int(m.group())
    for key in _VENUE_FIELDS:
        if fields.get(key):
            md["venue"] = str(fields[key])
            break
    if fields.get("doi"):
        md["doi"] = str(fields["doi"])
    eprint = str(fields.get("eprint") or "")
    if eprint and ("arxiv" in str(fields.get("archiveprefix", "")).lower() or re.match(r"\d{4}\.\d{4,5}", eprint)):
        md["arxiv_id"] = eprint
    if fields.get("abstract"):
        md["abstract"] = str(fields["abstract"])
    md["bibtex"] = {"type": entry.entry_type, "key": entry.key,
                    "fields": {k: str(v) for k, v in fields.items() if k not in _SKIP}}
    title = str(fields.get("title") or "").strip()
    text = md.get("abstract", "")
    pdf = _linked_pdf(str(fields.get("file") or ""), source.path.parent)
    if pdf is not None:
        from sleuth.ingest.pdf.reader import read_pdf

        got = next(read_pdf(Source(pdf, pdf.name), Options(skip_bad=True, include_references=opts.include_references)))
        if isinstance(got, Document):
            md = {**got.metadata, **md, "pdf": str(pdf)}
            text, title = got.text, title or got.title
        else:
            md["warnings"] = [f"linked PDF {pdf} was not indexed: {got.reason}"]
    if not title and not text:
        return empty(source.path, entry.start_line + 1, f"entry {entry.key!r} has no title, abstract or PDF")
    return Document(doc_id=entry.key, text=text, title=title, source=str(source.path), metadata=md)


def _name(parts: Any) -> str:
    """"First von Last, Jr" from bibtexparser's name parts."""
    words = [*parts.first, *parts.von, *parts.last]
    name = " ".join(w for w in words if w)
    return f"{name}, {' '.join(parts.jr)}" if parts.jr else name


def _linked_pdf(field: str, base: Path) -> Path | None:
    """The first existing PDF named by a Zotero/Better BibTeX ``file`` field."""
    for item in re.split(r";(?=[^;]*(?:\.pdf|:))", field) if field else []:
        item = item.strip()
        # Zotero: "Description:path:application/pdf" (the path may hold a drive letter's colon).
        m = re.match(r"^(?:[^:]*:)?(.+?\.pdf)(?::[\w/+.-]+)?$", item, re.I)
        if not m:
            continue
        path = Path(m.group(1).replace("\\:", ":"))
        path = path if path.is_absolute() else base / path
        if path.is_file():
            return path
    return None


# -- writing --------------------------------------------------------------------------------------

def cite_key(doc: Document) -> str:
    md = doc.metadata
    bib = md.get("bibtex") or {}
    if bib.get("key"):
        return str(bib["key"])
    authors = md.get("authors") or []
    last = re.sub(r"[^a-z]", "", _ascii(authors[0].split()[-1].lower())) if authors else "anon"
    word = next((re.sub(r"[^a-z0-9]", "", _ascii(w.lower())) for w in doc.title.split()
                 if len(re.sub(r"[^a-z0-9]", "", _ascii(w.lower()))) > 3), "paper")
    return f"{last or 'anon'}{md.get('year') or ''}{word}"


def _ascii(s: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def entry_fields(doc: Document) -> tuple[str, str, dict[str, str]]:
    """(type, key, fields) of the BibTeX entry for ``doc``."""
    md = doc.metadata
    bib = md.get("bibtex") or {}
    fields: dict[str, str] = dict(bib.get("fields") or {})
    kind = str(bib.get("type") or "")
    venue = str(md.get("venue") or "")
    if not kind:
        kind = ("inproceedings" if re.search(r"proceedings|conference|workshop|symposium", venue, re.I)
                else "article" if venue else "misc")
    fields["title"] = doc.title
    if md.get("authors"):
        fields["author"] = " and ".join(_last_first(a) for a in md["authors"])
    if md.get("year"):
        fields["year"] = str(md["year"])
    if venue and not any(k in fields for k in _VENUE_FIELDS):
        fields["booktitle" if kind == "inproceedings" else "journal"] = venue
    if md.get("doi"):
        fields["doi"] = str(md["doi"])
    if md.get("arxiv_id"):
        fields.setdefault("eprint", str(md["arxiv_id"]))
        fields.setdefault("archiveprefix", "arXiv")
    return kind, cite_key(doc), fields


def _last_first(name: str) -> str:
    parts = name.split()
    return name if len(parts) < 2 or "," in name else f"{parts[-1]}, {' '.join(parts[:-1])}"


def to_bibtex(docs: Iterable[Document]) -> str:
    """The documents as BibTeX entries (see the module docstring), fields braced, LaTeX-escaped."""
    import bibtexparser
    from bibtexparser import middlewares as mw
    from bibtexparser import model

    lib = bibtexparser.Library()
    for doc in docs:
        kind, key, fields = entry_fields(doc)
        order = ["title", "author", "year", "journal", "booktitle", "doi", "eprint", "archiveprefix"]
        keys = [k for k in order if k in fields] + sorted(k for k in fields if k not in order)
        lib.add(model.Entry(kind, key, [model.Field(k, fields[k]) for k in keys]))
    return bibtexparser.write_string(lib, prepend_middleware=[mw.LatexEncodingMiddleware(keep_math=True)])


FORMATS.add("bibtex", Format("bibtex", read_bibtex, extensions=(".bib", ".bibtex")))
