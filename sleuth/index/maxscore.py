"""Exact top-k documents under BM25F without scoring every passage: MaxScore over segments.

MaxScore (Turtle & Flood, "Query evaluation: strategies and optimizations", IP&M 1995), term at a
time: each query term t has an upper bound UB(t) on its weight in any passage (from the segments'
impact frontiers, see :mod:`sleuth.index.postings`). Terms are taken in decreasing UB; after each
one, theta is a lower bound on the k-th best *document* score: the k-th distinct document among
the full scores of the few best partial candidates, completed by binary search in the other terms'
postings (any set of fully scored documents bounds the k-th best from below). As soon as the UBs of the terms not
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


def prepare_terms(segments: Sequence[Segment], terms: dict[str, int], hashes: np.ndarray, s: FieldStats,
                  bounds: bool = True) -> list[Term]:
    """Per distinct query term: local ids, live df across segments, IDF and (``bounds``) its weight's
    upper bound (only MaxScore needs it)."""
    names = list(terms)
    locals_ = np.array([seg.find(hashes, names) for seg in segments], np.int64).reshape(len(segments), len(names))
    df = np.zeros(len(names), np.int64)
    body, title = np.zeros(len(names)), np.zeros(len(names))
    for seg, loc in zip(segments, locals_):
        here = np.flatnonzero(loc >= 0)
        if not len(here):
            continue
        df[here] += (seg.df if s.title_weight > 0 else seg.dfb)[loc[here]]
        if not bounds:
            continue
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


class Scratch:
    """Per-thread work arrays over every row of the segments, zero between queries: a score
    accumulator and a row -> candidate map. Allocated once (lazily zeroed pages), and a query resets
    only the rows it touched, so no query pays for the rows it does not touch."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self.bases = np.r_[0, np.cumsum([seg.rows for seg in segments])].astype(np.int64)
        self.acc = np.zeros(int(self.bases[-1]))
        self.pos = np.zeros(int(self.bases[-1]), np.int32)

    def keys(self, g: np.ndarray) -> np.ndarray:
        """Global rows -> row keys (segment << 32 | row), order kept."""
        si = np.searchsorted(self.bases, g, side="right") - 1
        return (si << 32) | (g - self.bases[si])


def _refine(segments: Sequence[Segment], scratch: Scratch, g: np.ndarray, partial: np.ndarray, rest: list[Term],
            s: FieldStats, k: int) -> float:
    """A lower bound on theta from full scores: the REFINE x k best partial candidates, each looked up in
    the terms not read yet. Cheap (a few dozen rows), and it lifts theta long before the postings
    read so far could, so that fewer terms are essential and fewer candidates survive."""
    m = min(len(g), REFINE * k)
    if m < k:
        return 0.0
    top = np.argpartition(-partial, m - 1)[:m] if m < len(g) else np.arange(len(g))
    order = np.argsort(g[top])
    sel, full = scratch.keys(g[top][order]), partial[top][order].copy()
    cands = Candidates(segments, sel, s)
    for t in rest:
        full += cands.lookup(t)
    return _theta(segments, sel, full, k)


REFINE = 4
STREAM = 4
"""A non-essential term whose postings are at most STREAM x the candidates is read in full (a cheap
vectorised pass) instead of binary-searched once per candidate (a cache miss each)."""


def _essential(segments: Sequence[Segment], scratch: Scratch, t: Term, s: FieldStats) -> list[np.ndarray]:
    """Add ``t``'s live postings to the accumulator; returns the rows it touched first."""
    acc, new = scratch.acc, []
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
        g = rows[keep] + scratch.bases[si]
        new.append(g[acc[g] == 0])  # rows are unique within one term's postings, so += is exact
        acc[g] += w[keep]
    return new


