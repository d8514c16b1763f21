"""Named retrieval pipelines: compositions of stages (:mod:`sleuth.retrieve.stages`) registered by name.

``sleuth search --mode NAME``, ``sleuth eval --pipeline NAME`` and ``ask`` look pipelines up here. Each returns a
:class:`~sleuth.ranking.ranking.Ranking` of documents, best first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sleuth.ranking.ranking import Ranking
from sleuth.registry import Registry
from sleuth.retrieve.stages import BM25, Dense, Fuse, Rerank, Stage

if TYPE_CHECKING:
    from sleuth.store.base import Searchable


class Pipeline:
    """A named stage; ``prepare`` loads what it needs once, so timing measures queries only."""

    def __init__(self, name: str, stage: Stage) -> None:
        self.name = name
        self.stage = stage
        self.dense = stage.dense
        """Whether the pipeline needs dense vectors (an eval of lexical pipelines skips embedding)."""

    def prepare(self, collection: Searchable) -> None:
        self.stage.prepare(collection)

    def __call__(self, collection: Searchable, query: str, k: int) -> Ranking:
        return self.stage.run(collection, query, k)


PIPELINES: Registry[Pipeline] = Registry("pipeline")

HYBRID_DEPTH = 100
"""Each half retrieves at least this many documents before fusion."""

# The default hybrid is an equal-weight convex combination of min-max normalised scores: on all six
# shared collections it beat both of its halves, as RRF did and z-score did not, and it beat RRF on
# five of six (benchmarks/README.md, "Hybrid fusion").
HYBRID_FUSIONS = {"hybrid": "minmax", "hybrid-rrf": "rrf", "hybrid-minmax": "minmax", "hybrid-zscore": "zscore"}
"""The fusion method (:data:`sleuth.ranking.fusion.FUSIONS`) of each hybrid pipeline."""


def hybrid(method: str) -> Stage:
    """Both halves, each at least :data:`HYBRID_DEPTH` deep, fused by ``method``."""
    return Fuse(method, BM25() % HYBRID_DEPTH, Dense() % HYBRID_DEPTH)


PIPELINES.add("bm25", Pipeline("bm25", BM25()))
PIPELINES.add("dense", Pipeline("dense", Dense()))
for _name, _method in HYBRID_FUSIONS.items():
    PIPELINES.add(_name, Pipeline(_name, hybrid(_method)))
PIPELINES.add("hybrid-rerank", Pipeline("hybrid-rerank", hybrid("minmax") >> Rerank()))


def get_pipeline(name: str) -> Pipeline:
    return PIPELINES.get(name)
