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
:func:`evaluate_chunkers` below runs the whole evaluation (chunk, embed or index, retrieve, score).
"""

from __future__ import annotations

import bisect
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sleuth.errors import ConfigError, EvaluationError, FormatError

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

_TOKEN = re.compile(r"\S+")


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
            ms = list(_TOKEN.finditer(self.texts[doc_id]))
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


# -- evaluation data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    query_id: str
    text: str
    references: tuple[DocSpan, ...]
    """Excerpts as character spans."""


@dataclass
class EvalSet:
    """A corpus and questions with reference excerpts, as ``sleuth synth`` writes them."""

    texts: dict[str, str]
    questions: list[Question]
    titles: dict[str, str] = field(default_factory=dict)
    path: str = ""


SPANS_FILE = "spans.jsonl"


def load_eval_set(data_dir: Path | str) -> EvalSet:
    """Read ``corpus.jsonl`` and ``spans.jsonl`` (one question a line, see :mod:`sleuth.evaluate.synth`).

    Every reference must lie inside its document and, when the line gives its ``content``, match
    the document's text there exactly.
    """
    data_dir = Path(data_dir)
    corpus = data_dir / "corpus.jsonl"
    spans = data_dir / SPANS_FILE
    for p in (corpus, spans):
        if not p.is_file():
            raise EvaluationError(
                f"No {p.name} in {data_dir}.",
                "Make an evaluation set with reference excerpts first: `sleuth synth --out DIR`.",
            )
    texts: dict[str, str] = {}
    titles: dict[str, str] = {}
    for lineno, rec in _jsonl(corpus):
        doc_id = rec.get("_id")
        if not isinstance(doc_id, (str, int)) or not isinstance(rec.get("text", ""), str):
            raise FormatError(str(corpus), lineno, 'each line needs "_id" and a string "text".')
        texts[str(doc_id)] = rec.get("text", "")
        titles[str(doc_id)] = str(rec.get("title", "") or "")
    questions = []
    fix = 'Each line: {"query_id", "question", "references": [{"doc_id", "start_index", "end_index"}]}.'
    for lineno, rec in _jsonl(spans):
        try:
            qid, text = str(rec["query_id"]), str(rec["question"])
            refs = []
            for ref in rec["references"]:
                doc, a, b = str(ref["doc_id"]), int(ref["start_index"]), int(ref["end_index"])
                if doc not in texts:
                    raise FormatError(str(spans), lineno, f"document {doc!r} is not in {corpus.name}.", fix)
                if not 0 <= a < b <= len(texts[doc]):
                    raise FormatError(str(spans), lineno, f"span [{a}, {b}) is outside document {doc!r}.", fix)
                if "content" in ref and texts[doc][a:b] != ref["content"]:
                    raise FormatError(str(spans), lineno, f"span [{a}, {b}) of {doc!r} does not hold its content.",
                                      "The corpus changed since the spans were made: run `sleuth synth` again.")
                refs.append((doc, a, b))
        except (KeyError, TypeError, ValueError):
            raise FormatError(str(spans), lineno, "missing or malformed fields.", fix) from None
        if not refs:
            raise FormatError(str(spans), lineno, f"question {qid!r} has no reference excerpt.", fix)
        questions.append(Question(qid, text, tuple(refs)))
    if not questions:
        raise EvaluationError(f"{spans} holds no questions.", "Run `sleuth synth` with more --questions.")
    return EvalSet(texts, questions, titles, str(data_dir))


def _jsonl(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig") as lines:
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FormatError(str(path), lineno, f"not valid JSON ({exc.msg}).") from None
            if not isinstance(rec, dict):
                raise FormatError(str(path), lineno, "not a JSON object.")
            yield lineno, rec


# -- the evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkConfig:
    chunker: str
    size: int
    overlap: int = 0

    @property
    def label(self) -> str:
        return f"{self.chunker}-{self.size}" + (f"/{self.overlap}" if self.overlap else "")

    @classmethod
    def parse(cls, spec: str) -> ChunkConfig:
        """``NAME:SIZE[:OVERLAP]``, e.g. ``fixed:100:50``."""
        parts = spec.split(":")
        try:
            if len(parts) not in (2, 3):
                raise ValueError
            return cls(parts[0], int(parts[1]), int(parts[2]) if len(parts) == 3 else 0)
        except ValueError:
            raise ConfigError(f"Bad chunking configuration {spec!r}.",
                              "Write NAME:SIZE[:OVERLAP], e.g. fixed:100:50 or sentence:200.") from None


RETRIEVERS = ("dense", "bm25")
DEFAULT_KS = (1, 2, 3, 5, 10)


def _bm25_scorer(texts: list[str]) -> Callable[[str], np.ndarray]:
    """BM25 (Lucene's, k1=1.5, b=0.75: sleuth's defaults) over chunk texts alone, with sleuth's analyzer."""
    import scipy.sparse as sp

    from sleuth.index.bm25 import bm25f_matrix
    from sleuth.text import Analyzer

    analyzer = Analyzer()
    vocab: dict[str, int] = {}
    rows, cols = [], []
    lengths = np.zeros(len(texts))
    for i, t in enumerate(texts):
        terms = analyzer.terms(t)
        lengths[i] = len(terms)
        for term in terms:
            rows.append(i)
            cols.append(vocab.setdefault(term, len(vocab)))
    shape = (len(texts), max(1, len(vocab)))
    tf = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    tf.sum_duplicates()
    empty = sp.csr_matrix(shape)
    w = bm25f_matrix(tf, lengths, empty, np.zeros(len(texts)), k1=1.5, b=0.75, title_b=0.5, title_weight=0.0)

    def score(query: str) -> np.ndarray:
        ids = [vocab[t] for t in analyzer.terms(query) if t in vocab]
        if not ids:
            return np.zeros(len(texts))
        return np.asarray(w[:, ids].sum(axis=1)).ravel()

    return score


