"""``sleuth tune``: mine pairs, train a query encoder and a reranker within a time budget, keep what helps.

1. Pairs from the corpus (titles, inverse cloze; generated questions with a generator) and, when given,
   a train split (never the test split). Documents are split into a training part and a held-out slice
   (``held_out`` of them, by a seeded hash): no pair of a held-out document is trained on.
2. The query encoder is trained against the collection's own passage vectors (``query_side.py``).
3. Hard negatives are mined with the current hybrid retriever; the cross-encoder trains on them.
4. Both models are exported to int8 ONNX inside the collection (``models/``).
5. The guard: on the held-out pairs, the untuned hybrid, hybrid with the tuned query encoder, and the
   kept one plus the reranker (at each weight of ``RERANK_WEIGHTS``, on at most ``MAX_RERANK_HELD_OUT``
   pairs) are scored with nDCG@10 (each held-out query has one relevant document). A model is adopted only if it gains at least ``min_gain`` there; the
   choice and every figure go into meta.json and the returned report. A collection the tuning does not
   help keeps its untuned pipeline.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import InputError
from sleuth.store.embedded.collection import Collection
from sleuth.tune import pairs as P
from sleuth.tune.training import Budget, need_torch

MODELS = "models"
RERANK_WEIGHTS = (0.25, 0.5, 0.75, 1.0)
#: Shares of the training budget: query encoder, reranker (the rest pays for mining, export and the guard).
SHARES = (0.4, 0.5)
#: With a generator, question generation may use this share of the budget; training gets what is left.
QUESTION_SHARE = 0.3
MAX_HELD_OUT = 400
MIN_JUDGED_HELD_OUT = 30
JUDGED_HELD_OUT = 0.2
MAX_RERANK_HELD_OUT = 200
CORPUS_PER_JUDGED = 1


@dataclass
class TuneOptions:
    budget_s: float = 600.0
    seed: int = 0
    train_data: Path | None = None
    """A BEIR folder whose ``qrels/<train_split>.tsv`` adds judged pairs (never the test split)."""
    train_split: str = "train"
    reranker: bool = True
    held_out: float = 0.1
    min_gain: float = 0.005
    rerank_depth: int = 20
    negatives: int = 3
    max_steps: int = 100_000
    """Cap on each trainer's steps (the budget and three epochs cap them too)."""
    generator: Any = None
    """A loaded generator (``sleuth.evaluate.synth.load_generator``): adds generated-question pairs."""
    questions: int = 200
    """How many generated questions to aim for (only with a generator)."""


@dataclass
class TuneReport:
    pairs: dict[str, int] = field(default_factory=dict)
    held_out_pairs: int = 0
    held_out_kinds: list[str] = field(default_factory=list)
    steps: dict[str, int] = field(default_factory=dict)
    held_out_ndcg: dict[str, float] = field(default_factory=dict)
    adopted: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Event = Callable[[str, int, int], None]
"""on_event(stage, done, total): progress of the current stage."""


def _ndcg_single(ranked: list[str], relevant: str, k: int = 10) -> float:
    """nDCG@k with one relevant document: 1/log2(rank + 2) if it is in the top k (rank from 0), else 0."""
    import math

    for rank, d in enumerate(ranked[:k]):
        if d == relevant:
            return 1.0 / math.log2(rank + 2)
    return 0.0


def held_out_score(col: Collection, pairs: list[P.Pair], mode: str) -> float:
    """Mean nDCG@10 of ``mode`` over held-out pairs (the positive is the one relevant document)."""
    from sleuth.retrieve import get_pipeline

    pipe = get_pipeline(mode)
    pipe.prepare(col)
    if not pairs:
        return 0.0
    return sum(_ndcg_single([d for d, _, _ in pipe(col, p.query, 10)], p.positive.doc_id) for p in pairs) / len(pairs)


def _model_dir(col: Collection, kind: str, seed: int) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return col.directory / MODELS / f"{kind}-{stamp}-s{seed}"


