"""Chunking that respects a document's structure: passages never cross a section boundary, and
captions, footnotes and tables (``metadata["blocks"]``) are passages of their own.

The text is cut at :func:`sleuth.ingest.structure.boundaries` and each piece is chunked on its own by
the collection's chunker, offsets shifted back into the whole text. A document without structure
metadata is chunked exactly as before, in one piece.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sleuth.chunking.splitters import Span, chunk_text
from sleuth.ingest.structure import boundaries


def chunk_document(text: str, metadata: Mapping[str, Any], method: str, size: int, overlap: int) -> list[Span]:
    """Passages of ``text`` as spans, cut within its sections and blocks (see the module docstring)."""
    if not metadata.get("sections") and not metadata.get("blocks"):
        return chunk_text(text, method, size, overlap)
    spans: list[Span] = []
    for a, b in boundaries(metadata, len(text)):
        spans.extend((a + x, a + y) for x, y in chunk_text(text[a:b], method, size, overlap))
    return spans
