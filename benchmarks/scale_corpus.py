"""A synthetic corpus of any size for the scale benchmark: documents recombined from real sentences.

Every sentence of the shared BEIR collections (scifact, cranfield, cisi, med, adi, cacm, papers) is a
building block; document ``i`` of a seeded corpus takes a real title and 3-8 real sentences drawn
with ``numpy.random.default_rng(seed)``, so its text is at most one 200-word passage (one passage per
document, as in the issue's measurements). The queries are the 300 SciFact test claims: real
questions whose words have realistic frequencies in such a corpus. The same ``(n, seed)`` always
gives the same documents, for every engine of one run.

Synthetic vectors (``vectors``) stand in for embeddings: a seeded random projection of each
passage's hashed word counts, L2-normalised — so passages sharing words are near each other, as with
a real encoder, and an ANN graph faces a realistic neighbourhood structure, not uniform noise.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

COLLECTIONS = ("scifact", "cranfield", "cisi", "med", "adi", "cacm", "papers")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")
_WORD = re.compile(r"\w\w+")


def load_parts(data_root: Path) -> tuple[list[str], list[str]]:
    """(titles, sentences) of every shared collection found under ``data_root``."""
    titles, sentences = [], []
    for name in COLLECTIONS:
        path = data_root / name / "corpus.jsonl"
        if not path.exists():
            continue
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("title", "").strip():
                titles.append(" ".join(rec["title"].split()))
            for s in _SENTENCE.split(rec.get("text", "")):
                s = " ".join(s.split())
                if 4 <= len(s.split()) <= 60:
                    sentences.append(s)
    if not sentences:
        raise SystemExit(f"No shared collections under {data_root}: the scale corpus is built from their sentences.")
    return titles, sentences


def documents(n: int, titles: list[str], sentences: list[str], seed: int = 0,
              start: int = 0) -> Iterator[tuple[str, str, str]]:
    """(doc_id, title, text) of documents ``start .. n-1`` of the seeded corpus, in order."""
    block = 10_000  # each block of ids has its own generator, so any start is cheap and reproducible
    for b in range(start // block, (n + block - 1) // block):
        rng = np.random.default_rng([seed, b])
        lo, hi = b * block, min(n, (b + 1) * block)
        counts = rng.integers(3, 9, size=block)
        t_pick = rng.integers(0, len(titles), size=block)
        s_pick = rng.integers(0, len(sentences), size=int(counts.sum()))
        pos = np.concatenate([[0], np.cumsum(counts)])
        for j in range(max(lo, start) - lo, hi - lo):
            text = " ".join(sentences[k] for k in s_pick[pos[j] : pos[j + 1]])
            yield f"s{lo + j}", titles[t_pick[j]], text


def queries(data_root: Path) -> list[str]:
    """The SciFact test claims (300), the queries of every timing."""
    judged = {line.split("\t")[0] for line in open(data_root / "scifact" / "qrels" / "test.tsv") if line[:1].isdigit()}
    out = []
    for line in open(data_root / "scifact" / "queries.jsonl", encoding="utf-8"):
        rec = json.loads(line)
        if rec["_id"] in judged:
            out.append(rec["text"])
    return out


def vectors(texts: list[str], dim: int = 384, seed: int = 0, buckets: int = 4096) -> np.ndarray:
    """Unit vectors: a seeded Gaussian projection of hashed word counts (see the module docstring)."""
    proj = np.random.default_rng(seed).standard_normal((buckets, dim)).astype(np.float32)
    rows, cols = [], []
    for i, t in enumerate(texts):
        ids = [zlib.crc32(w.encode()) % buckets for w in _WORD.findall(t.lower())]
        rows += [i] * len(ids)
        cols += ids
    counts = np.zeros((len(texts), buckets), np.float32)
    np.add.at(counts, (np.array(rows, np.int64), np.array(cols, np.int64)), 1.0)
    v = np.log1p(counts) @ proj
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return v.astype(np.float32)
