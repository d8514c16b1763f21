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

from sleuth.index.bm25 import FieldStats, inverse_norm, lucene_idf, saturate, weight
from sleuth.index.postings import Segment

_SLACK = 1e-9  # relative: bounds and cut-offs absorb float rounding, never exclude a true top-k passage


@dataclass(frozen=True)
class Term:
    text: str
    qtf: int  # times it occurs in the query
    local: np.ndarray  # its local id in each segment, -1 where absent
    idf: float
    ub: float


def _frontier_max(seg: Segment, locals_: np.ndarray, field: str, b: float, avg: float) -> np.ndarray:
    """Per term (local ids, all present), the largest normalised tf of ``field`` among its postings."""
    a = seg.a
    ptr = a[f"{field}_ptr"]
    lo, hi = ptr[locals_], ptr[locals_ + 1]
    sizes = hi - lo
    out = np.zeros(len(locals_))
    if not sizes.sum():
        return out
    idx = np.repeat(lo - np.r_[0, np.cumsum(sizes)[:-1]], sizes) + np.arange(int(sizes.sum()))
    vals = a[f"{field}_tf"][idx] * inverse_norm(a[f"{field}_len"][idx], b, avg)
    has = sizes > 0
    starts = np.r_[0, np.cumsum(sizes)[:-1]][has]
    out[has] = np.maximum.reduceat(vals, starts)
    return out


def prepare_terms(segments: Sequence[Segment], terms: dict[str, int], hashes: np.ndarray, s: FieldStats) -> list[Term]:
    """Per distinct query term: local ids, live df across segments, IDF and its weight's upper bound."""
    names = list(terms)
    locals_ = np.array([seg.find(hashes, names) for seg in segments], np.int64).reshape(len(segments), len(names))
    df = np.zeros(len(names), np.int64)
    body, title = np.zeros(len(names)), np.zeros(len(names))
    for seg, loc in zip(segments, locals_):
        here = np.flatnonzero(loc >= 0)
        if not len(here):
            continue
        df[here] += (seg.df if s.title_weight > 0 else seg.dfb)[loc[here]]
        body[here] = np.maximum(body[here], _frontier_max(seg, loc[here], "fb", s.b, s.avg_body))
        if s.title_weight > 0:
            title[here] = np.maximum(title[here], _frontier_max(seg, loc[here], "ft", s.title_b, s.avg_title))
    idf = lucene_idf(df, s.n)
    qtf = np.array([terms[n] for n in names], np.float64)
    ub = qtf * idf * saturate(body + s.title_weight * title, s.k1) * (1 + _SLACK)
    return [Term(name, terms[name], locals_[:, j].copy(), float(idf[j]), float(ub[j]))
            for j, name in enumerate(names) if df[j] > 0]


def _postings(seg: Segment, local: int) -> tuple[int, int]:
    return int(seg.post_ptr[local]), int(seg.post_ptr[local + 1])


def _inverse_norms(seg: Segment, rows: np.ndarray, s: FieldStats) -> tuple[np.ndarray, np.ndarray | float]:
    nb = np.broadcast_to(inverse_norm(seg.row_lenb[rows], s.b, s.avg_body), rows.shape)
    if s.title_weight <= 0:
        return nb, 0.0
    return nb, s.title_weight * np.broadcast_to(inverse_norm(seg.row_lent[rows], s.title_b, s.avg_title), rows.shape)


def _read(segments: Sequence[Segment], t: Term, s: FieldStats) -> tuple[np.ndarray, np.ndarray]:
    """(row key, weight) of every live posting of ``t``; a row key is segment << 32 | row."""
    keys, weights = [], []
    for si, (seg, local) in enumerate(zip(segments, t.local.tolist())):
        if local < 0:
            continue
        lo, hi = _postings(seg, local)
        rows = seg.post_row[lo:hi].astype(np.int64)
        nb, nt = _inverse_norms(seg, rows, s)
        w = weight(seg.post_tfb[lo:hi], seg.post_tft[lo:hi], nb, nt, t.qtf * t.idf, s.k1)
        keep = w > 0
        if seg.live is not None:
            keep &= seg.live[rows]
        keys.append((si << 32) | rows[keep])
        weights.append(w[keep])
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(keys), np.concatenate(weights)


