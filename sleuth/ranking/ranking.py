"""The one ranking type: what every retriever, fusion and reranker returns for one query.

A :class:`Ranking` is three parallel arrays, best first: the document ids, their scores and, for each, the
passage (chunk row id) the score comes from. A document ranking has one row per document (its best passage); a
passage ranking (``search_passages``) may hold several passages of a document. It iterates as
``(doc_id, score, chunk_id)`` rows; slicing gives a shorter ranking.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np


@dataclass(frozen=True, eq=False)
class Ranking:
    doc_ids: list[str]
    scores: np.ndarray
    chunk_ids: np.ndarray

    @classmethod
    def empty(cls) -> Ranking:
        return cls([], np.zeros(0), np.zeros(0, np.int64))

    @classmethod
    def of(cls, rows: Iterable[tuple[str, float, int]]) -> Ranking:
        """From ``(doc_id, score, chunk_id)`` rows, best first."""
        rows = list(rows)
        return cls([d for d, _, _ in rows], np.array([s for _, s, _ in rows], np.float64),
                   np.array([c for _, _, c in rows], np.int64))

    @classmethod
    def fused(cls, pairs: Sequence[tuple[str, float]], chunk_of: dict[str, int]) -> Ranking:
        """A fusion's ``(doc_id, score)`` output, each document keeping the passage ``chunk_of`` names."""
        return cls.of((d, s, chunk_of[d]) for d, s in pairs)

    def pairs(self) -> list[tuple[str, float]]:
        """``(doc_id, score)``, best first: what the fusion functions (:mod:`sleuth.ranking.fusion`) take."""
        return list(zip(self.doc_ids, self.scores.tolist()))

    def chunk_of(self) -> dict[str, int]:
        """Document -> the passage its score comes from (the first row of each document)."""
        out: dict[str, int] = {}
        for d, c in zip(self.doc_ids, self.chunk_ids.tolist()):
            out.setdefault(d, c)
        return out

    def __len__(self) -> int:
        return len(self.doc_ids)

    def __iter__(self) -> Iterator[tuple[str, float, int]]:
        return zip(self.doc_ids, self.scores.tolist(), self.chunk_ids.tolist())

    @overload
    def __getitem__(self, index: int) -> tuple[str, float, int]: ...

    @overload
    def __getitem__(self, index: slice) -> Ranking: ...

    def __getitem__(self, index: int | slice) -> tuple[str, float, int] | Ranking:
        """``ranking[i]`` is one row; ``ranking[:k]`` the ranking's head."""
        if isinstance(index, slice):
            return Ranking(self.doc_ids[index], self.scores[index], self.chunk_ids[index])
        return self.doc_ids[index], float(self.scores[index]), int(self.chunk_ids[index])

    def __eq__(self, other: object) -> bool:
        """Equal rows, in order; a list of ``(doc_id, score, chunk_id)`` tuples compares too."""
        if isinstance(other, Ranking):
            other = list(other)
        return isinstance(other, list) and list(self) == [tuple(r) for r in other]

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside
