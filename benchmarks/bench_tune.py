"""`sleuth tune` before and after, per collection: nDCG@10 on the test qrels, what was adopted, wall-clock cost.

    python benchmarks/bench_tune.py ../shared/data/scifact ../shared/data/cranfield ... [--work DIR]
                                    [--budget 600] [--seed 0] [--latency-queries 100]
                                    [--generator smollm2 [--questions 200]] [--no-train-split]

For each BEIR folder: index it with sleuth's defaults (or reuse ``--work/NAME-base``), copy that
collection, run ``tune`` with the default options on the copy (the folder's ``qrels/train.tsv`` is used
when it exists unless ``--no-train-split``; the test qrels never are; ``--generator`` adds generated
questions), and evaluate the untuned ``hybrid``, the tuned collection's
``hybrid`` (tuned query encoder, if adopted) and its default pipeline (``hybrid-rerank`` if a reranker
was adopted) on the test qrels. Then the reranker's cost: ms per query to score the hybrid top-20 and
top-50 (an exported reranker's speed does not depend on its weights, so the untrained export is timed).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_beir, machine  # noqa: E402

from sleuth.evaluate.metrics import evaluate_run  # noqa: E402
from sleuth.evaluate.synth import load_generator  # noqa: E402
from sleuth.index.vectors import passage_text  # noqa: E402
from sleuth.ingest import read_paths  # noqa: E402
from sleuth.retrieve import get_pipeline  # noqa: E402
from sleuth.store.embedded.collection import Collection  # noqa: E402
from sleuth.tune.runner import TuneOptions, tune  # noqa: E402


def ndcg(col: Collection, mode: str, queries: dict[str, str], qrels: dict) -> float:
    pipe = get_pipeline(mode)
    pipe.prepare(col)
    run = {q: {d: s for d, s, _ in pipe(col, text, 100)} for q, text in queries.items()}
    return evaluate_run(qrels, run, ("ndcg@10",))["ndcg@10"]


def base_collection(data: Path, work: Path) -> Path:
    d = work / f"{data.name}-base"
    with Collection.open_or_create(d) as col:
        col.ingest(read_paths([data], fmt="beir"))
    return d


def rerank_latency(col: Collection, texts: list[str], depth: int) -> tuple[float, float]:
    """p50 and p95 ms of scoring the hybrid top-``depth`` of each query with an exported reranker."""
    from sleuth.rerank.cross_encoder import CrossEncoder
    from sleuth.tune.crossencoder import HEAD, INITIAL_SCALE
    from sleuth.tune.export import export
    from sleuth.tune.training import base_model_dir

    with tempfile.TemporaryDirectory() as tmp:
        hf = Path(tmp) / "hf"
        shutil.copytree(base_model_dir(), hf)
        (hf / HEAD).write_text(json.dumps({"scale": INITIAL_SCALE}))
        export(hf, Path(tmp) / "onnx", kind="reranker")
        ce = CrossEncoder(Path(tmp) / "onnx")
        hybrid = get_pipeline("hybrid")
        times = []
        for q in texts:
            passages = []
            for _, _, c in hybrid(col, q, depth):
                found = col.store.get_chunk(int(c))
                passages.append(passage_text(found[1], found[0].text))
            t = time.perf_counter()
            ce.score(q, passages)
            times.append((time.perf_counter() - t) * 1e3)
    return float(np.percentile(times[1:], 50)), float(np.percentile(times[1:], 95))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="+", type=Path, help="BEIR folders")
    ap.add_argument("--work", type=Path, default=None, help="keep collections here (base ones are reused)")
    ap.add_argument("--budget", type=float, default=TuneOptions.budget_s, help="training seconds (default: sleuth's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--latency-queries", type=int, default=100)
    ap.add_argument("--generator", default=None, help="also train on generated questions (e.g. smollm2)")
    ap.add_argument("--questions", type=int, default=TuneOptions.questions, help="with --generator")
    ap.add_argument("--no-train-split", action="store_true", help="ignore qrels/train.tsv even where it exists")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    a = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory() if a.work is None else None
    work = Path(tmp.name) if tmp else a.work
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    generator = load_generator(a.generator)
    rows = []
    for data in a.data:
        _, queries, qrels = load_beir(data)
        base = base_collection(data, work)
        tuned_dir = work / f"{data.name}-tuned"
        shutil.rmtree(tuned_dir, ignore_errors=True)
        shutil.copytree(base, tuned_dir)
        train = data if (data / "qrels" / "train.tsv").is_file() and not a.no_train_split else None
        with Collection.open(base, readonly=True) as col:
            before = ndcg(col, "hybrid", queries, qrels)
        t = time.perf_counter()
        with Collection.open(tuned_dir) as col:
            report = tune(col, TuneOptions(budget_s=a.budget, seed=a.seed, train_data=train,
                                           generator=generator, questions=a.questions))
        seconds = time.perf_counter() - t
        with Collection.open(tuned_dir, readonly=True) as col:
            after_hybrid = ndcg(col, "hybrid", queries, qrels)
            after_default = ndcg(col, col.default_mode, queries, qrels)
            mode = col.default_mode
        row = {"data": data.name, "train_split": train is not None, "before": before,
               "after_hybrid": after_hybrid, "after": after_default, "default_mode": mode,
               "adopted": sorted(k for k in ("query_encoder", "reranker") if report.adopted.get(k)),
               "tune_s": seconds, "report": report.to_dict()}
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "report"}), flush=True)

    print("\n| collection | judged pairs | hybrid before | after (tuned pipeline) | change | adopted | tune wall-clock |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['data']} | {'train split' if r['train_split'] else 'none'} | {r['before']:.4f} | "
              f"{r['after']:.4f} ({r['default_mode']}) | {r['after'] - r['before']:+.4f} | "
              f"{', '.join(r['adopted']) or 'nothing'} | {r['tune_s'] / 60:.1f} min |")
    first = a.data[0]
    _, queries, _ = load_beir(first)
    with Collection.open(work / f"{first.name}-base", readonly=True) as col:
        texts = list(queries.values())[: a.latency_queries + 1]
        print(f"\nreranker cost on {first.name} ({len(texts) - 1} queries, one at a time):")
        for depth in (20, 50):
            p50, p95 = rerank_latency(col, texts, depth)
            print(f"  top-{depth}: p50 {p50:.0f} ms, p95 {p95:.0f} ms per query")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