class Candidates:
    """Sorted row keys, split by segment once, with each row's inverse field norms computed once:
    every term looked up for the same candidates reuses them."""

    def __init__(self, segments: Sequence[Segment], keys: np.ndarray, s: FieldStats) -> None:
        self.segments, self.keys, self.k1 = segments, keys, s.k1
        seg_of = keys >> 32
        bounds = np.searchsorted(seg_of, np.arange(len(segments) + 1))
        self.parts = []
        for si in range(len(segments)):
            a, b = int(bounds[si]), int(bounds[si + 1])
            if a < b:
                rows = keys[a:b] & 0xFFFFFFFF
                self.parts.append((si, a, b, rows, *_inverse_norms(segments[si], rows, s)))

    def lookup(self, t: Term) -> np.ndarray:
        """Weight of ``t`` in each candidate row, 0 where it does not occur (binary search per segment)."""
        out = np.zeros(len(self.keys))
        for si, a, b, rows, nb, nt in self.parts:
            local = int(t.local[si])
            if local < 0:
                continue
            seg = self.segments[si]
            lo, hi = _postings(seg, local)
            plist = seg.post_row[lo:hi]
            pos = np.searchsorted(plist, rows)
            pos[pos == len(plist)] = 0
            hit = plist[pos] == rows
            if hit.any():
                at = lo + pos[hit]
                out[a:b][hit] = weight(seg.post_tfb[at], seg.post_tft[at], nb[hit], nt if np.isscalar(nt) else nt[hit],
                                       t.qtf * t.idf, self.k1)
        return out

    def doc_keys(self) -> np.ndarray:
        out = np.empty(len(self.keys), np.int64)
        for si, a, b, rows, _, _ in self.parts:
            out[a:b] = (si << 32) | self.segments[si].row_doc[rows].astype(np.int64)
        return out


def _doc_keys(segments: Sequence[Segment], keys: np.ndarray) -> np.ndarray:
    out = np.empty(len(keys), np.int64)
    seg_of = keys >> 32
    bounds = np.searchsorted(seg_of, np.arange(len(segments) + 1))
    for si, seg in enumerate(segments):
        a, b = int(bounds[si]), int(bounds[si + 1])
        if a < b:
            out[a:b] = (si << 32) | seg.row_doc[keys[a:b] & 0xFFFFFFFF].astype(np.int64)
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
    """Sum two sorted (key, score) lists by key. A stable sort of two sorted runs is a linear merge."""
    if not len(keys):
        return more_keys, more
    cat = np.concatenate([keys, more_keys])
    order = np.argsort(cat, kind="stable")
    cat, vals = cat[order], np.concatenate([scores, more])[order]
    first = np.ones(len(cat), bool)
    first[1:] = cat[1:] != cat[:-1]
    starts = np.flatnonzero(first)
    return cat[starts], np.add.reduceat(vals, starts)


def _seed(segments: Sequence[Segment], order: list[Term], s: FieldStats, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The highest-bound term's postings (usually the rarest, the shortest) and a first theta: the full
    scores of their documents, each looked up in every other term's postings."""
    keys, weights = _read(segments, order[0], s)
    if len(keys) < k or len(keys) > SEED_MAX or len(order) == 1:
        return keys, weights, 0.0
    full = weights.copy()
    cands = Candidates(segments, keys, s)
    for t in order[1:]:
        full += cands.lookup(t)
    return keys, weights, _theta(segments, keys, full, k)


SEED_MAX = 20_000
"""Seeding is skipped when the best term's postings are longer than this (then it would cost more)."""


def top_k(segments: Sequence[Segment], terms: list[Term], s: FieldStats, k: int) -> list[tuple[float, int, int]]:
    """(score, segment, row) of the best passage of each of the k best documents, best first."""
    if not terms or k <= 0:
        return []
    order = sorted(terms, key=lambda t: -t.ub)
    keys, scores, seeded = _seed(segments, order, s, k)
    rest = sum(t.ub for t in order[1:])
    theta = max(seeded, _theta(segments, keys, scores, k))
    taken = 1
    for t in order[1:]:
        if rest < theta:
            break
        keys, scores = _accumulate(keys, scores, *_read(segments, t, s))
        rest -= t.ub
        taken += 1
        theta = max(theta, _theta(segments, keys, scores, k))
    cands = None
    for t in order[taken:]:
        alive = scores + rest >= theta * (1 - _SLACK)
        if cands is None or not alive.all():
            keys, scores = keys[alive], scores[alive]
            cands = Candidates(segments, keys, s)
        scores = scores + cands.lookup(t)
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
    cands = Candidates(segments, sel, s)
    for t in sorted(terms, key=lambda t: t.text):
        exact += cands.lookup(t)
    names = [segments[int(key >> 32)].doc_name(int(segments[int(key >> 32)].row_doc[int(key & 0xFFFFFFFF)]))
             for key in sel.tolist()]
    ranked = sorted(range(len(sel)), key=lambda i: (-exact[i], names[i]))[:k]
    return [(float(exact[i]), int(sel[i] >> 32), int(sel[i] & 0xFFFFFFFF)) for i in ranked if exact[i] > 0]
