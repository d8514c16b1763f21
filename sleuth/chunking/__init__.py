"""Splitters that cut a document's text into passages and keep exact character offsets."""

from sleuth.chunking.splitters import CHUNKERS, Span, chunk_text

__all__ = ["CHUNKERS", "Span", "chunk_text"]
