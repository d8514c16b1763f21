"""Lexical segments: immutable postings of a run of chunks, query-ready as written.

A segment holds, for its chunks (rows, in chunk-id order):

- a term dictionary sorted by a 64-bit hash of the term (``term_hash``; strings in ``term_blob``),
  so a query term is found with one ``searchsorted`` and never needs a dict built at open;
- postings per term (``post_ptr``), rows ascending, with both fields' term frequencies
  (``post_tfb`` body, ``post_tft`` title) — one list per term for BM25F;
- per term the *impact frontier* of each field: for every term frequency v that occurs, the shortest
  field length among postings with that frequency. Because a BM25F weight grows with tf and shrinks
  with length, ``max_v v / (1 - b + b L_v / avglen)`` is the largest normalised tf any posting of the
  term can have, under whatever collection statistics hold when the query runs (Lucene keeps the
  same (freq, norm) "impacts" for block-max WAND);
- per row its chunk id, document ordinal and field lengths; per document its id string.

Nothing here depends on collection-wide statistics (N, average lengths, document frequencies), which
change with every add and delete: :mod:`sleuth.index.lexical` combines them across segments at query
time, so BM25F stays exact. Deletes are a separate per-segment file of live rows and live document
frequencies (:func:`live_arrays`), written by the writer, never a rewrite of the segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sleuth.index.container import Arrays, open_arrays, write_arrays
from sleuth.index.tokens import BatchAnalyzer, term_hashes


def smallest_uint(max_value: int) -> type:
    for t in (np.uint8, np.uint16, np.uint32):
        if max_value <= np.iinfo(t).max:
            return t
    return np.uint64


def _blob(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    off = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=off[1:])
    return np.frombuffer(b"".join(encoded), np.uint8).copy(), off


def blob_string(blob: np.ndarray, off: np.ndarray, i: int) -> str:
    return bytes(blob[off[i] : off[i + 1]]).decode("utf-8", "surrogatepass")


def _frontier(ptr: np.ndarray, terms: np.ndarray, tf: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, ...]:
    """(ptr, tf, len) of each term's frontier points, for postings with tf > 0 (see the module docstring).

    Postings come grouped by term (``ptr``). tf = 1 postings are summarised by one point per term (its
    shortest such posting, a per-group minimum); only the rarer tf > 1 postings need sorting.
    """
    n_terms = len(ptr) - 1
    parts_t, parts_f, parts_l = [], [], []
    big = np.iinfo(np.int64).max
    if len(tf):
        ones = np.minimum.reduceat(np.where(tf == 1, length, big), ptr[:-1]) if n_terms else np.zeros(0, np.int64)
        has = ones < big
        parts_t.append(np.flatnonzero(has)), parts_f.append(np.ones(int(has.sum()), np.int64)), parts_l.append(ones[has])
    many = tf > 1
    if many.any():
        tm, fm, lm = terms[many], tf[many].astype(np.int64), length[many].astype(np.int64)
        order = np.lexsort((lm, fm, tm))
        tm, fm, lm = tm[order], fm[order], lm[order]
        first = np.ones(len(tm), bool)
        first[1:] = (tm[1:] != tm[:-1]) | (fm[1:] != fm[:-1])
        parts_t.append(tm[first]), parts_f.append(fm[first]), parts_l.append(lm[first])
    return _ragged(parts_t, parts_f, parts_l, n_terms)


def _ragged(parts_t: list, parts_f: list, parts_l: list, n_terms: int) -> tuple[np.ndarray, ...]:
    t = np.concatenate(parts_t) if parts_t else np.zeros(0, np.int64)
    f = np.concatenate(parts_f) if parts_f else np.zeros(0, np.int64)
    length = np.concatenate(parts_l) if parts_l else np.zeros(0, np.int64)
    order = np.argsort(t, kind="stable")
    ptr = np.zeros(n_terms + 1, np.int64)
    np.cumsum(np.bincount(t, minlength=n_terms), out=ptr[1:])
    return ptr, f[order], length[order]


_TITLE_SHIFT = 32  # body and title tf share one int64 per (row, term) while the postings are sorted


def build_arrays(chunk_ids: np.ndarray, doc_ids: list[str], titles: list[str], texts: list[str],
                 batch: BatchAnalyzer) -> dict[str, np.ndarray]:
    """The arrays of a segment over chunks given in id order (a document's chunks are consecutive).

    Postings are sorted term-major by scipy's sparse conversions (counting sorts in C): a rows x
    terms matrix holding tf_body + tf_title << 32, converted to column-major.
    """
    import scipy.sparse as sp  # only writers build segments: a reader never imports scipy

    n = len(chunk_ids)
    names = np.array(doc_ids, dtype=object)
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
    row_doc = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))
    doc_names = [doc_ids[i] for i in starts.tolist()]
    body_rows, body_terms = batch.analyze(texts)
    title_docs, title_terms = batch.analyze([titles[i] for i in starts.tolist()])
    # Renumber the segment's terms in hash order, keeping only those that occur here.
    used = np.flatnonzero(np.bincount(np.concatenate([body_terms, title_terms]), minlength=len(batch.vocab.terms)))
    hashes = term_hashes([batch.vocab.terms[t] for t in used.tolist()])
    order = np.argsort(hashes)
    local = np.full(len(batch.vocab.terms), -1, np.int64)
    local[used[order]] = np.arange(len(used))
    shape = (n, len(used))
    body = sp.csr_matrix((np.ones(len(body_rows), np.int64), (body_rows, local[body_terms])), shape=shape)
    title_doc = sp.csr_matrix((np.ones(len(title_docs), np.int64), (title_docs, local[title_terms])),
                              shape=(len(starts), len(used)))
    body.sum_duplicates()
    title_doc.sum_duplicates()
    both = (body + title_doc[row_doc] * (1 << _TITLE_SHIFT)).tocsc()
    both.sort_indices()
    data = both.data.astype(np.int64)
    tfb, tft = data & ((1 << _TITLE_SHIFT) - 1), data >> _TITLE_SHIFT
    p_row = both.indices.astype(np.int64)
    ptr = both.indptr.astype(np.int64)
    p_term = np.repeat(np.arange(len(used)), np.diff(ptr))
    body_len = np.bincount(body_rows, minlength=n).astype(np.int64)
    title_len = np.bincount(title_docs, minlength=len(starts)).astype(np.int64)[row_doc]
    return _segment_arrays(
        term_strings=[batch.vocab.terms[t] for t in used[order].tolist()], term_hash=hashes[order],
        ptr=ptr, dfb=np.bincount(p_term[tfb > 0], minlength=len(used)), p_row=p_row, tfb=tfb, tft=tft, chunk_ids=np.asarray(chunk_ids, np.int64),
        row_doc=row_doc, body_len=body_len, title_len=title_len, doc_names=doc_names,
        frontiers=(_frontier(ptr, p_term, tfb, body_len[p_row]), _frontier(ptr, p_term, tft, title_len[p_row])),
    )


def _segment_arrays(*, term_strings: list[str] | None, term_hash: np.ndarray, ptr: np.ndarray, dfb: np.ndarray,
                    p_row: np.ndarray, tfb: np.ndarray, tft: np.ndarray, chunk_ids: np.ndarray,
                    row_doc: np.ndarray, body_len: np.ndarray, title_len: np.ndarray, doc_names: list[str],
                    frontiers: tuple, term_blob: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    n = len(chunk_ids)
    blob, off = term_blob if term_blob is not None else _blob(term_strings or [])
    dblob, doff = _blob(doc_names)
    (fb_ptr, fb_tf, fb_len), (ft_ptr, ft_tf, ft_len) = frontiers
    u = lambda a: a.astype(smallest_uint(int(a.max()) if len(a) else 0), copy=False)  # noqa: E731
    return {
        "term_hash": term_hash.astype(np.uint64), "term_blob": blob, "term_off": off,
        "post_ptr": ptr, "post_row": u(p_row), "post_tfb": u(tfb), "post_tft": u(tft),
        "df": np.diff(ptr).astype(np.uint32), "dfb": dfb.astype(np.uint32),
        "fb_ptr": fb_ptr, "fb_tf": u(fb_tf), "fb_len": u(fb_len),
        "ft_ptr": ft_ptr, "ft_tf": u(ft_tf), "ft_len": u(ft_len),
        "row_chunk": chunk_ids, "row_doc": row_doc.astype(np.uint32), "row_lenb": u(body_len), "row_lent": u(title_len),
        "doc_blob": dblob, "doc_off": doff,
        "stats": np.array([n, int(body_len.sum()), int(title_len.sum()), len(doc_names)], np.int64),
    }


@dataclass
class Segment:
    """A segment's arrays (mmapped, or in memory for the reader's unflushed tail) and its live rows.

    ``live`` is None when no row is deleted; then ``df``/``dfb`` are the segment's own.
    """

    a: Arrays | dict[str, np.ndarray]
    live: np.ndarray | None = None
    df: np.ndarray | None = None
    dfb: np.ndarray | None = None
    live_stats: np.ndarray | None = None  # live rows, body length sum, title length sum

    def __post_init__(self) -> None:
        a = self.a
        self.term_hash, self.post_ptr = a["term_hash"], a["post_ptr"]
        self.post_row, self.post_tfb, self.post_tft = a["post_row"], a["post_tfb"], a["post_tft"]
        self.row_chunk, self.row_doc = a["row_chunk"], a["row_doc"]
        self.row_lenb, self.row_lent = a["row_lenb"], a["row_lent"]
        self.rows = int(a["stats"][0])
        self._doc_blob, self._doc_off = a["doc_blob"], a["doc_off"]
        if self.live is None:
            self.df, self.dfb = a["df"], a["dfb"]
            self.live_stats = a["stats"][:3]

    def find(self, hashes: np.ndarray, terms: list[str]) -> np.ndarray:
        """Local term id of each query term, or -1 where this segment lacks it."""
        th = self.term_hash
        if not len(th):
            return np.full(len(hashes), -1, np.int64)
        pos = np.minimum(np.searchsorted(th, hashes), len(th) - 1)
        out = np.where(th[pos] == hashes, pos, -1)
        blob, off = self.a["term_blob"], self.a["term_off"]
        for i, p in enumerate(out.tolist()):  # a 64-bit hash match is checked against the string
            if p >= 0 and blob_string(blob, off, p) != terms[i]:
                out[i] = -1
        return out

    def doc_name(self, ordinal: int) -> str:
        off = self._doc_off
        return self._doc_blob[off[ordinal] : off[ordinal + 1]].tobytes().decode("utf-8", "surrogatepass")

    def term(self, local: int) -> str:
        return blob_string(self.a["term_blob"], self.a["term_off"], local)


def live_arrays(seg: Segment, live: np.ndarray) -> dict[str, np.ndarray]:
    """The deletes file of ``seg`` for the rows marked in ``live``: live df per term and live stats."""
    ptr = seg.post_ptr
    alive = live[seg.post_row]
    term = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    df = np.bincount(term[alive], minlength=len(ptr) - 1)
    dfb = np.bincount(term[alive & (np.asarray(seg.post_tfb) > 0)], minlength=len(ptr) - 1)
    stats = np.array([int(live.sum()), int(seg.row_lenb[live].sum()), int(seg.row_lent[live].sum())], np.int64)
    return {"live": live.astype(np.uint8), "df": df.astype(np.uint32), "dfb": dfb.astype(np.uint32), "stats": stats}


def open_segment(directory: Path, entry: dict, fix: str) -> Segment:
    a = open_arrays(directory / entry["file"], entry, fix)
    deletes = entry.get("deletes")
    if not deletes:
        return Segment(a)
    d = open_arrays(directory / deletes["file"], deletes, fix)
    return Segment(a, d["live"].view(bool), d["df"], d["dfb"], d["stats"])


def write_segment(path: Path, arrays: dict[str, np.ndarray]) -> dict[str, object]:
    stats = arrays["stats"]
    entry = write_arrays(path, arrays, {"kind": "lexical-segment", "version": 2})
    chunks = arrays["row_chunk"]
    return {**entry, "rows": int(stats[0]), "min_chunk": int(chunks.min()) if len(chunks) else 0,
            "max_chunk": int(chunks.max()) if len(chunks) else 0}


MERGE_CHUNK = 4_000_000
"""Postings a merge handles at once: its temporaries stay ~200 MB whatever the segments' sizes."""


