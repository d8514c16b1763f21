"""Named retrieval pipelines: ``(collection, query, k) -> [(doc_id, score, chunk_id), ...]``, best first.

``sleuth search --mode NAME`` and ``sleuth eval --pipeline NAME`` both look pipelines up here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sleuth.registry import Registry

if TYPE_CHECKING:
    from sleuth.store.collection import Collection

Result = list[tuple[str, float, int]]


class Pipeline:
    """A retrieval pipeline; ``prepare`` loads what it needs once, so timing measures queries only."""

    def __init__(self, name: str, run: Callable[[Collection, str, int], Result],
                 prepare: Callable[[Collection], object] | None = None) -> None:
        self.name = name
        self.run = run
        self.prepare = prepare or (lambda col: None)

    def __call__(self, collection: Collection, query: str, k: int) -> Result:
        return self.run(collection, query, k)


PIPELINES: Registry[Pipeline] = Registry("pipeline")


def _bm25(col: Collection, query: str, k: int) -> Result:
    res = col.lexical.search(query, k)
    return list(zip(res.doc_ids, res.scores.tolist(), res.chunk_ids.tolist()))


PIPELINES.add("bm25", Pipeline("bm25", _bm25, prepare=lambda col: col.lexical))


def get_pipeline(name: str) -> Pipeline:
    return PIPELINES.get(name)
