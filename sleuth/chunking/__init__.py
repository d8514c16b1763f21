"""Splitters that cut a document's text into passages and keep exact character offsets.

Chunkers (see :data:`CHUNKERS`): ``fixed`` and ``sentence`` (:mod:`.splitters`), ``recursive``
(:mod:`.recursive`: headings, paragraphs, lines, sentences, words) and ``semantic`` (:mod:`.semantic`:
sentences grouped by embedding similarity; loads the encoder on first use). :func:`chunk_document`
applies one of them within a structured document's sections and blocks (:mod:`.structured`).
"""

from sleuth.chunking import recursive, semantic  # noqa: F401  (register their chunkers)
from sleuth.chunking.splitters import CHUNKERS, Span, chunk_text
from sleuth.chunking.structured import chunk_document

__all__ = ["CHUNKERS", "Span", "chunk_document", "chunk_text"]
