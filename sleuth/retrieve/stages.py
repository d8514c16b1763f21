"""Retrieval stages, composed into pipelines as PyTerrier composes transformers.

A :class:`Stage` maps ``(collection, query, k)`` to a :class:`~sleuth.ranking.ranking.Ranking` of at most ``k``
documents. Stages compose:

- ``stage % n``: ask ``stage`` for at least ``n`` documents whatever ``k`` is (PyTerrier's rank cutoff, turned
  round: a fusion or a reranker needs a deep first stage);
- ``Fuse(method, a, b)``: rank by a fusion (:data:`sleuth.ranking.fusion.FUSIONS`) of the stages' rankings;
- ``stage >> Rerank()``: re-score the head of ``stage``'s ranking with the collection's cross-encoder.

So the default hybrid is ``Fuse("minmax", BM25() % 100, Dense() % 100)`` and the reranked one
``Fuse("minmax", ...) >> Rerank()`` (Macdonald & Tonellotto, "Declarative Experimentation in Information
Retrieval using PyTerrier", ICTIR 2020, for the algebra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sleuth.errors import CollectionError
from sleuth.ranking.combine import rerank_scores
from sleuth.ranking.fusion import FUSIONS
from sleuth.ranking.ranking import Ranking

if TYPE_CHECKING:
    from sleuth.store.base import Searchable

RERANK_DEPTH = 20
"""Documents of the first ranking the reranker re-scores (cost grows linearly: see benchmarks/README.md)."""
RERANK_WEIGHT = 0.5


class Stage:
    """One step of a retrieval pipeline. Subclasses implement :meth:`run`; :meth:`prepare` loads what
    ``run`` needs (indexes, models) once, so that timing measures queries only."""

    dense = False
    """Whether the stage needs dense vectors (an eval of lexical pipelines skips embedding)."""

    def run(self, col: Searchable, query: str, k: int) -> Ranking:
        raise NotImplementedError

    def prepare(self, col: Searchable) -> None:
        """Load what :meth:`run` reads; nothing by default."""

    def __mod__(self, depth: int) -> Stage:
        return AtLeast(self, depth)

    def __rshift__(self, rescorer: Rescorer) -> Stage:
        return Then(self, rescorer)


class BM25(Stage):
    """The collection's lexical index (BM25F over title and body; sleuth.index.lexical)."""

    def run(self, col: Searchable, query: str, k: int) -> Ranking:
        return col.lexical.search(query, k)

    def prepare(self, col: Searchable) -> None:
        col.lexical


class Dense(Stage):
    """The collection's dense index: cosine of the query's embedding to each passage's."""

    dense = True

    def run(self, col: Searchable, query: str, k: int) -> Ranking:
        return col.dense.search(query, k)

    def prepare(self, col: Searchable) -> None:
        col.dense


class AtLeast(Stage):
    """``stage % n``: ``stage`` asked for ``max(k, n)`` documents."""

    def __init__(self, stage: Stage, depth: int) -> None:
        self.stage, self.depth = stage, depth
        self.dense = stage.dense

    def run(self, col: Searchable, query: str, k: int) -> Ranking:
        return self.stage.run(col, query, max(k, self.depth))

    def prepare(self, col: Searchable) -> None:
        self.stage.prepare(col)


class Fuse(Stage):
    """The ``k`` best documents of a fusion of several stages' rankings. Each document keeps the passage
    of the first stage that ranked it (the lexical passage wins a tie in the hybrids)."""

    def __init__(self, method: str, *stages: Stage, **params: float) -> None:
        self.fuse = FUSIONS.get(method)
        self.stages, self.params = stages, params
        self.dense = any(s.dense for s in stages)

    def run(self, col: Searchable, query: str, k: int) -> Ranking:
        rankings = [s.run(col, query, k) for s in self.stages]
        chunk = {doc: c for r in reversed(rankings) for doc, _, c in r}
        return Ranking.fused(self.fuse([r.pairs() for r in rankings], **self.params)[:k], chunk)

    def prepare(self, col: Searchable) -> None:
        for s in self.stages:
            s.prepare(col)


class Rescorer:
    """What follows ``>>``: re-orders a ranking it is given."""

    def depth(self, col: Searchable) -> int:
        """Documents it wants from the stage before it."""
        raise NotImplementedError

    def rescore(self, col: Searchable, query: str, first: Ranking) -> Ranking:
        raise NotImplementedError

    def prepare(self, col: Searchable) -> None:
        """Load the model; nothing by default."""


class Rerank(Rescorer):
    """The collection's trained cross-encoder over the head of the ranking, its scores interpolated with the
    first stage's (:func:`sleuth.ranking.combine.rerank_scores`); depth and weight as ``sleuth tune`` chose."""

    def depth(self, col: Searchable) -> int:
        return int(col.tuned.get("rerank_depth", RERANK_DEPTH))

    def rescore(self, col: Searchable, query: str, first: Ranking) -> Ranking:
        from sleuth.index.vectors import passage_text

        reranker = col.reranker
        if reranker is None:
            raise CollectionError(
                "This collection has no trained reranker.",
                "Run `sleuth tune` on it first (embedded collections only), or use --mode hybrid.",
            )
        texts = []
        for _, _, chunk_id in first[: self.depth(col)]:
            found = col.store.get_chunk(int(chunk_id))
            texts.append(passage_text(found[1], found[0].text) if found else "")
        scores = reranker.score(query, texts)
        fused = rerank_scores(first.pairs(), scores.tolist(), float(col.tuned.get("rerank_weight", RERANK_WEIGHT)))
        return Ranking.fused(fused, first.chunk_of())

    def prepare(self, col: Searchable) -> None:
        col.reranker


class Then(Stage):
    """``stage >> rescorer``: the rescorer's order of ``stage``'s ranking, cut to ``k``."""

    def __init__(self, stage: Stage, rescorer: Rescorer) -> None:
        self.stage, self.rescorer = stage, rescorer
        self.dense = stage.dense

    def run(self, col: Searchable, query: str, k: int) -> Ranking:
        first = self.stage.run(col, query, max(k, self.rescorer.depth(col)))
        return self.rescorer.rescore(col, query, first)[:k]

    def prepare(self, col: Searchable) -> None:
        self.stage.prepare(col)
        self.rescorer.prepare(col)