class _DenseCache:
    """Chunk vectors memoised by text: configurations share many chunks (whole short documents)."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self.vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str], on_progress: Callable[[int], None] | None = None) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self.vectors})
        step = 256
        for i in range(0, len(missing), step):
            part = missing[i : i + step]
            for t, v in zip(part, self.encoder.encode_passages(part)):
                self.vectors[t] = np.asarray(v, dtype=np.float32)
            if on_progress:
                on_progress(len(part))
        if not texts:
            return np.zeros((0, 1), np.float32)
        return np.stack([self.vectors[t] for t in texts])


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first; ties broken by lower index (deterministic)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    # sort the candidates by (-score, index); include every index tied with the k-th score
    kth = scores[part].min()
    cand = np.flatnonzero(scores >= kth)
    order = np.lexsort((cand, -scores[cand]))
    return cand[order][:k]


def evaluate_chunkers(
    data: EvalSet,
    configs: Sequence[ChunkConfig],
    *,
    retriever: str = "dense",
    k: int = 5,
    ks: Sequence[int] = DEFAULT_KS,
    unit: str = "word",
    encoder: Any = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Chunk ``data``'s corpus with each configuration, retrieve the top chunks of every question, score.

    Retrieval is over the chunk texts alone (no titles), over the whole corpus, like Chroma's:
    ``dense`` ranks by cosine similarity of all-MiniLM-L6-v2 vectors (``encoder`` overrides it),
    ``bm25`` by Lucene BM25 with sleuth's analyzer. Returns one entry per configuration with Chroma's
    ``stats`` keys at ``k``, the same at every k of ``ks`` (``at_k``, for recall-precision curves), and
    per-question ``scores`` (``iou_scores`` ... ``omega_scores``, ``highlighted_chunks_counts``, in the
    order of ``query_ids``).
    """
    from sleuth.chunking import CHUNKERS
    from sleuth.chunking.splitters import check_sizes

    if retriever not in RETRIEVERS:
        raise ConfigError(f"Unknown retriever {retriever!r}.", f"Use one of: {', '.join(RETRIEVERS)}.")
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}.", "Pass -k 5, for example.")
    if not configs:
        raise ConfigError("No chunking configuration to evaluate.", "Pass --chunker and --size, or --config.")
    for c in configs:
        CHUNKERS.get(c.chunker)
        check_sizes(c.size, c.overlap)
    ks = sorted({int(x) for x in ks if 0 < int(x)} | {k})
    units = Units(data.texts, unit)
    questions = data.questions
    query_ids = [q.query_id for q in questions]
    refs_units = [[units.span(*r) for r in q.references] for q in questions]
    dense = None
    qvecs = None
    if retriever == "dense":
        if encoder is None:
            from sleuth.index.encoders import get_encoder

            encoder = get_encoder("minilm")
        dense = _DenseCache(encoder)
        qvecs = np.asarray(encoder.encode_queries([q.text for q in questions]), dtype=np.float32)
    # Chunk every configuration first (spans only), so the work left is known in passages: embedding
    # them is most of the time, and the progress can say how long the rest will take.
    cut: list[tuple[list[DocSpan], float]] = []
    for ci, cfg in enumerate(configs):
        if on_progress:
            on_progress(f"chunking ({cfg.label})", ci, len(configs))
        t0 = time.perf_counter()
        chunker = CHUNKERS.get(cfg.chunker)
        spans: list[DocSpan] = []
        for doc_id, text in data.texts.items():
            spans.extend((doc_id, a, b) for a, b in chunker(text, cfg.size, cfg.overlap))
        if not spans:
            raise EvaluationError("The chunker produced no chunks: the corpus is empty.", "Check corpus.jsonl.")
        cut.append((spans, time.perf_counter() - t0))
    if on_progress:
        on_progress("chunking", len(configs), len(configs))
    total = sum(len(spans) for spans, _ in cut)
    done = 0

    def advance(n: int, label: str) -> None:
        nonlocal done
        done += n
        if on_progress:
            on_progress(f"passages ({label})", min(done, total), total)

    results = []
    for cfg, (spans, chunk_s) in zip(configs, cut):
        t0 = time.perf_counter() - chunk_s
        texts = [data.texts[d][a:b] for d, a, b in spans]
        chunk_units = [units.span(*s) for s in spans]
        by_doc: dict[str, list[DocSpan]] = {}
        for s in chunk_units:
            by_doc.setdefault(s[0], []).append(s)
        before = done
        if dense is not None:
            score_all = dense.encode(texts, lambda n, label=cfg.label: advance(n, label)) @ qvecs.T  # chunks x questions
            scores = [score_all[:, i] for i in range(len(questions))]
        else:
            bm25 = _bm25_scorer(texts)
            scores = [bm25(q.text) for q in questions]
        advance(len(texts) - (done - before), cfg.label)  # passages already embedded for another configuration
        per_k: dict[int, list[dict[str, float]]] = {x: [] for x in ks}
        omegas, counts = [], []
        for i in range(len(questions)):
            best = top_k(scores[i], max(ks))
            om, cnt = precision_omega(refs_units[i], (c for d in {r[0] for r in refs_units[i]}
                                                      for c in by_doc.get(d, [])))
            omegas.append(om)
            counts.append(cnt)
            for x in ks:
                s = retrieval_scores(refs_units[i], [chunk_units[j] for j in best[:x]])
                per_k[x].append({**s, "omega": om})
        words = [units.count(*s) if unit == "word" else len(_TOKEN.findall(t)) for s, t in zip(spans, texts)]
        main = per_k[k]
        results.append({
            "label": cfg.label, "chunker": cfg.chunker, "size": cfg.size, "overlap": cfg.overlap,
            "chunks": len(spans), "mean_chunk_words": round(float(np.mean(words)), 2),
            "stats": summarize(main),
            "at_k": {str(x): summarize(per_k[x]) for x in ks},
            "scores": {
                "iou_scores": [m["iou"] for m in main],
                "recall_scores": [m["recall"] for m in main],
                "precision_scores": [m["precision"] for m in main],
                "omega_scores": omegas,
                "highlighted_chunks_counts": counts,
            },
            "seconds": round(time.perf_counter() - t0, 3), "chunk_seconds": round(chunk_s, 3),
        })
    return {
        "kind": "chunking",
        "data": data.path,
        "retriever": retriever,
        "encoder": getattr(encoder, "model_id", None) if retriever == "dense" else None,
        "unit": unit,
        "k": k,
        "ks": ks,
        "questions": len(questions),
        "documents": len(data.texts),
        "query_ids": query_ids,
        "results": results,
    }
