"""A deterministic stand-in encoder for narrow unit tests of the vector store (never the only test:
tests/index/test_encoders.py and the dense tests run the real packaged model)."""

from __future__ import annotations

import hashlib
import re

import numpy as np

DIM = 64


class HashEncoder:
    """Bag of words hashed into 64 dimensions, L2-normalised: similar word sets -> similar vectors."""

    model_id = "test-hash-64"
    dim = DIM
    checksum = "0" * 16

    def __init__(self, model_id: str = "test-hash-64", checksum: str = "0" * 16) -> None:
        self.model_id, self.checksum = model_id, checksum
        self.calls = 0

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(DIM, np.float32)
        for w in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "little")
            v[h % DIM] += 1.0 if (h >> 16) & 1 else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_passages(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        self.calls += 1
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_passages(texts)
