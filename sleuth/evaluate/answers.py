"""Evaluate answers: citations against qrels, abstention, support, stage latency, memory, ablation.

Definitions (per judged query; rel = documents with qrels grade >= 1; C = the cited documents in
citation order, without repeats):

- cited recall@3   = |rel ∩ C[:3]| / |rel|            (0 when the answer abstains)
- cited precision  = |rel ∩ C| / |C|                  (over answered queries)
- answered         = share of in-collection questions not declined
- abstention acc.  = share of out-of-collection questions declined (questions of another collection)
- support rate     = supported answer sentences / answer sentences
- memory: on a stream where each question is asked, then repeated verbatim, then paraphrased
  (deterministic rewordings), in a seeded random order: hit rate, false hits (an answer served for a
  question whose source question differs) and median latency of hits vs cold answers.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sleuth.evaluate.beir import load_qrels, load_queries
from sleuth.ingest import read_paths
from sleuth.evaluate.calibrate import ensure_calibrated
from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.rag.stages import RETRIEVAL_RECIPE
from sleuth.store.embedded.collection import Collection
from sleuth.types import Answer

_TEMPLATES = (
    lambda q: q.lower().rstrip(".?!"),
    lambda q: f"Is it true that {q[0].lower() + q[1:]}".rstrip(".") + "?",
    lambda q: f"What does the literature say about this: {q}",
)


def paraphrases(question: str) -> list[str]:
    """Rewordings that keep the meaning (case, a question frame, a request frame)."""
    return [t(question) for t in _TEMPLATES]


def cited_docs(answer: Answer) -> list[str]:
    return list(dict.fromkeys(c.doc_id for c in answer.citations))


def _score(answers: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    recall, precision = [], []
    for q, docs in answers.items():
        rel = {d for d, g in qrels[q].items() if g >= 1}
        if not rel:
            continue
        recall.append(len(rel & set(docs[:3])) / len(rel))
        if docs:
            precision.append(len(rel & set(docs)) / len(docs))
    return {"cited_recall@3": round(statistics.fmean(recall), 4) if recall else 0.0,
            "cited_precision": round(statistics.fmean(precision), 4) if precision else 0.0}


def _retrieval_only(asker: Asker, question: str) -> list[str]:
    """The first three documents of what ``asker``'s stages retrieve, before any reader or abstention."""
    passages = asker.run(question, RETRIEVAL_RECIPE).passages
    return list(dict.fromkeys(p.chunk.doc_id for p in passages))[:3]


def evaluate_answers(
    data_dir: Path,
    *,
    ood_dir: Path | None = None,
    limit: int | None = None,
    generator: Any = None,
    options: AskOptions | None = None,
    collection_dir: Path | None = None,
    ablation: bool = True,
    memory_stream: int = 30,
    seed: int = 0,
    on_progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    options = options or AskOptions()
    queries, qrels = load_queries(data_dir), load_qrels(data_dir)
    judged = [q for q in qrels if q in queries][: limit or None]
    tmp = tempfile.TemporaryDirectory(prefix="sleuth-answers-") if collection_dir is None else None
    directory = Path(tmp.name) / "c" if tmp else collection_dir
    col = Collection.open_or_create(directory)
    col.ingest(read_paths([data_dir], fmt="beir"))
    say = on_progress or (lambda s: None)
    say("calibrating abstention")
    ensure_calibrated(col)  # as `sleuth index` does
    out: dict[str, Any] = {"data": str(data_dir), "queries": len(judged), "options": options.__dict__}

    asker = Asker(col, generator, replace(options, memory=False))
    out["threshold"] = asker.threshold
    say("answering the judged questions")
    answers, timings, supported, sentences, answered = {}, [], 0, 0, 0
    for q in judged:
        a = asker.ask(queries[q])
        answers[q] = cited_docs(a)
        timings.append(a.timings_ms)
        answered += not a.abstained
        sentences += len(a.sentences)
        supported += sum(s.supported for s in a.sentences)
    out.update(_score(answers, qrels))
    out["answered"] = round(answered / max(len(judged), 1), 4)
    out["support_rate"] = round(supported / sentences, 4) if sentences else None
    stages = sorted({k for t in timings for k in t})
    out["stage_ms"] = {s: round(statistics.fmean(t.get(s, 0.0) for t in timings), 2) for s in stages}

    if ood_dir is not None:
        say("asking out-of-collection questions")
        ood = list(load_queries(ood_dir).values())[: limit or None]
        declined = sum(asker.ask(text).abstained for text in ood)
        out["ood_questions"] = len(ood)
        out["abstention_accuracy"] = round(declined / max(len(ood), 1), 4)

    if ablation:
        say("ablation")
        steps = {"retrieval only": {"rewrite": False, "filter": False},
                 "+ rewriter (PRF)": {"rewrite": True, "filter": False},
                 "+ filter": {"rewrite": True, "filter": True}}
        rows = {}
        for name, switches in steps.items():
            part = Asker(col, generator, replace(options, memory=False, **switches))
            rows[name] = {q: _retrieval_only(part, queries[q]) for q in judged}
        full = Asker(col, generator, replace(options, rewrite=True, filter=True, memory=False))
        rows["full pipeline (rewriter + filter + reader)"] = {q: cited_docs(full.ask(queries[q])) for q in judged}
        rows["default (filter + reader, no rewriter)"] = answers
        out["ablation"] = {name: _score(r, qrels) for name, r in rows.items()}

    if memory_stream:
        say("memory stream")
        (directory / "memory.sqlite").unlink(missing_ok=True)
        mem = Asker(col, generator, replace(options, memory=True))
        rng = random.Random(seed)
        picked = rng.sample(judged, min(memory_stream, len(judged)))
        first = [(q, queries[q], "cold") for q in picked]
        rest = [(q, queries[q], "repeat") for q in picked] + [(q, p, "paraphrase") for q in picked for p in paraphrases(queries[q])]
        rng.shuffle(rest)
        # A stored question may itself be a paraphrase that was answered cold; what counts is its source.
        source_of = {text: source for source, text, _ in first + rest}
        hits = false_hits = 0
        cold_ms, hit_ms, repeat_ms = [], [], []
        for source, text, kind in first + rest:
            t = time.perf_counter()
            a = mem.ask(text)
            ms = (time.perf_counter() - t) * 1e3
            if a.from_memory:
                hits += 1
                (repeat_ms if kind == "repeat" else hit_ms).append(ms)
                false_hits += source_of.get(a.memory_question) != source
            else:
                cold_ms.append(ms)
        mem.close()
        repeats = len(rest)
        out["memory"] = {
            "stream": len(first) + repeats, "repeats_and_paraphrases": repeats, "hits": hits,
            "hit_rate": round(hits / max(repeats, 1), 4), "false_hits": false_hits,
            "cold_ms_median": round(statistics.median(cold_ms), 2) if cold_ms else None,
            "repeat_ms_median": round(statistics.median(repeat_ms), 2) if repeat_ms else None,
            "paraphrase_hit_ms_median": round(statistics.median(hit_ms), 2) if hit_ms else None,
            "repeat_speedup": round(statistics.median(cold_ms) / statistics.median(repeat_ms), 1) if cold_ms and repeat_ms else None,
        }
    asker.close()
    col.close()
    if tmp:
        tmp.cleanup()
    return out
