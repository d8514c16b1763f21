"""Synthetic evaluation sets: questions with reference excerpts, generated from the user's own corpus.

Most users have no relevance judgments for their papers. ``sleuth synth`` makes an evaluation set from
any collection: questions, each with one or more reference *excerpts* given as exact character spans
of the documents (two spans of one document when a question needs two separate sentences), written
as BEIR files plus a spans file (:func:`write_eval_set`). The spans feed the token-level chunking
metrics (:mod:`sleuth.evaluate.chunking_metrics`); the qrels feed the document-level ones.

Questions come from :mod:`sleuth.evaluate.synth_questions` (the heuristic and the generator, and
their filters); this module runs them over the documents (seeded order, up to 3 passes), drops junk and
near-duplicates (Jaccard similarity of the term sets >= 0.7, or the same excerpts), numbers the kept
questions, and writes the set.

Every kept excerpt is verified to be the document's text at its offsets before anything is written.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.evaluate.beir import write_beir, write_jsonl
from sleuth.errors import ConfigError, EvaluationError, InputError
from sleuth.evaluate.quality import query_problem
from sleuth.evaluate.synth_questions import (
    REASONS,
    SUPPORT_FRACTION,
    Corpus,
    Reference,
    SynthQuestion,
    generated_question,
    heuristic_question,
)
from sleuth.text import Analyzer
from sleuth.types import Document

FORMAT = "sleuth-synth/1"
DUPLICATE_JACCARD = 0.7


@dataclass
class SynthResult:
    questions: list[SynthQuestion]
    requested: int
    seed: int
    method: str
    generator: str | None
    tried: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    multi_ratio: float = 0.25

    def manifest(self, documents: int) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "method": self.method,
            "generator": self.generator,
            "seed": self.seed,
            "requested": self.requested,
            "questions": len(self.questions),
            "multi_excerpt_questions": sum(len(q.references) > 1 for q in self.questions),
            "tried": self.tried,
            "dropped": {r: self.dropped.get(r, 0) for r in REASONS},
            "multi_ratio": self.multi_ratio if self.method == "heuristic" else None,
            "documents": documents,
            "files": {"corpus": "corpus.jsonl", "queries": "queries.jsonl", "qrels": "qrels/test.tsv",
                      "spans": "spans.jsonl"},
        }


# -- the whole set --------------------------------------------------------------------------------


def _terms_key(q: SynthQuestion, analyzer: Analyzer) -> set[str]:
    return set(analyzer.terms(q.question))


def is_near_duplicate(terms: set[str], kept: Iterable[set[str]], threshold: float = DUPLICATE_JACCARD) -> bool:
    """Whether the term set's Jaccard similarity with any kept one is >= ``threshold``."""
    for other in kept:
        union = len(terms | other)
        if union and len(terms & other) / union >= threshold:
            return True
    return False


def supported_by_excerpt(question: str, refs: Sequence[Reference], analyzer: Analyzer) -> bool:
    """At least 80% of the question's terms occur in its excerpts (the heuristic's support check)."""
    terms = set(analyzer.terms(question))
    if not terms:
        return False
    found = set().union(*(analyzer.terms(r.content) for r in refs))
    return len(terms & found) / len(terms) >= SUPPORT_FRACTION