def _term_chunks(ptr: np.ndarray) -> list[tuple[int, int]]:
    """[a, b) ranges of local terms whose postings add up to about MERGE_CHUNK."""
    out, a = [], 0
    n = len(ptr) - 1
    while a < n:
        b = int(np.searchsorted(ptr, ptr[a] + MERGE_CHUNK, side="right")) - 1
        b = min(max(b, a + 1), n)
        out.append((a, b))
        a = b
    return out


def merge_arrays(segments: list[Segment]) -> dict[str, np.ndarray]:
    """One segment's arrays holding the live rows of ``segments`` (given in chunk-id order).

    Memory: the merged postings in their final dtypes (7 bytes each, or 9 with wide row numbers) plus
    bounded temporaries: each input is read MERGE_CHUNK postings at a time, twice (count, then place).
    """
    all_hash = np.concatenate([s.term_hash for s in segments])
    merged_hash, first = np.unique(all_hash, return_index=True)
    del all_hash
    seg_of = np.repeat(np.arange(len(segments)), [len(s.term_hash) for s in segments])
    seg_start = np.r_[0, np.cumsum([len(s.term_hash) for s in segments])]
    live_rows = [s.live if s.live is not None else np.ones(s.rows, bool) for s in segments]
    maps = [np.searchsorted(merged_hash, s.term_hash) for s in segments]
    counts = np.zeros(len(merged_hash), np.int64)
    for s, lv, m in zip(segments, live_rows, maps):
        for a, b in _term_chunks(s.post_ptr):
            lo, hi = int(s.post_ptr[a]), int(s.post_ptr[b])
            lt = np.repeat(np.arange(a, b), np.diff(s.post_ptr[a : b + 1]))
            counts[m[a:b]] += np.bincount(lt[lv[s.post_row[lo:hi]]] - a, minlength=b - a)
    # Terms left with no live posting are dropped; their ids become -1 (only dead postings use them).
    alive_terms = counts > 0
    remap = np.where(alive_terms, np.cumsum(alive_terms) - 1, -1)
    merged_hash, first, counts = merged_hash[alive_terms], first[alive_terms], counts[alive_terms]
    maps = [remap[m] for m in maps]
    n_terms = len(merged_hash)
    blob_parts, lens = [], np.zeros(n_terms, np.int64)
    for j, i in enumerate(first.tolist()):
        s = segments[seg_of[i]]
        local = i - seg_start[seg_of[i]]
        off = s.a["term_off"]
        piece = s.a["term_blob"][off[local] : off[local + 1]]
        blob_parts.append(piece)
        lens[j] = len(piece)
    term_off = np.r_[0, np.cumsum(lens)].astype(np.int64)
    term_blob = np.concatenate(blob_parts) if blob_parts else np.zeros(0, np.uint8)
    ptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
    total = int(ptr[-1])
    n_rows = int(sum(int(lv.sum()) for lv in live_rows))
    p_row = np.empty(total, smallest_uint(max(n_rows - 1, 0)))
    tfb = np.empty(total, smallest_uint(max((int(np.max(s.post_tfb)) if len(s.post_tfb) else 0) for s in segments)))
    tft = np.empty(total, smallest_uint(max((int(np.max(s.post_tft)) if len(s.post_tft) else 0) for s in segments)))
    dfb = np.zeros(n_terms, np.int64)
    before = np.zeros(n_terms, np.int64)
    row_base, doc_base = 0, 0
    chunk_parts, doc_parts, lenb_parts, lent_parts, names = [], [], [], [], []
    fb_parts, ft_parts = ([], [], []), ([], [], [])
    for s, lv, m in zip(segments, live_rows, maps):
        new_row = np.cumsum(lv) - 1 + row_base
        for a, b in _term_chunks(s.post_ptr):
            lo, hi = int(s.post_ptr[a]), int(s.post_ptr[b])
            rows = s.post_row[lo:hi]
            keep = lv[rows]
            lt = np.repeat(np.arange(a, b), np.diff(s.post_ptr[a : b + 1]))[keep]
            c_l = np.bincount(lt - a, minlength=b - a)
            group = np.cumsum(c_l) - c_l
            mt = m[lt]
            pos = ptr[mt] + before[mt] + (np.arange(len(lt)) - group[lt - a])
            p_row[pos] = new_row[rows[keep]]
            tb = s.post_tfb[lo:hi][keep]
            tfb[pos] = tb
            tft[pos] = s.post_tft[lo:hi][keep]
            hit = c_l > 0
            before[m[a:b][hit]] += c_l[hit]
            dfb[m[a:b][hit]] += np.bincount(lt[tb > 0] - a, minlength=b - a)[hit]
        # Live documents, renumbered; a document whose every chunk was deleted disappears.
        docs_live = np.unique(np.asarray(s.row_doc)[lv])
        doc_new = np.full(int(s.a["stats"][3]), -1, np.int64)
        doc_new[docs_live] = np.arange(len(docs_live)) + doc_base
        names += [s.doc_name(int(d)) for d in docs_live.tolist()]
        chunk_parts.append(np.asarray(s.row_chunk)[lv])
        doc_parts.append(doc_new[np.asarray(s.row_doc)[lv]])
        lenb_parts.append(np.asarray(s.row_lenb)[lv].astype(np.int64))
        lent_parts.append(np.asarray(s.row_lent)[lv].astype(np.int64))
        for parts, (pname, tfname, lname) in ((fb_parts, ("fb_ptr", "fb_tf", "fb_len")), (ft_parts, ("ft_ptr", "ft_tf", "ft_len"))):
            pt = np.repeat(m, np.diff(s.a[pname]))
            ok = pt >= 0
            parts[0].append(pt[ok])
            parts[1].append(np.asarray(s.a[tfname]).astype(np.int64)[ok])
            parts[2].append(np.asarray(s.a[lname]).astype(np.int64)[ok])
        row_base += int(lv.sum())
        doc_base += len(docs_live)
    cat = lambda xs: np.concatenate(xs) if xs else np.zeros(0, np.int64)  # noqa: E731
    # Frontier points of deleted rows stay: a bound that is a little loose is still a bound.
    return _segment_arrays(
        term_strings=None, term_blob=(term_blob, term_off), term_hash=merged_hash, ptr=ptr, dfb=dfb, p_row=p_row,
        tfb=tfb, tft=tft, chunk_ids=cat(chunk_parts), row_doc=cat(doc_parts), body_len=cat(lenb_parts),
        title_len=cat(lent_parts), doc_names=names,
        frontiers=tuple(_ragged(list(p[0]), list(p[1]), list(p[2]), n_terms) for p in (fb_parts, ft_parts)),
    )
