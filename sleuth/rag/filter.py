"""The knowledge filter: drop retrieved passages that do not bear on the question.

A passage is kept when its dense relevance r = cos(e(q), e(p)) satisfies

    r >= max(floor, r_best - margin)

i.e. it is close to the best passage of this question and above an absolute floor
(:data:`sleuth.rag.stages.FILTER_FLOOR`, 0.30: the median best relevance of questions from an
unrelated collection is about that, benchmarks/README.md). The passage of best relevance is always
kept, and so is the retriever's first: a passage's single cosine can miss what the fused ranking found
(a full-paper passage on "cascode ... supply sensitivity" ranked first by BM25 scores 0.28 against 0.33
for an unrelated one), and the filter is there to drop the tail, not to overrule the ranking.
"""

from __future__ import annotations

from sleuth.rag.context import Passage


def keep_relevant(passages: list[Passage], *, floor: float, margin: float = 0.15) -> list[Passage]:
    if not passages:
        return passages
    best = max(p.relevance for p in passages)
    cut = max(floor, best - margin)
    top = max(passages, key=lambda p: p.relevance)
    return [p for i, p in enumerate(passages) if i == 0 or p is top or p.relevance >= cut]
