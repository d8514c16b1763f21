"""Chunking evaluation at token resolution: recall, precision, IoU and Precision-Omega of retrieved text.

The method is that of Chroma's chunking study (Smith & Troynikov, "Evaluating Chunking Strategies for
Retrieval", Chroma technical report, July 2024; code: github.com/brandonstarxel/chunking_evaluation,
``BaseEvaluation``), also used by "Enhancing Domain-Specific RAG: Synthetic Data Generation and
Evaluation using Reasoning Models" (2025). Each question comes with reference *excerpts*: exact
character spans of the documents that hold what the question needs (possibly several, possibly
discontinuous, possibly in several documents). A chunker cuts the corpus into chunks, a retriever
returns the top-k chunks for the question, and the retrieved text is compared with the excerpts
token by token.

Notation, for one question (all sets are sets of (document, token) pairs):

- ``E`` = the tokens of the excerpts (their union);
- ``R_1 .. R_k`` = the tokens of the retrieved chunks, ``U = R_1 ∪ .. ∪ R_k``;
- ``|R| = |R_1| + .. + |R_k|`` counts a token again for every retrieved chunk that holds it, so
  overlapping chunks pay for their redundancy (as in Chroma's code);
- ``H`` = the union of *all* chunks of the chunking (retrieved or not) that share a token with ``E``.

Metrics::

    recall          = |E ∩ U| / |E|
    precision       = |E ∩ U| / |R|
    IoU             = |E ∩ U| / (|R| + |E \\ U|)           (= |E ∩ U| / |E ∪ U| when chunks do not overlap)
    Precision-Omega = |E ∩ H| / |H ∪ E|                    (precision with every excerpt-bearing chunk
                                                             retrieved: the best this chunking allows)

A metric whose denominator is 0 is 0 (Chroma's convention). Means and standard deviations over the
questions are reported under Chroma's keys: ``iou_mean``, ``iou_std``, ``recall_mean``, ``recall_std``,
``precision_mean``, ``precision_std``, ``omega_mean``, ``omega_std`` (population std, ``np.std``).

Tokens. Chroma counts characters in its code (and cl100k tokens in its report); sleuth counts
**whitespace-separated words** by default (``unit="word"``), the same unit as every chunk size in
sleuth, independent of any model's tokenizer and needing no download. A character span covers a word
when it shares at least one character with it. ``unit="char"`` counts characters instead and then
reproduces Chroma's code, with two differences that only matter in corner cases: excerpts of one
question that overlap each other are counted once (Chroma sums their lengths), and a chunk that merely
*touches* an excerpt (zero-length intersection) does not count as containing it (Chroma's
``intersect_two_ranges`` returns an empty range, not None, for touching ranges).

The metric functions are pure: they take spans already converted to units by :class:`Units`.
:func:`sleuth.evaluate.chunking.evaluate_chunkers` runs the whole evaluation (chunk, embed or index,
retrieve, score).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from sleuth.errors import ConfigError

Range = tuple[int, int]
"""Half-open ``[start, end)``, in units (words or characters)."""
DocSpan = tuple[str, int, int]
"""``(doc_id, start, end)``: a range inside one document."""

CHROMA_KEYS = ("iou_mean", "iou_std", "recall_mean", "recall_std", "precision_mean", "precision_std",
               "omega_mean", "omega_std")
METRIC_NAMES = ("recall", "precision", "iou", "omega")
UNITS = ("word", "char")

# -- interval arithmetic --------------------------------------------------------------------------


def union(ranges: Iterable[Range]) -> list[Range]:
    """Sorted, disjoint ranges covering exactly the units of ``ranges`` (empty ranges dropped)."""
    out: list[list[int]] = []
    for a, b in sorted(r for r in ranges if r[1] > r[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def measure(ranges: Iterable[Range]) -> int:
    """Number of distinct units covered by ``ranges``."""
    return sum(b - a for a, b in union(ranges))


def intersect(x: Sequence[Range], y: Sequence[Range]) -> list[Range]:
    """Intersection of two unions of ranges (each given disjoint and sorted, as :func:`union` returns)."""
    out, i, j = [], 0, 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def _by_doc(spans: Iterable[DocSpan]) -> dict[str, list[Range]]:
    out: dict[str, list[Range]] = {}
    for doc, a, b in spans:
        out.setdefault(doc, []).append((a, b))
    return out


def _overlaps(ranges: Sequence[Range], a: int, b: int) -> bool:
    """Whether [a, b) shares a unit with the disjoint sorted ``ranges``."""
    if b <= a:
        return False
    i = bisect.bisect_right(ranges, (a, math.inf))  # ranges[:i] start at or before a
    if i and ranges[i - 1][1] > a:
        return True
    return i < len(ranges) and ranges[i][0] < b


# -- the metrics ----------------------------------------------------------------------------------


def retrieval_scores(excerpts: Sequence[DocSpan], retrieved: Sequence[DocSpan]) -> dict[str, float]:
    """``{"recall", "precision", "iou"}`` of the retrieved chunks against the excerpts (module formulas).

    ``excerpts`` and ``retrieved`` are (doc_id, start, end) in units; the order of ``retrieved`` does
    not matter, but each retrieved chunk counts once per occurrence in ``|R|``.
    """
    e = {d: union(r) for d, r in _by_doc(excerpts).items()}
    u = {d: union(r) for d, r in _by_doc(retrieved).items()}
    size_e = sum(b - a for r in e.values() for a, b in r)
    size_r = sum(max(0, b - a) for _, a, b in retrieved)
    hit = sum(b - a for d, r in e.items() for a, b in intersect(r, u.get(d, [])))
    missed = size_e - hit
    return {
        "recall": hit / size_e if size_e else 0.0,
        "precision": hit / size_r if size_r else 0.0,
        "iou": hit / (size_r + missed) if size_r + missed else 0.0,
    }


def precision_omega(excerpts: Sequence[DocSpan], chunks: Iterable[DocSpan]) -> tuple[float, int]:
    """``(Precision-Omega, number of chunks sharing a unit with the excerpts)``; see the module formulas.

    ``chunks`` are all chunks of the chunking (only those of the excerpts' documents matter).
    The count is Chroma's ``highlighted_chunks_counts``: the fewest chunks a perfect retriever needs.
    """
    e = {d: union(r) for d, r in _by_doc(excerpts).items()}
    h: dict[str, list[Range]] = {}
    count = 0
    for doc, a, b in chunks:
        r = e.get(doc)
        if r and _overlaps(r, a, b):
            h.setdefault(doc, []).append((a, b))
            count += 1
    num = den = 0
    for d, r in e.items():
        hd = union(h.get(d, []))
        num += sum(b - a for a, b in intersect(r, hd))
        den += measure(hd + r)
    return (num / den if den else 0.0), count


def summarize(per_query: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Chroma's summary keys (``iou_mean`` ... ``omega_std``) from per-question metric dicts."""
    out: dict[str, float] = {}
    for name in ("iou", "recall", "precision", "omega"):
        values = np.array([q[name] for q in per_query], dtype=float)
        out[f"{name}_mean"] = float(values.mean()) if len(values) else 0.0
        out[f"{name}_std"] = float(values.std()) if len(values) else 0.0
    return {k: out[k] for k in CHROMA_KEYS}


# -- units ----------------------------------------------------------------------------------------

TOKEN = re.compile(r"\S+")
"""A word: a maximal run of non-whitespace characters."""


class Units:
    """Converts character spans of documents into unit ranges (words by default, see module doc).

    With ``unit="word"``, word i of a document is its i-th maximal run of non-whitespace characters,
    and a character span ``[s, e)`` becomes the range of the words it shares a character with.
    """

    def __init__(self, texts: Mapping[str, str], unit: str = "word") -> None:
        if unit not in UNITS:
            raise ConfigError(f"Unknown token unit {unit!r}.", f"Use one of: {', '.join(UNITS)}.")
        self.texts = texts
        self.unit = unit
        self._bounds: dict[str, tuple[list[int], list[int]]] = {}

    def _words(self, doc_id: str) -> tuple[list[int], list[int]]:
        if doc_id not in self._bounds:
            ms = list(TOKEN.finditer(self.texts[doc_id]))
            self._bounds[doc_id] = ([m.start() for m in ms], [m.end() for m in ms])
        return self._bounds[doc_id]

    def span(self, doc_id: str, start: int, end: int) -> DocSpan:
        if self.unit == "char":
            return doc_id, start, max(start, end)
        starts, ends = self._words(doc_id)
        first = bisect.bisect_right(ends, start)  # first word ending after `start`
        last = bisect.bisect_left(starts, end)  # words starting before `end`
        return doc_id, first, max(first, last)

    def count(self, doc_id: str, start: int, end: int) -> int:
        _, a, b = self.span(doc_id, start, end)
        return b - a
