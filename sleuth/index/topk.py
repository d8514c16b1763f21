"""Top-k selection shared by the indexes: best chunks, and max-passage document rankings.

Both work on *negated* scores (smaller is better): numpy's introselect partitions the smallest
values ~5x faster than the largest when most values are equal, as with BM25's many zero scores.
"""

from __future__ import annotations

import numpy as np

_NEVER = np.iinfo(np.int64).max


def best_rows(neg: np.ndarray, k: int, tiebreak: np.ndarray, *, positive_only: bool = True) -> np.ndarray:
    """Rows of the k smallest values of ``neg``, smallest first; ties in (tiebreak, row) order.

    With ``positive_only``, rows whose score is 0 (neg == 0: nothing matched) are dropped. Ties at
    the cut are all considered before cutting, so the result does not depend on the order rows are
    stored in (an incrementally built index ranks exactly as a fresh one).
    """
    if k < len(neg):
        cand = np.argpartition(neg, k - 1)[:k]
        cut = neg[cand].max()
        if (cut < 0 or not positive_only) and np.count_nonzero(neg <= cut) > k:
            cand = np.flatnonzero(neg <= cut)
    else:
        cand = np.arange(len(neg))
    vals = neg[cand]
    order = np.argsort(vals, kind="stable")
    vals = vals[order]
    if len(vals) > 1 and not np.all(np.diff(vals)):
        order = np.lexsort((cand, tiebreak[cand], neg[cand]))
        vals = neg[cand][order]
    rows = cand[order]
    return (rows[vals < 0] if positive_only else rows)[:k]


def top_documents(neg: np.ndarray, chunk_doc: np.ndarray, n_docs: int, k: int, *, one_per_doc: bool,
                  positive_only: bool = True) -> np.ndarray:
    """Best chunk row of each of the k best documents; a document scores as its best chunk (max-passage).

    ``chunk_doc[row]`` numbers documents in doc-id order, so equal scores rank by doc id. Takes the
    top k + k/4 + 8 chunks and keeps each document's first; widens only when duplicates leave fewer
    than k documents and more chunks scored.
    """
    if one_per_doc:
        return best_rows(neg, k, chunk_doc, positive_only=positive_only)
    want = k + k // 4 + 8
    while True:
        rows = best_rows(neg, want, chunk_doc, positive_only=positive_only)
        docs = chunk_doc[rows]
        order = np.arange(len(docs))
        seen = np.full(n_docs, _NEVER, np.int64)  # per call: searches may run in threads
        np.minimum.at(seen, docs, order)  # first (best) row of each document
        first = seen[docs] == order
        if first.sum() >= k or len(rows) < want:
            return rows[first][:k]
        want *= 4
