"""BEIR corpora: ``corpus.jsonl`` with ``_id``, ``title``, ``text`` and an optional ``metadata`` object.

Selected by the file name ``corpus.jsonl`` or by a directory holding one (a BEIR dataset, whose
queries and qrels are not documents). The field names are fixed by the format, and ``_id`` is
required because qrels refer to it.
"""

from __future__ import annotations

from collections.abc import Iterator

from sleuth.ingest.base import FORMATS, Format, Item, Options, Source
from sleuth.ingest.jsonl import Fields, read_records

CORPUS_FILE = "corpus.jsonl"
_FIELDS = Fields("_id", "title", "text", id_required=True, nested_metadata=True)


def read_beir(source: Source, opts: Options) -> Iterator[Item]:
    return read_records(source, opts, _FIELDS)


FORMATS.add("beir", Format("beir", read_beir, filenames=(CORPUS_FILE,), splittable=True))
