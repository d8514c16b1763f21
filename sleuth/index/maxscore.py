"""Exact top-k documents under BM25F without scoring every passage: MaxScore over segments.

MaxScore (Turtle & Flood, "Query evaluation: strategies and optimizations", IP&M 1995), term at a
time: each query term t has an upper bound UB(t) on its weight in any passage (from the segments'
impact frontiers, see :mod:`sleuth.index.postings`). Terms are taken in decreasing UB; after each
one, theta is a lower bound on the k-th best *document* score (the k-th distinct document among the
partial scores: a partial score never exceeds the full one). As soon as the UBs of the terms not
yet taken sum to less than theta, no passage outside the postings read so far can reach the top k,
so the remaining ("non-essential") terms are only looked up, by binary search, for the candidates
whose bound still reaches theta. Common terms have low IDF, hence low UB: their long postings are
binary-searched, not read. The result is exact: the same documents, scores and order as scoring
every passage (a differential test checks it), with documents ranked by their best passage and
ties broken by document id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sleuth.index.bm25 import FieldStats, lucene_idf, pseudo_tf, saturate
from sleuth.index.postings import Segment

_SLACK = 1e-9  # relative: bounds and cut-offs absorb float rounding, never exclude a true top-k passage


@dataclass(frozen=True)
class Term:
    text: str
    qtf: int  # times it occurs in the query
    local: np.ndarray  # its local id in each segment, -1 where absent
    idf: float
    ub: float


def _frontier_max(seg: Segment, local: int, field: str, b: float, avg: float) -> float:
    a = seg.a
    ptr = a[f"{field}_ptr"]
    lo, hi = int(ptr[local]), int(ptr[local + 1])
    if lo == hi:
        return 0.0
    tf = np.asarray(a[f"{field}_tf"][lo:hi], dtype=np.float64)
    length = np.asarray(a[f"{field}_len"][lo:hi], dtype=np.float64)
    norm = 1.0 - b + b * length / avg if avg > 0 else 1.0
    return float(np.max(tf / norm))


def prepare_terms(segments: Sequence[Segment], terms: dict[str, int], hashes: np.ndarray, s: FieldStats) -> list[Term]:
    """Per distinct query term: local ids, live df across segments, IDF and its weight's upper bound."""
    names = list(terms)
    locals_ = np.array([seg.find(hashes, names) for seg in segments]).reshape(len(segments), len(names))
    out = []
    for j, name in enumerate(names):
        df, body, title = 0, 0.0, 0.0
        for seg, local in zip(segments, locals_[:, j].tolist()):
            if local < 0:
                continue
            df += int((seg.df if s.title_weight > 0 else seg.dfb)[local])
            body = max(body, _frontier_max(seg, local, "fb", s.b, s.avg_body))
            if s.title_weight > 0:
                title = max(title, _frontier_max(seg, local, "ft", s.title_b, s.avg_title))
        if df == 0:
            continue
        idf = float(lucene_idf(np.array([df]), s.n)[0])
        ub = terms[name] * idf * float(saturate(body + s.title_weight * title, s.k1)) * (1 + _SLACK)
        out.append(Term(name, terms[name], locals_[:, j].copy(), idf, ub))
    return out


def _postings(seg: Segment, local: int) -> tuple[int, int]:
    return int(seg.post_ptr[local]), int(seg.post_ptr[local + 1])


def _weights(seg: Segment, idx: np.ndarray | slice, rows: np.ndarray, t: Term, s: FieldStats) -> np.ndarray:
    tf = pseudo_tf(seg.post_tfb[idx], seg.post_tft[idx], seg.row_lenb[rows], seg.row_lent[rows], s)
    return t.qtf * t.idf * saturate(tf, s.k1)


def _read(segments: Sequence[Segment], t: Term, s: FieldStats) -> tuple[np.ndarray, np.ndarray]:
    """(row key, weight) of every live posting of ``t``; a row key is segment << 32 | row."""
    keys, weights = [], []
    for si, (seg, local) in enumerate(zip(segments, t.local.tolist())):
        if local < 0:
            continue
        lo, hi = _postings(seg, local)
        rows = np.asarray(seg.post_row[lo:hi], dtype=np.int64)
        w = _weights(seg, slice(lo, hi), rows, t, s)
        keep = w > 0
        if seg.live is not None:
            keep &= seg.live[rows]
        keys.append((si << 32) | rows[keep])
        weights.append(w[keep])
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(keys), np.concatenate(weights)


