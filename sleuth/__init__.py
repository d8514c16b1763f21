"""sleuth: find and answer from a document collection."""

from sleuth.errors import SleuthError
from sleuth.types import Chunk, Document, Hit, Query, Ranking

__version__ = "0.1.0"

__all__ = ["Chunk", "Document", "Hit", "Query", "Ranking", "SleuthError", "__version__"]
