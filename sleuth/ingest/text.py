"""Plain text (``.txt``): one document per file, titled by the file's stem, text exactly as decoded."""

from __future__ import annotations

from collections.abc import Iterator

from sleuth.ingest.base import FORMATS, Format, Item, Options, Rejected, Source, load_text
from sleuth.types import Document


def read_text(source: Source, opts: Options) -> Iterator[Item]:
    text = load_text(source.path, opts)
    if isinstance(text, Rejected):
        yield text
        return
    yield Document(doc_id=source.rel, text=text, title=source.path.stem, source=str(source.path))


FORMATS.add("text", Format("text", read_text, extensions=(".txt",)))
