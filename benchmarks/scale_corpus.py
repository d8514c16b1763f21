"""A synthetic corpus of any size for the scale benchmark: documents recombined from real sentences.

Every sentence of the shared BEIR collections (scifact, cranfield, cisi, med, adi, cacm, papers) is a
building block; document ``i`` of a seeded corpus takes a real title and 3-8 real sentences drawn
with ``numpy.random.default_rng(seed)``, so its text is at most one 200-word passage (one passage per
document, as in the issue's measurements). The queries are the 300 SciFact test claims: real
questions whose words have realistic frequencies in such a corpus. The same ``(n, seed)`` always
gives the same documents, for every engine of one run.

Synthetic vectors (``document_vectors``) stand in for embedding a million passages (hours on 2 cores):
each document's vector is the normalised sum of the real MiniLM vectors of its title and sentences
(embedded once, ``part_vectors``), so an ANN graph faces the geometry of real embeddings, and the
queries are the real MiniLM vectors of the claims.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

COLLECTIONS = ("scifact", "cranfield", "cisi", "med", "adi", "cacm", "papers")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


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


def part_vectors(titles: list[str], sentences: list[str], cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """Real all-MiniLM-L6-v2 vectors (sleuth's encoder) of every title and sentence, cached in ``cache``."""
    if cache.exists():
        with np.load(cache) as z:
            if len(z["titles"]) == len(titles) and len(z["sentences"]) == len(sentences):
                return z["titles"], z["sentences"]
    from sleuth.index.encoders import get_encoder

    enc = get_encoder("minilm")
    t = enc.encode_passages(titles, progress=True)
    s = enc.encode_passages(sentences, progress=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, titles=t, sentences=s)
    return t, s


def document_vectors(n: int, title_vecs: np.ndarray, sentence_vecs: np.ndarray, seed: int = 0,
                     start: int = 0) -> Iterator[np.ndarray]:
    """Unit vectors of documents ``start .. n-1``, block by block (10,000 rows each, the last shorter):
    the normalised sum of the real vectors of the document's title and sentences. A stand-in for
    embedding every synthetic document (hours on 2 cores) with the geometry of real embeddings."""
    block = 10_000
    for b in range(start // block, (n + block - 1) // block):
        rng = np.random.default_rng([seed, b])  # the same draws as documents()
        lo, hi = b * block, min(n, (b + 1) * block)
        counts = rng.integers(3, 9, size=block)
        t_pick = rng.integers(0, len(title_vecs), size=block)
        s_pick = rng.integers(0, len(sentence_vecs), size=int(counts.sum()))
        owner = np.repeat(np.arange(block), counts)
        v = np.zeros((block, title_vecs.shape[1]), np.float32)
        np.add.at(v, owner, sentence_vecs[s_pick])
        v += title_vecs[t_pick]
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        yield v[max(lo, start) - lo : hi - lo]
