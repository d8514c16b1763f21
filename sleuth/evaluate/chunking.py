"""Chunking evaluation, the runner: read an evaluation set, chunk the corpus with each configuration,
retrieve the top chunks of every question, and score them at token resolution.

The metrics (recall, precision, IoU, Precision-Omega; Chroma's method, Smith & Troynikov, "Evaluating
Chunking Strategies for Retrieval", 2024) are pure functions in :mod:`sleuth.evaluate.chunking_metrics`,
with their formulas. This module owns the I/O (``corpus.jsonl`` + ``spans.jsonl``, as ``sleuth synth``
writes them), the scratch retrievers over chunk texts (dense cosine, Lucene BM25) and the loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sleuth.errors import ConfigError, EvaluationError, FormatError
from sleuth.evaluate.beir import json_objects
from sleuth.evaluate.chunking_metrics import TOKEN, DocSpan, Units, precision_omega, retrieval_scores, summarize


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
    for lineno, rec in json_objects(corpus, ""):
        doc_id = rec.get("_id")
        if not isinstance(doc_id, (str, int)) or not isinstance(rec.get("text", ""), str):
            raise FormatError(str(corpus), lineno, 'each line needs "_id" and a string "text".')
        texts[str(doc_id)] = rec.get("text", "")
        titles[str(doc_id)] = str(rec.get("title", "") or "")
    questions = []
    fix = 'Each line: {"query_id", "question", "references": [{"doc_id", "start_index", "end_index"}]}.'
    for lineno, rec in json_objects(spans, ""):
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


def bm25_scorer(texts: list[str]) -> Callable[[str], np.ndarray]:
    """BM25 (Lucene's, k1=1.5, b=0.75: sleuth's defaults) over chunk texts alone, with sleuth's analyzer.

    The weights come from the index's own :func:`sleuth.index.bm25.bm25f_matrix` over the terms of
    :class:`sleuth.index.tokens.BatchAnalyzer`. Not a lexical index: a question here must score *every*
    chunk (a chunk without its terms scores 0 and can still fill the top k, as in Chroma's study), where
    the index returns only matching passages, and this scratch matrix needs no segments on disk.
    """
    import scipy.sparse as sp

    from sleuth.index.bm25 import bm25f_matrix
    from sleuth.index.tokens import BatchAnalyzer
    from sleuth.text import Analyzer

    analyzer = Analyzer()
    batch = BatchAnalyzer(analyzer)
    rows, cols = batch.analyze(texts)
    vocab = batch.vocab.ids
    lengths = np.bincount(rows, minlength=len(texts)).astype(float)
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
    from sleuth.index.topk import best_rows

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
        order = np.arange(len(spans))
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
            bm25 = bm25_scorer(texts)
            scores = [bm25(q.text) for q in questions]
        advance(len(texts) - (done - before), cfg.label)  # passages already embedded for another configuration
        per_k: dict[int, list[dict[str, float]]] = {x: [] for x in ks}
        omegas, counts = [], []
        for i in range(len(questions)):
            # best first, ties by chunk order; zero scores still fill the top k (Chroma retrieves k)
            best = best_rows(-scores[i], max(ks), order, positive_only=False)
            om, cnt = precision_omega(refs_units[i], (c for d in {r[0] for r in refs_units[i]}
                                                      for c in by_doc.get(d, [])))
            omegas.append(om)
            counts.append(cnt)
            for x in ks:
                s = retrieval_scores(refs_units[i], [chunk_units[j] for j in best[:x]])
                per_k[x].append({**s, "omega": om})
        words = [units.count(*s) if unit == "word" else len(TOKEN.findall(t)) for s, t in zip(spans, texts)]
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
