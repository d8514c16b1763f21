"""The chunking runner (sleuth.evaluate.chunking): how it ranks chunks and scores them with BM25."""

from __future__ import annotations

import numpy as np
import pytest

from sleuth.evaluate.chunking import bm25_scorer
from sleuth.index.bm25 import lucene_idf
from sleuth.index.topk import best_rows


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The runner's ranking of chunks: best first, ties by chunk order, zero scores kept."""
    return best_rows(-scores, k, np.arange(len(scores)), positive_only=False)


def test_chunk_ranking_is_deterministic_on_ties():
    scores = np.array([0.5, 0.9, 0.5, 0.9, 0.1])
    assert top_k(scores, 3).tolist() == [1, 3, 0]
    assert top_k(scores, 10).tolist() == [1, 3, 0, 2, 4]
    assert top_k(np.zeros(4), 2).tolist() == [0, 1]


def test_bm25_over_chunk_texts_by_hand():
    # "glacier" is in chunk 0 (twice) and chunk 1; avg length 2.5 terms (stop words dropped).
    texts = ["glacier glacier ice", "glacier melt", "ocean", "the of and"]
    score = bm25_scorer(texts)
    lengths, avg, k1, b = np.array([3, 2, 1, 0]), 1.5, 1.5, 0.75
    idf = lucene_idf(np.array([2]), 4)[0]
    tf = np.array([2, 1, 0, 0]) / (1 - b + b * lengths / avg)
    assert score("glaciers?") == pytest.approx(idf * tf / (k1 + tf))
    assert score("nothing here").tolist() == [0, 0, 0, 0]
