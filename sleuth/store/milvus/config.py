"""Where a Milvus collection lives and how it is indexed. Pure data: importing this loads no pymilvus.

Index types (``index_type``), with the build and search parameters sleuth uses for the dense field:

==========  ==========================================  ====================================
AUTOINDEX   Milvus picks (FLAT in Lite, HNSW-like on     no parameters
            servers, tuned by Zilliz Cloud)
FLAT        exact, scans every vector                    no parameters
HNSW        graph, M=16, efConstruction=200              ef = max(128, limit)
IVF_FLAT    nlist=1024 clusters, exact within them        nprobe=32
IVF_SQ8     as IVF_FLAT, vectors as int8 (4x smaller)    nprobe=32
==========  ==========================================  ====================================

Milvus Lite has no HNSW (use AUTOINDEX, FLAT or IVF_*). The BM25 field always uses
SPARSE_INVERTED_INDEX with metric BM25.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import ConfigError
from sleuth.registry import Registry

SCALE_PIP = "pip install 'sleuth[scale]' (in a checkout: make install-scale)"
"""How to install what the Milvus engine and Ray ingestion need."""

TOKEN_ENV = "SLEUTH_MILVUS_TOKEN"
"""Credentials ("user:password" or an API key) come from the environment, never from the command line."""
MAX_SHARDS = 16  # Milvus' default proxy.maxShardNum
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")


@dataclass(frozen=True)
class IndexType:
    build: dict[str, Any]
    search: Callable[[int], dict[str, Any]]
    """Search parameters for a request of ``limit`` results."""
    lite: bool = True
    """Whether Milvus Lite supports it."""


INDEX_TYPES: Registry[IndexType] = Registry("Milvus index type")
INDEX_TYPES.add("AUTOINDEX", IndexType({}, lambda limit: {}))
INDEX_TYPES.add("FLAT", IndexType({}, lambda limit: {}))
# ef must be at least the number of results asked for; 128 keeps recall near exact at k <= 128.
INDEX_TYPES.add("HNSW", IndexType({"M": 16, "efConstruction": 200}, lambda limit: {"ef": max(128, limit)}, lite=False))
INDEX_TYPES.add("IVF_FLAT", IndexType({"nlist": 1024}, lambda limit: {"nprobe": 32}))
INDEX_TYPES.add("IVF_SQ8", IndexType({"nlist": 1024}, lambda limit: {"nprobe": 32}))


def is_lite(uri: str) -> bool:
    """A local file path (``.../name.db``) runs Milvus Lite in a child process; anything else is a server."""
    return "://" not in uri


@dataclass(frozen=True)
class MilvusConfig:
    """A Milvus collection: server (or Lite file), collection name, and creation-time choices.

    ``index_type``, ``shards`` and ``bm25`` only matter when the collection is created; an existing
    collection keeps its own (stored in its description).
    """

    uri: str
    collection: str = "sleuth"
    index_type: str = "AUTOINDEX"
    shards: int = 1
    bm25: bool = True
    """Store a BM25 sparse field (needs Milvus >= 2.5); False for a dense-only collection."""
    token: str = field(default_factory=lambda: os.environ.get(TOKEN_ENV, ""), repr=False)

    def __post_init__(self) -> None:
        if not self.uri:
            raise ConfigError("No Milvus URI given.",
                              "Pass --milvus-uri http://HOST:19530 (a server) or a local file such as ./sleuth.db (Milvus Lite).")
        if is_lite(self.uri):
            if not self.uri.endswith(".db"):
                raise ConfigError(f"Milvus Lite needs a file name ending in .db, got {self.uri!r}.",
                                  "Pass e.g. --milvus-uri ./sleuth.db, or http://HOST:19530 for a server.")
            object.__setattr__(self, "uri", str(Path(self.uri).expanduser().resolve()))
        if not _NAME.fullmatch(self.collection):
            raise ConfigError(f"Invalid Milvus collection name {self.collection!r}.",
                              "Use letters, digits and underscores, starting with a letter or underscore.")
        spec = INDEX_TYPES.get(self.index_type)
        if is_lite(self.uri) and not spec.lite:
            lite_ok = ", ".join(n for n in INDEX_TYPES if INDEX_TYPES.get(n).lite)
            raise ConfigError(f"Milvus Lite has no {self.index_type} index.", f"Use one of: {lite_ok} (or a Milvus server).")
        if not 1 <= self.shards <= MAX_SHARDS:
            raise ConfigError(f"shards must be between 1 and {MAX_SHARDS}, got {self.shards}.", "Fix --milvus-shards.")

    @property
    def lite(self) -> bool:
        return is_lite(self.uri)

    @property
    def label(self) -> str:
        return f"{self.uri} (collection {self.collection})"