def synthesize(
    docs: Sequence[Document],
    n_questions: int = 100,
    *,
    seed: int = 0,
    generator: Any = None,
    generator_name: str | None = None,
    multi_ratio: float = 0.25,
    max_tries: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SynthResult:
    """Generate up to ``n_questions`` questions with reference excerpts from ``docs`` (module docstring).

    Documents are visited in a seeded random order, one question each; when every document has been
    visited once, further passes use sentences not used yet (up to 3 passes). With a generator,
    at most ``max_tries`` (default 3 x ``n_questions``) replies are requested.
    """
    if n_questions < 1:
        raise InputError(f"The number of questions must be at least 1, got {n_questions}.", "Pass --questions 100.")
    if not 0.0 <= multi_ratio <= 1.0:
        raise InputError(f"multi_ratio must be between 0 and 1, got {multi_ratio}.", "Pass e.g. 0.25.")
    sources = [d for d in docs if d.text.strip()]
    if not sources:
        raise EvaluationError("No document with text to make questions from.", "Index some documents first.")
    analyzer = Analyzer()
    corpus = Corpus(sources, analyzer)
    rng = random.Random(seed)
    order = sorted(sources, key=lambda d: d.doc_id)
    rng.shuffle(order)
    method = "generator" if generator is not None else "heuristic"
    result = SynthResult([], n_questions, seed, method, generator_name, multi_ratio=multi_ratio)
    budget = max_tries if max_tries is not None else 3 * n_questions
    used: set[tuple[str, int]] = set()
    kept_terms: list[set[str]] = []
    kept_refs: set[tuple[tuple[str, int, int], ...]] = set()
    for _pass in range(3):
        for doc in order:
            if len(result.questions) >= n_questions or (generator is not None and result.tried >= budget):
                break
            if generator is None:
                q, reason = heuristic_question(doc, corpus, rng, multi_ratio, used), None
                if q is None:
                    continue
                result.tried += 1
                if not supported_by_excerpt(q.question, q.references, analyzer):
                    q, reason = None, "unsupported"
            else:
                q, reason = generated_question(doc, corpus, rng, generator, used)
                if q is None and reason is None:
                    continue
                result.tried += 1
            if q is not None and query_problem(q.question):
                q, reason = None, "junk"
            if q is not None:
                terms = _terms_key(q, analyzer)
                key = tuple((r.doc_id, r.start, r.end) for r in q.references)
                if key in kept_refs or is_near_duplicate(terms, kept_terms):
                    q, reason = None, "duplicate"
                else:
                    kept_terms.append(terms)
                    kept_refs.add(key)
            if q is None:
                result.dropped[reason or "unparsable"] += 1
            else:
                result.questions.append(q)
            if on_progress:
                on_progress(len(result.questions), n_questions)
    width = max(4, len(str(len(result.questions))))
    result.questions = [
        SynthQuestion(q.question, q.references, q.method, q.answer, f"synth-{i:0{width}d}")
        for i, q in enumerate(result.questions, start=1)
    ]
    return result


def verify_spans(questions: Iterable[SynthQuestion], texts: dict[str, str]) -> None:
    """Raise EvaluationError unless every excerpt is its document's text at its offsets."""
    for q in questions:
        for r in q.references:
            text = texts.get(r.doc_id)
            if text is None or not 0 <= r.start < r.end <= len(text) or text[r.start : r.end] != r.content:
                raise EvaluationError(
                    f"Excerpt [{r.start}, {r.end}) of {r.doc_id!r} (question {q.query_id!r}) is not in the document.",
                    "This is a bug in sleuth synth; please report it.",
                )


def write_eval_set(out_dir: Path | str, docs: Sequence[Document], result: SynthResult) -> dict[str, Path]:
    """Write the BEIR files, ``spans.jsonl`` and the manifest ``synth.json`` into ``out_dir``.

    ``out_dir`` must be new, empty, or an earlier ``sleuth synth`` output (which is replaced), so that a
    real dataset is never overwritten.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file.", "Pass a directory to --out.")
    if out.is_dir() and any(out.iterdir()) and not (out / "synth.json").is_file():
        raise InputError(f"{out} is not empty and was not written by sleuth synth.",
                         "Pass a new or empty directory to --out, so no dataset is overwritten.")
    verify_spans(result.questions, {d.doc_id: d.text for d in docs})
    corpus = ({"_id": d.doc_id, "title": d.title, "text": d.text, **({"metadata": d.metadata} if d.metadata else {})}
              for d in docs)
    queries = ({"_id": q.query_id, "text": q.question, "metadata": {"method": q.method, "doc_ids": q.doc_ids}}
               for q in result.questions)
    paths = write_beir(out, corpus, queries, ((q.query_id, d, 1) for q in result.questions for d in q.doc_ids))
    paths |= {"spans": out / "spans.jsonl", "manifest": out / "synth.json"}
    write_jsonl(paths["spans"], ({"query_id": q.query_id, "question": q.question, "answer": q.answer, "method": q.method,
                                  "references": [r.to_dict() for r in q.references]} for q in result.questions))
    paths["manifest"].write_text(json.dumps(result.manifest(len(docs)), indent=2) + "\n", encoding="utf-8")
    return paths


def load_generator(spec: str | None) -> Any:
    """The generator for ``spec`` (a name such as ``smollm2``, a GGUF path or an endpoint URL), or None.

    ``None`` or ``"none"`` means the heuristic. Imported lazily: the generator backends are optional.
    """
    if spec is None or spec.lower() in ("", "none"):
        return None
    try:
        from sleuth.rag.generators import get_generator
    except ImportError as exc:
        raise ConfigError(f"Generators are not available in this installation ({exc}).",
                          "Use the heuristic (omit --generator).") from None
    return get_generator(spec)
