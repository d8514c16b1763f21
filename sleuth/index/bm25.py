"""BM25F weights as pure functions over postings.

Per term t and passage d with fields f (body, title), following Robertson, Zaragoza & Taylor,
"Simple BM25 extension to multiple weighted fields" (CIKM 2004), as Lucene's BM25FQuery does::

    tf~(t, d) = sum_f  w_f * tf_f(t, d) / (1 - b_f + b_f * len_f(d) / avglen_f)
    w(t, d)   = idf(t) * tf~ / (k1 + tf~)
    idf(t)    = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))          (Lucene's non-negative IDF)

With a single field and w = 1 this is exactly Lucene's BM25 as of Lucene 8 (the "lucene" variant of
bm25s; Pyserini), which dropped the classic constant factor (k1 + 1) because it never changes a ranking.
A query's score is the sum of w(t, d) over its terms, counting repeated terms again. N, the average
lengths and df are over the live passages; df counts passages where the term occurs in any weighted
field (the body alone when the title weight is 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def lucene_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """ln(1 + (N - df + 0.5) / (df + 0.5)), never negative."""
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class FieldStats:
    """The collection-wide statistics a BM25F weight needs, and the parameters."""

    n: int  # live passages
    avg_body: float
    avg_title: float
    k1: float
    b: float
    title_b: float
    title_weight: float


def inverse_norm(length: np.ndarray, b: float, avg: float) -> np.ndarray | float:
    """1 / (1 - b + b * len / avglen), or 1 when there is no average length (every field empty)."""
    if avg <= 0:
        return 1.0
    return 1.0 / (1.0 - b + b * np.asarray(length, dtype=np.float64) / avg)


def weight(tfb: np.ndarray, tft: np.ndarray, inv_body: np.ndarray, inv_title: np.ndarray | float,
           idf: float, k1: float) -> np.ndarray:
    """w(t, d) of the formula above, with ``inv_title`` = w_title * inverse_norm(title) (0: no title field)."""
    tf = tfb * inv_body if np.isscalar(inv_title) and inv_title == 0 else tfb * inv_body + tft * inv_title
    return idf * tf / (k1 + tf)


def saturate(tf: np.ndarray | float, k1: float) -> np.ndarray | float:
    """tf~ / (k1 + tf~): increasing in tf~, so a bound on tf~ bounds the weight."""
    return tf / (k1 + tf)


def _length_normalised(tf, lengths: np.ndarray, b: float):  # noqa: ANN001, ANN202 - scipy CSR
    avg = float(lengths.mean()) if len(lengths) else 0.0
    out = tf.astype(np.float64, copy=True)
    if avg <= 0:
        return out
    out.data /= np.repeat(1.0 - b + b * lengths.astype(np.float64) / avg, np.diff(out.indptr))
    return out


def bm25f_matrix(body_tf, body_len: np.ndarray, title_tf, title_len: np.ndarray, *, k1: float, b: float,  # noqa: ANN001
                 title_b: float, title_weight: float):  # noqa: ANN201 - scipy CSC
    """The passages x terms matrix of w(t, d) for texts held in memory (chunking evaluation scores
    every passage of a document set this way), column-major so a query reads one slice per term."""
    import scipy.sparse as sp

    n_docs = body_tf.shape[0]
    tf = _length_normalised(body_tf, body_len, b)
    if title_weight > 0 and title_tf.nnz:
        tf = tf + title_weight * _length_normalised(title_tf, title_len, title_b)
    tf = sp.csr_matrix(tf)
    present = (body_tf + title_tf) if title_weight > 0 else body_tf
    df = np.bincount(sp.csr_matrix(present).indices, minlength=body_tf.shape[1])
    idf = lucene_idf(df, n_docs)
    tf.data = idf[tf.indices] * tf.data / (k1 + tf.data)
    tf.eliminate_zeros()
    return tf.tocsc()