def _stream(segments: Sequence[Segment], scratch: Scratch, t: Term, partial: np.ndarray, s: FieldStats) -> None:
    """Add ``t``'s weight to the candidates' partial scores by reading its postings in full."""
    pos = scratch.pos
    for si, (seg, local) in enumerate(zip(segments, t.local.tolist())):
        if local < 0:
            continue
        lo, hi = _postings(seg, local)
        rows = seg.post_row[lo:hi].astype(np.int64)
        idx = pos[rows + scratch.bases[si]]
        hit = np.flatnonzero(idx)
        if not len(hit):
            continue
        r = rows[hit]
        nb, nt = _inverse_norms(seg, r, s)
        partial[idx[hit] - 1] += weight(seg.post_tfb[lo + hit], seg.post_tft[lo + hit], nb, nt, t.qtf * t.idf, s.k1)


def top_k(segments: Sequence[Segment], terms: list[Term], s: FieldStats, k: int,
          scratch: Scratch | None = None) -> list[tuple[float, int, int]]:
    """(score, segment, row) of the best passage of each of the k best documents, best first."""
    if not terms or k <= 0:
        return []
    if sum(seg.rows for seg in segments) <= EXHAUSTIVE_ROWS:
        return _exhaustive(segments, terms, s, k)
    scratch = scratch or Scratch(segments)
    try:
        return _top_k(segments, terms, s, k, scratch)
    except BaseException:
        scratch.acc[:] = 0  # never leave a half-used scratch to the next query
        scratch.pos[:] = 0
        raise


EXHAUSTIVE_ROWS = 50_000
"""Up to this many rows, every posting of the query terms is scored in one vectorised pass per segment
(a handful of numpy calls): cheaper than MaxScore's bookkeeping on small collections."""


def passage_scores(segments: Sequence[Segment], terms: list[Term], s: FieldStats) -> tuple[np.ndarray, np.ndarray]:
    """(key, score) of every live passage holding a query term, keys ``segment << 32 | row`` ascending:
    per segment, all the terms' postings gathered at once, weighted, summed by row (in query order)."""
    keys, scores = [], []
    for si, seg in enumerate(segments):
        here = [(int(t.local[si]), t.qtf * t.idf) for t in terms if t.local[si] >= 0]
        if not here:
            continue
        lo = np.array([int(seg.post_ptr[loc]) for loc, _ in here])
        hi = np.array([int(seg.post_ptr[loc + 1]) for loc, _ in here])
        sizes = hi - lo
        idx = np.repeat(lo - np.r_[0, np.cumsum(sizes)[:-1]], sizes) + np.arange(int(sizes.sum()))
        rows = seg.post_row[idx].astype(np.int64)
        nb, nt = _inverse_norms(seg, rows, s)
        w = weight(seg.post_tfb[idx], seg.post_tft[idx], nb, nt, np.repeat([f for _, f in here], sizes), s.k1)
        if seg.live is not None:
            w = w * seg.live[rows]
        dense = np.bincount(rows, weights=w, minlength=seg.rows)
        hit = np.flatnonzero(dense > 0)
        keys.append((si << 32) | hit)
        scores.append(dense[hit])
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(keys), np.concatenate(scores)


def top_passages(segments: Sequence[Segment], terms: list[Term], s: FieldStats, k: int) -> list[tuple[float, int, int]]:
    """(score, segment, row) of the k best passages, several per document allowed, best first (ties by
    key). Reads every posting of the query terms: for reading answers, not for ranking documents."""
    keys, scores = passage_scores(segments, terms, s)
    if not len(keys) or k <= 0:
        return []
    order = np.lexsort((keys, -scores))[:k]
    return [(float(scores[i]), int(keys[i] >> 32), int(keys[i] & 0xFFFFFFFF)) for i in order]


