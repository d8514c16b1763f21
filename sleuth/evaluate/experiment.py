"""Run a retrieval pipeline over a BEIR-layout directory and measure quality and speed."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sleuth.store import EmbeddedTarget, Target
from sleuth.config import Settings
from sleuth.errors import EvaluationError
from sleuth.evaluate.beir import load_qrels, load_queries
from sleuth.evaluate.metrics import DEFAULT_METRICS, evaluate_run
from sleuth.evaluate.resources import peak_rss_bytes
from sleuth.evaluate.runfile import write_trec_run
from sleuth.ingest import read_paths
from sleuth.retrieve import get_pipeline


JUDGES = ("auto", "document", "passage")


def run_beir(
    data_dir: Path,
    pipeline: str = "bm25",
    *,
    split: str = "test",
    depth: int = 100,
    collection_dir: Path | None = None,
    settings: Settings | None = None,
    run_file: Path | None = None,
    metrics: tuple[str, ...] = DEFAULT_METRICS,
    on_progress: Callable[[str, int, int], None] | None = None,
    target: Target | None = None,
    judge: str = "document",
) -> dict[str, Any]:
    """Index ``data_dir/corpus.jsonl`` (or reuse ``collection_dir``), run the judged queries, score them.

    One pipeline; the result holds the build figures too (:func:`run_pipelines` for several).
    """
    run = run_pipelines(data_dir, [pipeline], split=split, depth=depth, collection_dir=collection_dir,
                        settings=settings, run_files=[run_file], metrics=metrics, on_progress=on_progress,
                        target=target, judge=judge)
    return {**run["results"][0], "docs_per_s": run["build"]["docs_per_s"], "ingest_failed": run["build"]["ingest_failed"]}


def run_pipelines(
    data_dir: Path,
    pipelines: list[str],
    *,
    split: str = "test",
    depth: int = 100,
    collection_dir: Path | None = None,
    settings: Settings | None = None,
    run_files: list[Path | None] | None = None,
    metrics: tuple[str, ...] = DEFAULT_METRICS,
    on_progress: Callable[[str, int, int], None] | None = None,
    target: Target | None = None,
    judge: str = "auto",
) -> dict[str, Any]:
    """Build the index of ``data_dir`` once, then run and score each pipeline on the judged queries.

    ``target`` puts the collection elsewhere than ``collection_dir`` (e.g. in Milvus, see
    :mod:`sleuth.store`). Quality comes from :func:`sleuth.evaluate.metrics.evaluate_run`; speed is
    one query at a time (the interactive case), after a warm-up query. ``judge``: ``document`` scores
    the qrels; ``passage`` scores the passage each hit shows against the reference excerpts of a
    ``sleuth synth`` set (:mod:`sleuth.evaluate.judging`); ``auto`` judges passages when the set has them.

    Returns ``{"build": {...}, "results": [one dict per pipeline], "judged": "document"|"passage",
    "random_ndcg@10": ..., "warnings": [...], "qrels": the judgments scored}``. The build (ingest plus loading every pipeline's
    indexes) is timed once, before any query, not charged to the first pipeline; each result's
    ``build_s`` is that one shared figure. ``on_progress(what, done, total)`` (total 0: unknown).
    """
    from sleuth.evaluate import judging

    if judge not in JUDGES:
        raise EvaluationError(f"Unknown judging {judge!r}.", f"Use one of: {', '.join(JUDGES)}.")
    data_dir = Path(data_dir)
    queries = load_queries(data_dir)
    qrels = load_qrels(data_dir, split)
    judged = [q for q in qrels if q in queries]
    if not judged:
        raise EvaluationError(
            f"None of the {len(qrels)} judged queries in {data_dir}/qrels/{split}.tsv is in queries.jsonl.",
            "Check that the query ids in the two files match.",
        )
    references = judging.load_references(data_dir) if judge != "document" else None
    if judge == "passage" and references is None:
        raise EvaluationError(f"{data_dir} has no reference excerpts (spans.jsonl) to judge passages by.",
                              "Make the set with `sleuth synth`, or judge documents (--judge document).")
    pipes = [get_pipeline(p) for p in pipelines]
    run_files = run_files or [None] * len(pipes)
    tmp = None
    if target is None and collection_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="sleuth-eval-")
        collection_dir = Path(tmp.name) / "collection"
    if target is None:
        target = EmbeddedTarget(Path(collection_dir))  # type: ignore[arg-type]
    if settings is None and not target.exists() and not any(p.dense for p in pipes):
        settings = Settings(encoder="none")  # a lexical evaluation need not embed the corpus
    try:
        col = target.open_or_create(settings)
        t0 = time.perf_counter()
        read = 0

        def built(n: int) -> None:
            nonlocal read
            read += n
            if on_progress:
                on_progress("building the index", read, 0)

        summary = col.ingest(read_paths([data_dir], fmt="beir"), on_progress=built)
        for pipe in pipes:
            pipe.prepare(col)
        build_s = time.perf_counter() - t0
        documents = col.store.count_documents()
        scoring, mode = qrels, "document"
        if references is not None and "documents" in col.capabilities:
            chunks = ((r.id, r.doc_id, r.start, r.end) for batch in col.store.iter_chunks() for r in batch)
            scoring, mode = judging.passage_qrels({q: references.get(q, []) for q in judged}, chunks), "passage"
        elif judge == "passage":
            raise EvaluationError("This backend cannot list its passages, so hits cannot be judged by passage.",
                                  "Judge documents (--judge document), or evaluate on an embedded collection.")
        random_score = round(judging.mean_random_ndcg({q: qrels[q] for q in judged}, documents), 4)
        warnings = []
        if mode == "document" and (w := judging.small_collection_warning(random_score, documents)):
            warnings.append(w)
        results = []
        for pipe, run_file in zip(pipes, run_files):
            result = _run_queries(col, pipe, queries, judged, depth, scoring, metrics, mode, on_progress)
            if run_file is not None:
                write_trec_run(result.pop("run"), run_file, tag=f"sleuth-{pipe.name}", depth=depth)
            else:
                result.pop("run")
            results.append({
                "data": str(data_dir), "split": split, "pipeline": pipe.name, "judged": mode,
                "queries": len(judged), "documents": documents, "chunks": col.store.count_chunks(),
                **result, "build_s": round(build_s, 3), "index_bytes": target.nbytes(),
                "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
            })
        build = {"build_s": round(build_s, 3),
                 "docs_per_s": round(summary.added / build_s, 1) if build_s > 0 and summary.added else None,
                 "documents": documents, "chunks": col.store.count_chunks(), "added": summary.added,
                 "index_bytes": target.nbytes(), "ingest_failed": len(summary.failed)}
        col.close()
        return {"build": build, "results": results, "judged": mode, "random_ndcg@10": random_score,
                "warnings": warnings, "qrels": scoring}
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run_queries(col: Any, pipe: Any, queries: dict[str, str], judged: list[str], depth: int, qrels: Any,
                 metrics: tuple[str, ...], mode: str, on_progress: Callable[[str, int, int], None] | None,
                 ) -> dict[str, Any]:
    from sleuth.evaluate.judging import passage_id

    pipe(col, queries[judged[0]], depth)  # warm-up
    run: dict[str, dict[str, float]] = {}
    lat = np.zeros(len(judged))
    for i, q in enumerate(judged):
        t = time.perf_counter()
        hits = pipe(col, queries[q], depth)
        lat[i] = time.perf_counter() - t
        if mode == "passage":
            run[q] = {passage_id(doc_id, chunk): score for doc_id, score, chunk in hits}
        else:
            run[q] = {doc_id: score for doc_id, score, _ in hits}
        if on_progress:
            on_progress(f"{pipe.name}: queries", i + 1, len(judged))
    scores = evaluate_run(qrels, run, metrics)
    return {
        **{m: round(v, 4) for m, v in scores.items()},
        "qps": round(len(judged) / lat.sum(), 1) if lat.sum() > 0 else None,
        "p50_ms": round(float(np.percentile(lat, 50)) * 1e3, 3),
        "p95_ms": round(float(np.percentile(lat, 95)) * 1e3, 3),
        "run": run,
    }