def _lookup(segments: Sequence[Segment], t: Term, keys: np.ndarray, s: FieldStats) -> np.ndarray:
    """Weight of ``t`` in each candidate row (``keys`` sorted), 0 where it does not occur."""
    out = np.zeros(len(keys))
    seg_of = keys >> 32
    for si, (seg, local) in enumerate(zip(segments, t.local.tolist())):
        if local < 0:
            continue
        a, b = np.searchsorted(seg_of, [si, si + 1])
        if a == b:
            continue
        rows = keys[a:b] & 0xFFFFFFFF
        lo, hi = _postings(seg, local)
        plist = seg.post_row[lo:hi]
        pos = np.searchsorted(plist, rows)
        hit = pos < len(plist)
        hit[hit] = plist[pos[hit]] == rows[hit]
        if hit.any():
            out[a:b][hit] = _weights(seg, lo + pos[hit], rows[hit], t, s)
    return out


def _doc_keys(segments: Sequence[Segment], keys: np.ndarray) -> np.ndarray:
    out = np.empty(len(keys), np.int64)
    seg_of = keys >> 32
    for si, seg in enumerate(segments):
        a, b = np.searchsorted(seg_of, [si, si + 1])
        if a < b:
            out[a:b] = (si << 32) | np.asarray(seg.row_doc)[keys[a:b] & 0xFFFFFFFF].astype(np.int64)
    return out


def _theta(segments: Sequence[Segment], keys: np.ndarray, scores: np.ndarray, k: int) -> float:
    """A lower bound on the k-th best document score: the score at which k distinct documents are seen."""
    if len(keys) < k:
        return 0.0
    m = min(len(keys), 4 * k)
    top = np.argpartition(-scores, m - 1)[:m] if m < len(keys) else np.arange(len(keys))
    top = top[np.argsort(-scores[top], kind="stable")]
    sel = keys[top]
    order = np.argsort(sel)
    docs = np.empty(m, np.int64)
    docs[order] = _doc_keys(segments, sel[order])
    _, first = np.unique(docs, return_index=True)
    if len(first) < k:
        return 0.0
    return float(scores[top[np.sort(first)[k - 1]]])


def _accumulate(keys: np.ndarray, scores: np.ndarray, more_keys: np.ndarray, more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, inverse = np.unique(np.concatenate([keys, more_keys]), return_inverse=True)
    return uniq, np.bincount(inverse, weights=np.concatenate([scores, more]), minlength=len(uniq))


def top_k(segments: Sequence[Segment], terms: list[Term], s: FieldStats, k: int) -> list[tuple[float, int, int]]:
    """(score, segment, row) of the best passage of each of the k best documents, best first."""
    if not terms or k <= 0:
        return []
    order = sorted(terms, key=lambda t: -t.ub)
    keys, scores = np.zeros(0, np.int64), np.zeros(0)
    theta, rest = 0.0, sum(t.ub for t in order)
    taken = 0
    for t in order:
        if taken and rest < theta:
            break
        keys, scores = _accumulate(keys, scores, *_read(segments, t, s))
        rest -= t.ub
        taken += 1
        theta = _theta(segments, keys, scores, k)
    for t in order[taken:]:
        alive = scores + rest >= theta * (1 - _SLACK)
        keys, scores = keys[alive], scores[alive]
        scores = scores + _lookup(segments, t, keys, s)
        rest -= t.ub
    return _rank(segments, keys, scores, k, terms, s)


def _rank(segments: Sequence[Segment], keys: np.ndarray, scores: np.ndarray, k: int, terms: list[Term],
          s: FieldStats) -> list[tuple[float, int, int]]:
    if not len(keys):
        return []
    docs = _doc_keys(segments, keys)
    # Best passage per document (lowest chunk row on ties), then the documents near the cut.
    order = np.lexsort((keys, -scores, docs))
    first = np.ones(len(order), bool)
    first[1:] = docs[order][1:] != docs[order][:-1]
    best = order[first]
    if len(best) > k:
        kth = -np.partition(-scores[best], k - 1)[k - 1]
        best = best[scores[best] >= kth * (1 - _SLACK)]
    # Rescore the survivors with the terms in one fixed order, so the sum (and a tie) does not depend
    # on the order MaxScore happened to take them in, nor on how rows are split into segments.
    sel = np.sort(keys[best])
    exact = np.zeros(len(sel))
    for t in sorted(terms, key=lambda t: t.text):
        exact += _lookup(segments, t, sel, s)
    names = [segments[int(key >> 32)].doc_name(int(segments[int(key >> 32)].row_doc[int(key & 0xFFFFFFFF)]))
             for key in sel.tolist()]
    ranked = sorted(range(len(sel)), key=lambda i: (-exact[i], names[i]))[:k]
    return [(float(exact[i]), int(sel[i] >> 32), int(sel[i] & 0xFFFFFFFF)) for i in ranked if exact[i] > 0]
