"""The knowledge filter: drop retrieved passages that do not bear on the question.

A passage is kept when its dense relevance r = cos(e(q), e(p)) satisfies

    r >= max(floor, r_best - margin)

i.e. it is close to the best passage of this question and above an absolute floor
(:data:`sleuth.rag.stages.FILTER_FLOOR`, 0.30: the median best relevance of questions from an
unrelated collection is about that, benchmarks/README.md). The best passage is always kept.
"""

from __future__ import annotations

from sleuth.rag.context import Passage


def keep_relevant(passages: list[Passage], *, floor: float, margin: float = 0.15) -> list[Passage]:
    if not passages:
        return passages
    best = max(p.relevance for p in passages)
    cut = max(floor, best - margin)
    kept = [p for p in passages if p.relevance >= cut]
    return kept or [max(passages, key=lambda p: p.relevance)]
