"""Vector quantisation, pure functions: int8 per-vector scalar quantisation and sign bits."""

from __future__ import annotations

import numpy as np


def quantize_int8(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row symmetric scalar quantisation: q = round(v / s), s = max|v| / 127; v ≈ q * s."""
    scale = np.abs(m).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.rint(m / scale[:, None]).astype(np.int8)
    return q, scale.astype(np.float32)


def pack_signs(m: np.ndarray) -> np.ndarray:
    """One bit per dimension, set where the component is positive; 8 dimensions per byte."""
    return np.packbits(m > 0, axis=1)


def hamming(packed: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distance between each packed row and one packed query."""
    return np.bitwise_count(packed ^ query).sum(axis=1, dtype=np.int32)
