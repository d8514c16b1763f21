"""Readers that turn files into Documents.

``read_paths`` streams a Document or a Rejected for every input; ``FORMATS`` names the input
formats (beir, bibtex, jsonl, markdown, pdf, text).
"""

from sleuth.ingest import beir, bibtex, jsonl, markdown, pdf, text  # noqa: F401 - importing registers the formats
from sleuth.ingest.base import FORMATS, Format, Rejected
from sleuth.ingest.read import read_paths, sources

__all__ = ["FORMATS", "Format", "Rejected", "read_paths", "sources"]
