"""Which adjacent segments a writer merges: a log-structured policy shared by every segmented index.

Segments stay in chunk-id order, so only adjacent ones are merged (each covers one id range). Among
the windows of ``factor`` adjacent segments whose merge stays under ``max_rows``, the cheapest (fewest
rows) is merged when its sizes are within one tier of each other (tier = floor(log_factor(rows))),
or whenever more than ``2 * factor`` segments have piled up. Beyond ``target`` segments, the adjacent
pair with the fewest rows is merged as long as neither is more than ``factor`` times the other (so
merges stay balanced and each row is still rewritten O(log N) times). Segments of similar size merging
``factor`` at a time rewrite each row about log_factor(N / flush size) times in all (as Lucene's
LogMergePolicy), and a query never sees more than a few dozen segments.
"""

from __future__ import annotations

import math


def tier(rows: int, factor: int) -> int:
    return int(math.log(max(rows, 1), factor))


def pick_merge(sizes: list[int], factor: int, max_rows: int, target: int | None = None) -> tuple[int, int] | None:
    """The [a, b) run of segments to merge next, or None."""
    best = None
    for a in range(0, len(sizes) - factor + 1):
        window = sizes[a : a + factor]
        total = sum(window)
        tiers = [tier(s, factor) for s in window]
        if total <= max_rows and (max(tiers) - min(tiers) <= 1 or len(sizes) > 2 * factor):
            if best is None or total < best[0]:
                best = (total, a)
    if best is not None:
        return best[1], best[1] + factor
    if target is not None and len(sizes) > target:
        pairs = [(sizes[i] + sizes[i + 1], i) for i in range(len(sizes) - 1)
                 if sizes[i] + sizes[i + 1] <= max_rows and max(sizes[i], sizes[i + 1]) <= factor * max(min(sizes[i], sizes[i + 1]), 1)]
        if pairs:
            i = min(pairs)[1]
            return i, i + 2
    return None
