"""Where a collection lives: an embedded directory (the default) or a Milvus collection (scale-out).

A :class:`Target` names a collection without opening it; ``index``, ``search``, ``ask`` and ``eval``
open theirs through it, so they run the same on either backend. Importing this package loads neither
pymilvus nor ray: :mod:`sleuth.store.milvus.collection` and :mod:`sleuth.store.ray_ingest` are imported
only when a Milvus collection or Ray ingestion is asked for (docs/scale-out.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sleuth.store.milvus.config import SCALE_PIP, MilvusConfig
from sleuth.config import Settings
from sleuth.extras import need
from sleuth.registry import Registry


def milvus_collection() -> Any:
    """:class:`sleuth.store.milvus.collection.MilvusCollection`, imported on first use (it loads pymilvus)."""
    need(("pymilvus",), SCALE_PIP, "The milvus backend")
    from sleuth.store.milvus.collection import MilvusCollection

    return MilvusCollection


class Target(Protocol):
    label: str

    def exists(self) -> bool: ...

    def open(self, *, readonly: bool = False) -> Any: ...

    def open_or_create(self, settings: Settings | None = None) -> Any: ...

    def remove(self) -> None: ...

    def nbytes(self) -> int | None:
        """Bytes the collection takes on local disk; None when it lives elsewhere."""
        ...


@dataclass(frozen=True)
class EmbeddedTarget:
    directory: Path

    @property
    def label(self) -> str:
        return str(self.directory)

    def exists(self) -> bool:
        return (self.directory / "meta.json").exists()

    def open(self, *, readonly: bool = False) -> Any:
        from sleuth.store.embedded.collection import Collection

        return Collection.open(self.directory, readonly=readonly)

    def open_or_create(self, settings: Settings | None = None) -> Any:
        from sleuth.store.embedded.collection import Collection

        return Collection.open_or_create(self.directory, settings)

    def remove(self) -> None:
        from sleuth.store.embedded.collection import Collection

        Collection.remove(self.directory)

    def nbytes(self) -> int | None:
        return sum(p.stat().st_size for p in self.directory.rglob("*") if p.is_file())


@dataclass(frozen=True)
class MilvusTarget:
    config: MilvusConfig

    @property
    def label(self) -> str:
        return self.config.label

    def exists(self) -> bool:
        return milvus_collection().exists(self.config)

    def open(self, *, readonly: bool = False) -> Any:
        return milvus_collection().open(self.config, readonly=readonly)

    def open_or_create(self, settings: Settings | None = None) -> Any:
        return milvus_collection().open_or_create(self.config, settings)

    def remove(self) -> None:
        with self.open() as col:
            col.drop()

    def nbytes(self) -> int | None:
        return None


@dataclass(frozen=True)
class TargetOptions:
    """Everything the command line says about where a collection lives."""

    directory: Path
    milvus_uri: str | None = None
    milvus_collection: str = "sleuth"
    milvus_index: str = "AUTOINDEX"
    milvus_shards: int = 1
    milvus_bm25: bool = True


BACKENDS: Registry[Callable[[TargetOptions], Target]] = Registry("backend")
BACKENDS.add("embedded", lambda o: EmbeddedTarget(o.directory))
BACKENDS.add("milvus", lambda o: MilvusTarget(MilvusConfig(
    o.milvus_uri or "", o.milvus_collection, o.milvus_index, o.milvus_shards, o.milvus_bm25)))


def get_target(backend: str, options: TargetOptions) -> Target:
    return BACKENDS.get(backend)(options)