def _exhaustive(segments: Sequence[Segment], terms: list[Term], s: FieldStats, k: int) -> list[tuple[float, int, int]]:
    """Score every passage holding a query term (:func:`passage_scores`), then rank the best as
    MaxScore's survivors are ranked."""
    keys, scores = passage_scores(segments, terms, s)
    if not len(keys):
        return []
    # Keep the rows that can hold the top k documents: widen until k distinct documents are in.
    m = min(len(keys), k + k // 4 + 8)
    while True:
        cut = -np.partition(-scores, m - 1)[m - 1] if m < len(keys) else 0.0
        sel = scores >= cut * (1 - _SLACK)
        docs = np.unique(_doc_keys(segments, keys[sel]))
        if len(docs) >= k or m >= len(keys):
            break
        m = min(len(keys), m * 4)
    return _rank(segments, keys[sel], scores[sel], k, terms, s, rescore=False)


def _top_k(segments: Sequence[Segment], terms: list[Term], s: FieldStats, k: int,
           scratch: Scratch) -> list[tuple[float, int, int]]:
    order = sorted(terms, key=lambda t: -t.ub)
    rest = sum(t.ub for t in order)
    theta, touched, taken, refined = 0.0, [], 0, 0
    for i, t in enumerate(order):
        if taken and rest < theta:
            break
        touched += _essential(segments, scratch, t, s)
        rest -= t.ub
        taken += 1
        # Refine after the first term, and whenever theta comes within reach of the remaining bound.
        if rest >= theta and i + 1 < len(order) and (refined == 0 or rest < 2 * theta) and refined < 3:
            g = np.concatenate(touched)
            theta = max(theta, _refine(segments, scratch, g, scratch.acc[g], order[i + 1 :], s, k))
            refined += 1
    g = np.sort(np.concatenate(touched)) if touched else np.zeros(0, np.int64)
    partial = scratch.acc[g]
    scratch.acc[g] = 0
    alive = partial + rest >= theta * (1 - _SLACK)
    g, partial = g[alive], partial[alive]
    scratch.pos[g] = np.arange(1, len(g) + 1, dtype=np.int32)
    try:
        for t in order[taken:]:
            alive = partial + rest >= theta * (1 - _SLACK)
            if not alive.all():
                scratch.pos[g[~alive]] = 0
                g, partial = g[alive], partial[alive]
                scratch.pos[g] = np.arange(1, len(g) + 1, dtype=np.int32)
            if not len(g):
                break
            postings = sum(int(seg.post_ptr[loc + 1] - seg.post_ptr[loc])
                           for seg, loc in zip(segments, t.local.tolist()) if loc >= 0)
            if postings <= STREAM * len(g):
                _stream(segments, scratch, t, partial, s)
            else:
                partial += Candidates(segments, scratch.keys(g), s).lookup(t)
            rest -= t.ub
    finally:
        scratch.pos[g] = 0
    return _rank(segments, scratch.keys(g), partial, k, terms, s)


def _rank(segments: Sequence[Segment], keys: np.ndarray, scores: np.ndarray, k: int, terms: list[Term],
          s: FieldStats, *, rescore: bool = True) -> list[tuple[float, int, int]]:
    """The k best documents among candidate rows (keys sorted): best passage each, ties by document id.

    With ``rescore``, the survivors are scored again with the terms in one fixed order, so a sum (and
    so a tie) does not depend on the order MaxScore took the terms in, nor on how rows are split into
    segments. The exhaustive pass already sums in query order, so it needs no rescoring.
    """
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
    sel = np.sort(keys[best])
    if rescore:
        exact = np.zeros(len(sel))
        cands = Candidates(segments, sel, s)
        for t in sorted(terms, key=lambda t: t.text):
            exact += cands.lookup(t)
    else:
        exact = scores[np.searchsorted(keys, sel)]
    order = np.argsort(-exact, kind="stable")
    ex = exact[order]
    tied = np.zeros(len(ex), bool)
    tied[1:] |= ex[1:] == ex[:-1]
    tied[:-1] |= ex[:-1] == ex[1:]
    ranked = order.tolist()
    if tied[: k + 1].any():  # equal scores rank by document id: names only for those
        name = {int(i): _name(segments, int(sel[i])) for i in order[tied]}
        ranked = sorted(ranked, key=lambda i: (-exact[i], name.get(i, "")))
    return [(float(exact[i]), int(sel[i] >> 32), int(sel[i] & 0xFFFFFFFF)) for i in ranked[:k] if exact[i] > 0]


def _name(segments: Sequence[Segment], key: int) -> str:
    seg = segments[key >> 32]
    return seg.doc_name(int(seg.row_doc[key & 0xFFFFFFFF]))