def build_pairs(col: Collection, options: TuneOptions, questions: Sequence[P.Pair] = ()) -> tuple[list[P.Pair], list[P.Pair]]:
    """Training pairs and held-out pairs, in a seeded order; ``questions`` (generated ones) are all kept.

    With judged pairs, corpus pairs are sampled to ``CORPUS_PER_JUDGED`` times their number: in
    development on SciFact, judged pairs plus every corpus pair did worse on the test queries than
    judged pairs alone (the few judged pairs drown), and judged plus as many corpus pairs did best.

    Judged queries are held out by query (``JUDGED_HELD_OUT`` of them), corpus pairs by document. The
    held-out pairs are the judged ones when at least ``MIN_JUDGED_HELD_OUT`` were held out: real queries
    judge a query encoder better than titles and sentences, which are easy queries. (In development on
    SciFact, held-out titles and sentences, and judged queries held out by document, both scored a tuned
    encoder below the untuned one while the test queries gained; 181 of the 283 documents relevant to
    SciFact's test queries are relevant to train queries too, so "new queries over the same documents"
    is the situation to imitate.)
    """
    rng = random.Random(options.seed)
    pairs = P.corpus_pairs(col, seed=options.seed)
    if options.train_data is not None:
        judged = P.train_split_pairs(options.train_data, P.first_passages(col), options.train_split)
        if judged:
            pairs = judged + pairs[: CORPUS_PER_JUDGED * len(judged)]
    pairs = list(questions) + pairs
    rng.shuffle(pairs)
    train, held = P.split_pairs(pairs, options.held_out, options.seed, JUDGED_HELD_OUT)
    judged_held = [p for p in held if p.kind == "train"]
    if len(judged_held) >= MIN_JUDGED_HELD_OUT:
        held = judged_held  # real queries judge better than pseudo-queries when there are enough of them
    return train, held[:MAX_HELD_OUT]


def rerank_held_out(col: Collection, pairs: list[P.Pair], reranker: Path, depth: int,
                    weights: tuple[float, ...] = RERANK_WEIGHTS) -> dict[float, float]:
    """Held-out nDCG@10 of hybrid + ``reranker`` at each interpolation weight (the reranker runs once per query)."""
    from sleuth.index.vectors import passage_text
    from sleuth.ranking.combine import rerank_scores
    from sleuth.rerank.cross_encoder import CrossEncoder
    from sleuth.retrieve import get_pipeline

    ce = CrossEncoder(reranker)
    hybrid = get_pipeline("hybrid")
    totals = dict.fromkeys(weights, 0.0)
    for p in pairs:
        first = hybrid(col, p.query, depth)
        texts = []
        for _, _, chunk_id in first:
            found = col.store.get_chunk(int(chunk_id))
            texts.append(passage_text(found[1], found[0].text) if found else "")
        scores = ce.score(p.query, texts).tolist()
        for w in weights:
            ranked = [d for d, _ in rerank_scores([(d, s) for d, s, _ in first], scores, w)]
            totals[w] += _ndcg_single(ranked, p.positive.doc_id)
    return {w: t / max(1, len(pairs)) for w, t in totals.items()}


