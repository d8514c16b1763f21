"""Documents as Milvus rows: the passages, their BM25 terms and their vectors.

Pure functions over sleuth's own chunker, analyzer and encoder, so that a Milvus collection holds the
same passages and vectors as the embedded store, and so that Ray workers can build rows without a
connection to Milvus (see :mod:`sleuth.store.ray_ingest`).

BM25 parity. Milvus' BM25 scores one analysed text field; sleuth's embedded index is BM25F over a
stemmed, stop-worded body and title (title weighted ``title_weight``). The ``terms`` field therefore
holds sleuth's analysed tokens, joined by spaces (indexed with Milvus' whitespace tokenizer, so Milvus
sees exactly sleuth's terms), with the title's terms repeated ``round(title_weight)`` times: with one
shared length normalisation (``b``) instead of BM25F's per-field ones, this is the classic
approximation of a field weight by repetition (Robertson, Zaragoza & Taylor, CIKM 2004, section 3).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from sleuth.config import Settings
from sleuth.errors import InputError
from sleuth.index.encoders import Encoder
from sleuth.index.vectors import passage_text
from sleuth.store.base import Failure, IngestSummary, document_spans
from sleuth.docstore.integrity import content_hash
from sleuth.text import Analyzer
from sleuth.types import Document

MAX_VARCHAR = 65_535
"""Milvus' largest VARCHAR, in bytes."""
MAX_DOC_ID = 1_024
Row = dict[str, Any]


def chunk_key(doc_id: str, digest: str, ord_: int) -> int:
    """A passage's primary key: 63 bits of a hash of (document, content, position).

    Deterministic, so Ray workers need no id service; a changed document gets new keys. At 10^8
    passages the chance of any collision is about 10^16 / 2^64 = 5e-4.
    """
    h = hashlib.blake2b(f"{doc_id}\0{digest}\0{ord_}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") >> 1


def lexical_text(title_terms: list[str], body_terms: list[str], title_weight: float) -> str:
    """What Milvus' BM25 function indexes for a passage (see the module docstring)."""
    return " ".join([*title_terms * round(title_weight), *body_terms])


def document_rows(doc: Document, digest: str, settings: Settings, analyzer: Analyzer) -> list[Row]:
    """The rows (without vectors) of one document's passages. Raises InputError if Milvus cannot hold them."""
    spans = document_spans(doc, settings)
    if not spans:
        raise InputError(f"document {doc.doc_id!r} has no text or title to index", "")
    if len(doc.doc_id.encode()) > MAX_DOC_ID:
        raise InputError(f"document id {doc.doc_id[:40]!r}... is longer than {MAX_DOC_ID} bytes", "")
    title_terms = analyzer.terms(doc.title)
    rows = []
    for i, (start, end) in enumerate(spans):
        text = doc.text[start:end]
        row = {
            "id": chunk_key(doc.doc_id, digest, i), "doc_id": doc.doc_id, "ord": i, "start": start, "end": end,
            "title": doc.title, "text": text, "doc_hash": digest, "source": doc.source,
            "terms": lexical_text(title_terms, analyzer.terms(text), settings.title_weight),
        }
        for key in ("title", "text", "terms", "source"):
            if len(row[key].encode()) > MAX_VARCHAR:
                raise InputError(
                    f"document {doc.doc_id!r}: a passage's {key} is longer than Milvus' {MAX_VARCHAR:,}-byte limit",
                    "index with a smaller --chunk-size",
                )
        rows.append(row)
    return rows


def embed_rows(rows: list[Row], encoder: Encoder) -> None:
    """Add each row's ``vector``: the encoder's embedding of title + passage, as the embedded store does."""
    if not rows:
        return
    texts = [passage_text(r["title"], r["text"]) for r in rows]
    vecs = np.asarray(encoder.encode_passages(texts), dtype=np.float32)
    for row, vec in zip(rows, vecs):
        row["vector"] = vec


def prepare(docs: list[Document], known: dict[str, str], settings: Settings, analyzer: Analyzer,
            summary: IngestSummary) -> tuple[list[Row], list[str]]:
    """Rows of the new and changed ``docs`` and the ids of the changed ones, whose old rows must go.

    ``known`` maps stored doc ids to their content hashes; unchanged documents are skipped. Counts go
    to ``summary`` as :meth:`sleuth.store.embedded.collection.Collection.ingest` counts them.
    """
    rows: list[Row] = []
    replace = []
    for doc in docs:
        digest = content_hash(doc)
        if known.get(doc.doc_id) == digest:
            summary.skipped += 1
            continue
        try:
            new = document_rows(doc, digest, settings, analyzer)
        except InputError as exc:
            summary.failed.append(Failure(doc.source, None, "; ".join(filter(None, (exc.what, exc.fix)))))
            continue
        if doc.doc_id in known:
            replace.append(doc.doc_id)
            summary.updated += 1
        else:
            summary.added += 1
        summary.chunks += len(new)
        rows += new
    return rows, replace
