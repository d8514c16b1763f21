"""The ``semantic`` chunker: group consecutive sentences whose embeddings are similar.

The algorithm is the ``ClusterSemanticChunker`` of Chroma's chunking study (Smith & Troynikov,
"Evaluating Chunking Strategies for Retrieval", Chroma technical report, 2024): embed small pieces,
then choose the segmentation into consecutive groups that maximises the total within-group similarity,
by dynamic programming, under a maximum group length. Here:

- pieces are sentences (:func:`~sleuth.chunking.splitters.sentence_spans`); a sentence longer than the
  budget is cut into fixed word windows first;
- each piece is embedded with the collection's default encoder (all-MiniLM-L6-v2, ``get_encoder("minilm")``,
  loaded on first use; :func:`set_encoder` swaps it, e.g. for tests), vectors L2-normalised;
- with ``S[i, j] = cos(e_i, e_j) - m`` for ``i != j`` (``m`` = mean cosine over all pairs of the
  document's pieces, so that a group must be *more* similar than average to be worth forming) and
  ``S[i, i] = 0``, the reward of a group ``[i, j]`` is ``sum_{i <= p, q <= j} S[p, q]``, and

      best(j) = max over i <= j with words(i..j) <= budget of  best(i - 1) + reward(i, j),   best(-1) = 0

  which is solved exactly in O(n^2) per document (n pieces). Ties go to the longer group, so a
  document of two pieces, or of equally similar pieces, is not cut needlessly.
- ``budget = size - overlap``: with ``overlap`` > 0 each passage then starts with the previous passage's
  last whole pieces, up to ``overlap`` words, so no passage exceeds ``size`` words.

Chroma initialises its table with zeros instead of minus infinity, which lets a group exceed the
maximum length when every reward is negative; this implementation never exceeds the budget.
A document of at most ``budget`` words is one passage and needs no embedding.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from sleuth.chunking.splitters import CHUNKERS, Span, check_sizes, fixed_windows, sentence_spans

_WORD = re.compile(r"\S+")
_encoder: Any = None
_lock = threading.Lock()
_CACHE_SIZE = 200_000
_cache: OrderedDict[bytes, np.ndarray] = OrderedDict()


def set_encoder(encoder: Any) -> None:
    """Use ``encoder`` (anything with ``encode_passages``) instead of the default; None restores it."""
    global _encoder
    with _lock:
        _encoder = encoder
        _cache.clear()


def _get_encoder() -> Any:
    global _encoder
    with _lock:
        if _encoder is None:
            from sleuth.index.encoders import get_encoder

            _encoder = get_encoder("minilm")
        return _encoder


def _embed(texts: list[str]) -> np.ndarray:
    """Vectors of ``texts``, memoised by text (evaluations chunk the same corpus at several sizes)."""
    enc = _get_encoder()
    keys = [hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in _cache}.items())
    if missing:
        vecs = np.asarray(enc.encode_passages([t for _, t in missing]), dtype=np.float32)
        with _lock:
            for (k, _), v in zip(missing, vecs):
                _cache[k] = v
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return np.stack([_cache[k] for k in keys])


def _pieces(text: str, budget: int) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    for a, b in sentence_spans(text):
        n = len(_WORD.findall(text, a, b))
        if n > budget:
            out.extend((a + x, a + y, len(_WORD.findall(text, a + x, a + y)))
                       for x, y in fixed_windows(text[a:b], budget, 0))
        elif n:
            out.append((a, b, n))
    return out


def optimal_groups(sim: np.ndarray, words: list[int], budget: int) -> list[tuple[int, int]]:
    """Inclusive ``(first, last)`` piece ranges maximising within-group similarity (see module doc).

    ``sim`` is the pieces' cosine-similarity matrix, ``words`` their lengths; every group holds at most
    ``budget`` words (each piece must hold at most ``budget`` itself).
    """
    n = len(words)
    if n == 0:
        return []
    s = np.array(sim, dtype=np.float64, copy=True)
    if n > 1:
        s -= s[np.triu_indices(n, k=1)].mean()
    np.fill_diagonal(s, 0.0)
    # prefix sums: reward(i, j) = P[j+1, j+1] - P[i, j+1] - P[j+1, i] + P[i, i]
    p = np.zeros((n + 1, n + 1))
    p[1:, 1:] = s.cumsum(0).cumsum(1)
    cum = np.concatenate([[0], np.cumsum(words)])
    best = np.full(n + 1, -np.inf)
    best[0] = 0.0
    start = np.zeros(n + 1, dtype=np.int64)
    for j in range(1, n + 1):  # groups ending at piece j - 1
        for i in range(j - 1, -1, -1):  # shorter groups first, so ">=" prefers the longer on ties
            if cum[j] - cum[i] > budget:
                break
            r = best[i] + (p[j, j] - p[i, j] - p[j, i] + p[i, i])
            if r >= best[j] - 1e-12:
                best[j], start[j] = r, i
    groups = []
    j = n
    while j > 0:
        groups.append((int(start[j]), j - 1))
        j = int(start[j])
    return groups[::-1]


@CHUNKERS.register("semantic")
def semantic_chunks(text: str, size: int, overlap: int) -> list[Span]:
    """Consecutive sentences grouped by embedding similarity, at most ``size`` words a passage.

    See the module docstring for the algorithm and its source.
    """
    check_sizes(size, overlap)
    budget = size - overlap
    pieces = _pieces(text, budget)
    if not pieces:
        return []
    if sum(w for _, _, w in pieces) <= budget:
        return [(pieces[0][0], pieces[-1][1])]
    vecs = _embed([text[a:b] for a, b, _ in pieces])
    groups = optimal_groups(vecs @ vecs.T, [w for _, _, w in pieces], budget)
    spans = []
    for first, last in groups:
        back, carried = first, 0
        while overlap and back > 0 and carried + pieces[back - 1][2] <= overlap:
            back -= 1
            carried += pieces[back][2]
        spans.append((pieces[back][0], pieces[last][1]))
    return spans
