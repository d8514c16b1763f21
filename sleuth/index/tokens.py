"""Batch analysis for indexing: many texts to (row, term id) arrays without a Python object per token.

It gives exactly the terms of :meth:`sleuth.text.Analyzer.terms` (a differential test checks it on
random Unicode), but tokenises in numpy: the lower-cased texts of a batch are joined, viewed as UTF-32
code points, and runs of word characters (Python's ``\\w``, read off the ``re`` module itself) of
length >= 2 are the words. Each word is identified by a polynomial hash of its code points,

    h(w) = sum_j  c_j * P^j  (mod 2^64),   P odd,

computed for every run at once from prefix sums (Karp & Rabin 1987): with S_i = sum_{j<i} c_j P^j,
h(text[a:b]) = (S_b - S_a) * P^-a, where P^-1 is P's inverse mod 2^64. Only a word not seen before in
this process is turned into a Python string, stop-listed and stemmed, once. Analysis of a typical
abstract drops from ~120 µs to ~15 µs (``benchmarks/bench_scale.py`` measures ingest end to end).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

from sleuth.text import Analyzer

_P = np.uint64(0x100000001B3)  # the 64-bit FNV prime: odd, so invertible mod 2^64
_P_INV = np.uint64(pow(int(_P), -1, 2**64))
_UNKNOWN = -2
_SEP = "\n"  # not a word character and not case-ignorable: lower() of the join = join of the lower()s


@lru_cache(maxsize=1)
def word_table() -> np.ndarray:
    """``table[c]`` is True where code point ``c`` is a word character for ``re`` (``\\w``)."""
    chars = "".join(map(chr, range(0x110000)))
    table = np.zeros(0x110000, bool)
    table[[m.start() for m in re.finditer(r"\w", chars)]] = True
    return table


def term_hash(term: str) -> int:
    """A stable 64-bit id of an index term (stored in segments, so never Python's salted ``hash``)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def term_hashes(terms: list[str]) -> np.ndarray:
    return np.fromiter((term_hash(t) for t in terms), np.uint64, count=len(terms))


class Vocabulary:
    """Index terms numbered in order of first appearance, fed by :func:`analyze`."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []

    def id(self, term: str) -> int:
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return found


class BatchAnalyzer:
    """Turns batches of texts into term ids of one :class:`Vocabulary`, as ``analyzer.terms`` would."""

    def __init__(self, analyzer: Analyzer, vocab: Vocabulary | None = None) -> None:
        self.analyzer = analyzer
        self.vocab = vocab or Vocabulary()
        # Words seen so far: sorted hashes and their term ids (-1 for a stop word).
        self._keys = np.zeros(0, np.uint64)
        self._ids = np.zeros(0, np.int64)

    def _known(self, keys: np.ndarray) -> np.ndarray:
        out = np.full(len(keys), _UNKNOWN, np.int64)
        if len(self._keys):
            pos = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
            hit = self._keys[pos] == keys
            out[hit] = self._ids[pos[hit]]
        return out

    def _learn(self, keys: np.ndarray, ids: np.ndarray) -> None:
        at = np.searchsorted(self._keys, keys)
        self._keys = np.insert(self._keys, at, keys)
        self._ids = np.insert(self._ids, at, ids)

    def analyze(self, texts: list[str], batch: int = 512) -> tuple[np.ndarray, np.ndarray]:
        """(row, term id) of every term occurrence, rows in order, terms in text order within a row.

        Texts are tokenised ``batch`` at a time, which keeps the per-character arrays small (and cached).
        """
        rows, terms = [], []
        for i in range(0, len(texts), batch):
            r, t = self._analyze(texts[i : i + batch])
            rows.append(r + i)
            terms.append(t)
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(rows), np.concatenate(terms)

    def _analyze(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        if not texts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        lowered = [t.lower() for t in texts]
        big = _SEP.join(lowered)
        codes = np.frombuffer(big.encode("utf-32-le", "surrogatepass"), np.uint32)
        word = np.zeros(len(codes) + 2, np.int8)
        word[1:-1] = word_table()[codes]
        edges = np.diff(word)
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        keep = ends - starts >= 2
        starts, ends = starts[keep], ends[keep]
        if not len(starts):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        keys, inverse = np.unique(_run_hashes(codes, starts, ends), return_inverse=True)
        ids = self._known(keys)
        missing = np.flatnonzero(ids == _UNKNOWN)
        if len(missing):
            first = np.zeros(len(keys), np.int64)
            first[inverse[::-1]] = np.arange(len(inverse))[::-1]  # the first occurrence of each word
            ids[missing] = [self._term_of(big[starts[i] : ends[i]]) for i in first[missing].tolist()]
            self._learn(keys[missing], ids[missing])
        terms = ids[inverse]
        bounds = np.cumsum([len(t) + 1 for t in lowered])
        rows = np.searchsorted(bounds, starts, side="right")
        real = terms >= 0
        return rows[real], terms[real]

    def _term_of(self, word: str) -> int:
        if word in self.analyzer._stop:
            return -1
        return self.vocab.id(self.analyzer._normalise([word])[0])


@lru_cache(maxsize=1)
def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P^i and P^-i for i < n (cached: every batch of about the same size reuses them)."""
    out = []
    for base in (_P, _P_INV):
        p = np.empty(n, np.uint64)
        p[0] = 1
        p[1:] = base
        out.append(np.cumprod(p))
    return out[0], out[1]


def _run_hashes(codes: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """h(codes[a:b]) for each run (see the module docstring); uint64 arithmetic wraps mod 2^64."""
    n = 1 << max(int(len(codes)).bit_length(), 16)  # a power of two >= len + 1: few distinct cache keys
    powers, inv_powers = _powers(n)
    prefix = np.zeros(len(codes) + 1, np.uint64)
    np.cumsum(codes * powers[: len(codes)], out=prefix[1:])
    h = (prefix[ends] - prefix[starts]) * inv_powers[starts]
    # Mix in the length so two different words collide only if both hash and length agree.
    return h ^ (ends - starts).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
