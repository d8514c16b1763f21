"""Run a retrieval pipeline over a BEIR-layout directory and measure quality and speed."""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sleuth.backends import EmbeddedTarget, Target
from sleuth.config import Settings
from sleuth.errors import EvaluationError
from sleuth.evaluate.beir import load_qrels, load_queries
from sleuth.evaluate.metrics import DEFAULT_METRICS, evaluate_run
from sleuth.evaluate.runfile import write_trec_run
from sleuth.ingest import read_paths
from sleuth.retrieve import get_pipeline


def peak_rss_bytes() -> int:
    """Peak resident set size of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


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
) -> dict[str, Any]:
    """Index ``data_dir/corpus.jsonl`` (or reuse ``collection_dir``), run the judged queries, score them.

    ``target`` puts the collection elsewhere than ``collection_dir`` (e.g. in Milvus, see
    :mod:`sleuth.backends`). Quality comes from :func:`sleuth.evaluate.metrics.evaluate_run`; speed is
    one query at a time (the interactive case), after a warm-up query.
    """
    data_dir = Path(data_dir)
    queries = load_queries(data_dir)
    qrels = load_qrels(data_dir, split)
    judged = [q for q in qrels if q in queries]
    if not judged:
        raise EvaluationError(
            f"None of the {len(qrels)} judged queries in {data_dir}/qrels/{split}.tsv is in queries.jsonl.",
            "Check that the query ids in the two files match.",
        )
    pipe = get_pipeline(pipeline)
    tmp = None
    if target is None and collection_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="sleuth-eval-")
        collection_dir = Path(tmp.name) / "collection"
    if target is None:
        target = EmbeddedTarget(Path(collection_dir))  # type: ignore[arg-type]
    if settings is None and not target.exists() and not pipe.dense:
        settings = Settings(encoder="none")  # a lexical evaluation need not embed the corpus
    try:
        col = target.open_or_create(settings)
        t0 = time.perf_counter()
        summary = col.ingest(read_paths([data_dir], fmt="beir"))
        pipe.prepare(col)
        build_s = time.perf_counter() - t0
        pipe(col, queries[judged[0]], depth)
        run: dict[str, dict[str, float]] = {}
        lat = np.zeros(len(judged))
        for i, q in enumerate(judged):
            t = time.perf_counter()
            hits = pipe(col, queries[q], depth)
            lat[i] = time.perf_counter() - t
            run[q] = {doc_id: score for doc_id, score, _ in hits}
            if on_progress:
                on_progress("queries", i + 1, len(judged))
        scores = evaluate_run(qrels, run, metrics)
        if run_file is not None:
            write_trec_run(run, run_file, tag=f"sleuth-{pipeline}", depth=depth)
        out: dict[str, Any] = {
            "data": str(data_dir), "split": split, "pipeline": pipeline,
            "queries": len(judged), "documents": col.store.count_documents(),
            "chunks": col.store.count_chunks(),
            **{m: round(v, 4) for m, v in scores.items()},
            "build_s": round(build_s, 3),
            "docs_per_s": round(summary.added / build_s, 1) if build_s > 0 else None,
            "qps": round(len(judged) / lat.sum(), 1) if lat.sum() > 0 else None,
            "p50_ms": round(float(np.percentile(lat, 50)) * 1e3, 3),
            "p95_ms": round(float(np.percentile(lat, 95)) * 1e3, 3),
            "index_bytes": target.nbytes(),
            "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
            "ingest_failed": len(summary.failed),
        }
        col.close()
        return out
    finally:
        if tmp is not None:
            tmp.cleanup()