def tune(col: Collection, options: TuneOptions = TuneOptions(), on_event: Event | None = None) -> TuneReport:
    """Tune ``col`` in place (see the module docstring); returns what was measured and adopted.

    Candidates are judged in memory (:meth:`Collection.try_tuned`); meta.json is written once, at the
    end, so an interrupted tune leaves the collection as it was (new model folders not yet named in
    meta.json are removed by the next tune).
    """
    from sleuth.tune.crossencoder import CrossEncoderConfig, train_cross_encoder
    from sleuth.tune.export import export
    from sleuth.tune.query_side import QuerySideConfig, train_query_encoder

    need_torch()
    if col.encoder is None:
        raise InputError(
            f"{col.directory} has no dense encoder (encoder=none): there is nothing to tune.",
            "Index into a collection with the default encoder (minilm).",
        )
    emit = on_event or (lambda stage, done, total: None)
    t_start = time.monotonic()
    report = TuneReport()
    previous = col.tuned
    rel = lambda path: str(path.relative_to(col.directory))  # noqa: E731
    work = col.directory / MODELS / ".work"
    try:
        col.try_tuned(None)  # tune from the shipped model, judged against the untuned pipeline
        questions: list[P.Pair] = []
        if options.generator is not None:
            questions = P.question_pairs(col, options.generator, options.questions, seed=options.seed,
                                         deadline=t_start + QUESTION_SHARE * options.budget_s,
                                         on_progress=lambda d, tot: emit("writing questions", d, tot))
            report.seconds["questions"] = time.monotonic() - t_start
        training_s = options.budget_s - report.seconds.get("questions", 0.0)
        train, held = build_pairs(col, options, questions)
        report.pairs = {k: sum(p.kind == k for p in train) for k in sorted({p.kind for p in train})}
        report.held_out_pairs = len(held)
        report.held_out_kinds = sorted({p.kind for p in held})
        if not train:
            raise InputError(
                f"{col.directory} yields no training pairs (documents need titles or several sentences).",
                "Add more text, or pass --train DATA with a qrels/train.tsv.")
        emit("baseline", 0, 1)
        report.held_out_ndcg["hybrid"] = held_out_score(col, held, "hybrid")
        report.seconds["pairs"] = time.monotonic() - t_start
        shutil.rmtree(work, ignore_errors=True)

        t = time.monotonic()
        vecs, docs = col.dense.passages()
        qdir = _model_dir(col, "query", options.seed)
        report.steps["query_encoder"] = train_query_encoder(
            train, vecs, docs, work / "query", Budget(training_s * SHARES[0]),
            QuerySideConfig(max_steps=options.max_steps), seed=options.seed,
            on_step=lambda d, tot, loss: emit("query encoder", d, tot))
        emit("export", 0, 1)
        export(work / "query", qdir, model_name=f"sleuth-tuned-query/{col.directory.name}",
               extra={"tuned": {"seed": options.seed, "steps": report.steps["query_encoder"]}})
        report.seconds["query_encoder"] = time.monotonic() - t

        col.try_tuned({"query_encoder": rel(qdir)})
        report.held_out_ndcg["hybrid+query"] = held_out_score(col, held, "hybrid")
        best = report.held_out_ndcg["hybrid"]
        record: dict[str, Any] = {}
        if report.held_out_ndcg["hybrid+query"] >= best + options.min_gain:
            record["query_encoder"] = rel(qdir)
            best = report.held_out_ndcg["hybrid+query"]
        col.try_tuned(record or None)

        if options.reranker:
            t = time.monotonic()
            budget = Budget(training_s * SHARES[1])
            want = min(len(train), max(64, int(budget.seconds * 3)))  # more than a CPU trains on in the budget
            mined = P.mine_negatives(col, train[:want], options.negatives, seed=options.seed,
                                     on_progress=lambda d: emit("mining negatives", d, want))
            report.steps["reranker"] = train_cross_encoder(
                mined, work / "reranker", budget,
                CrossEncoderConfig(negatives=options.negatives, max_steps=options.max_steps),
                seed=options.seed, on_step=lambda d, tot, loss: emit("reranker", d, tot))
            rdir = _model_dir(col, "reranker", options.seed)
            emit("export", 0, 1)
            export(work / "reranker", rdir, kind="reranker", model_name=f"sleuth-tuned-reranker/{col.directory.name}",
                   extra={"tuned": {"seed": options.seed, "steps": report.steps["reranker"]}})
            report.seconds["reranker"] = time.monotonic() - t
            emit("checking reranker", 0, 1)
            scores = rerank_held_out(col, held[:MAX_RERANK_HELD_OUT], rdir, options.rerank_depth)
            plain = held_out_score(col, held[:MAX_RERANK_HELD_OUT], "hybrid")
            for w, score in scores.items():
                report.held_out_ndcg[f"hybrid-rerank@{w}"] = score
            w, score = max(scores.items(), key=lambda kv: (kv[1], -kv[0]))
            if score >= plain + options.min_gain:
                record.update(reranker=rel(rdir), rerank_weight=w, rerank_depth=options.rerank_depth)
        report.adopted = dict(record)
        report.seconds["total"] = time.monotonic() - t_start
        col.set_tuned({**record, "report": report.to_dict()} if record else None)
    except BaseException:
        col.try_tuned(previous or None)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    remove_unused(col)
    return report


def remove_unused(col: Collection) -> None:
    """Delete model folders meta.json no longer names (earlier tunes, rejected models)."""
    keep = {col.tuned.get("query_encoder"), col.tuned.get("reranker")}
    models = col.directory / MODELS
    if models.is_dir():
        for d in models.iterdir():
            if str(d.relative_to(col.directory)) not in keep:
                shutil.rmtree(d, ignore_errors=True)
