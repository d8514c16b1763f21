"""BM25F weights as pure functions over sparse term-frequency matrices.

Per term t and passage d with fields f (body, title), following Robertson, Zaragoza & Taylor,
"Simple BM25 extension to multiple weighted fields" (CIKM 2004), as Lucene's BM25FQuery does::

    tf~(t, d) = sum_f  w_f * tf_f(t, d) / (1 - b_f + b_f * len_f(d) / avglen_f)
    w(t, d)   = idf(t) * tf~ / (k1 + tf~)
    idf(t)    = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))          (Lucene's non-negative IDF)

With a single field and w = 1 this is exactly Lucene's BM25 as of Lucene 8 (the "lucene" variant of
bm25s; Pyserini), which dropped the classic constant factor (k1 + 1) because it never changes a ranking. A query's score is the sum of w(t, d) over its terms, counting repeated terms again.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def lucene_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """ln(1 + (N - df + 0.5) / (df + 0.5)), never negative."""
    df = df.astype(np.float64)
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


def _length_normalised(tf: sp.csr_matrix, lengths: np.ndarray, b: float) -> sp.csr_matrix:
    avg = float(lengths.mean()) if len(lengths) else 0.0
    out = tf.astype(np.float64, copy=True)
    if avg <= 0:
        return out
    norm = 1.0 - b + b * lengths.astype(np.float64) / avg
    out.data /= np.repeat(norm, np.diff(out.indptr))
    return out


def bm25f_matrix(
    body_tf: sp.csr_matrix,
    body_len: np.ndarray,
    title_tf: sp.csr_matrix,
    title_len: np.ndarray,
    *,
    k1: float,
    b: float,
    title_b: float,
    title_weight: float,
) -> sp.csc_matrix:
    """The passages x terms matrix of w(t, d), column-major so a query reads one slice per term."""
    n_docs = body_tf.shape[0]
    tf = _length_normalised(body_tf, body_len, b)
    if title_weight > 0 and title_tf.nnz:
        tf = tf + title_weight * _length_normalised(title_tf, title_len, title_b)
    tf = sp.csr_matrix(tf)
    present = (body_tf + title_tf) if title_weight > 0 else body_tf
    df = np.bincount(present.indices, minlength=body_tf.shape[1])
    idf = lucene_idf(df, n_docs)
    tf.data = idf[tf.indices] * tf.data / (k1 + tf.data)
    tf.eliminate_zeros()
    return tf.tocsc()
