"""The Milvus backend against the embedded store on one BEIR collection: quality, latency, ingestion.

    python benchmarks/bench_backends.py [--data ../shared/data/scifact] [--workers 1,2]

Indexes the corpus into the embedded store and into Milvus Lite (same chunker, analyzer and
all-MiniLM-L6-v2 int8 encoder), then runs the judged queries one at a time through the bm25, dense
and hybrid pipelines of both and prints nDCG@10, p50 latency and queries/s side by side. Ingestion
throughput (read + chunk + analyse + embed + write) is measured for the embedded store, for Milvus Lite
in-process, and for Milvus Lite fed by Ray with each number of ``--workers``. Everything Milvus and Ray
runs in a child process inside a loopback-only network namespace (a local Ray binds every interface),
so this needs root; the namespace and every process in it are gone when the script ends.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import SHARED, machine

from sleuth.evaluate.beir import load_qrels, load_queries
from sleuth.evaluate.metrics import evaluate_run
from sleuth.ingest import read_paths
from sleuth.retrieve import get_pipeline

PIPELINES = ("bm25", "dense", "hybrid")
DEPTH = 100


def evaluate(col: Any, data: Path, split: str) -> dict[str, dict[str, float]]:
    """nDCG@10 and single-query latency of every pipeline on ``col`` (after one warm-up query each)."""
    queries, qrels = load_queries(data), load_qrels(data, split)
    judged = [q for q in qrels if q in queries]
    out = {}
    for name in PIPELINES:
        pipe = get_pipeline(name)
        pipe.prepare(col)
        pipe(col, queries[judged[0]], DEPTH)
        lat, run = [], {}
        for q in judged:
            t = time.perf_counter()
            hits = pipe(col, queries[q], DEPTH)
            lat.append(time.perf_counter() - t)
            run[q] = {d: s for d, s, _ in hits}
        out[name] = {"ndcg@10": evaluate_run(qrels, run, ("ndcg@10",))["ndcg@10"],
                     "p50_ms": float(np.percentile(lat, 50)) * 1e3, "qps": len(lat) / sum(lat)}
    return out


def ingest_figures(summary: Any, seconds: float) -> dict[str, float]:
    return {"seconds": seconds, "docs_per_s": summary.added / seconds, "passages_per_s": summary.chunks / seconds,
            "docs": summary.added, "passages": summary.chunks}


def embedded_side(data: Path, split: str, workdir: Path) -> dict[str, Any]:
    from sleuth.store.collection import Collection

    with Collection.create(workdir / "embedded") as col:
        t = time.perf_counter()
        summary = col.ingest(read_paths([data], fmt="beir"))
        col.lexical, col.dense  # noqa: B018 - loading the indexes is part of getting ready to search
        ingest = ingest_figures(summary, time.perf_counter() - t)
        return {"ingest": ingest, "quality": evaluate(col, data, split)}


def milvus_side(data: Path, split: str, workdir: Path, workers: list[int]) -> dict[str, Any]:
    """Runs inside the namespace: Ray first (it forks daemons from this process), then Milvus Lite."""
    from sleuth.backends.milvus import MilvusCollection
    from sleuth.backends.milvus_config import MilvusConfig
    from sleuth.backends.ray_ingest import plan, ray_ingest, ray_session

    db = str(workdir / "milvus.db")
    out: dict[str, Any] = {"ray": {}}
    work = plan([data], fmt="beir")
    out["shards"] = len(work.shards)
    with ray_session(max(workers)):
        for n in workers:
            with MilvusCollection.create(MilvusConfig(db, f"ray{n}")) as col:
                t = time.perf_counter()
                summary = ray_ingest(work, col, workers=n)
                out["ray"][n] = ingest_figures(summary, time.perf_counter() - t)
                col.drop()
        with MilvusCollection.create(MilvusConfig(db, "inprocess")) as col:
            t = time.perf_counter()
            summary = col.ingest(read_paths([data], fmt="beir"))
            out["ingest"] = ingest_figures(summary, time.perf_counter() - t)
            out["quality"] = evaluate(col, data, split)
    return out


def run_milvus_in_namespace(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from sleuth.backends.netns import LoopbackNamespace

    job = [sys.executable, __file__, "--data", str(args.data), "--split", args.split, "--workers", args.workers,
           "--milvus-job", str(workdir)]
    with LoopbackNamespace("sleuth-bench") as ns:
        done = subprocess.run(ns.command(job), capture_output=True, text=True,
                              env={**os.environ, "RAY_AUTH_MODE": "disabled"})
        left = ns.pids()
    if done.returncode != 0:
        sys.exit(f"the Milvus/Ray job failed:\n{done.stderr[-4000:]}")
    if left:
        sys.exit(f"processes were left in the namespace: {left}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(args: argparse.Namespace, emb: dict[str, Any], mil: dict[str, Any]) -> None:
    print(f"Machine: {machine()}")
    print(f"Data: {args.data} ({emb['ingest']['docs']:,} documents, {emb['ingest']['passages']:,} passages), "
          f"qrels/{args.split}.tsv; depth {DEPTH}; Milvus Lite {_version('milvus-lite')}, pymilvus {_version('pymilvus')}, "
          f"Ray {_version('ray')}\n")
    print("| pipeline | embedded nDCG@10 | Milvus Lite nDCG@10 | difference | embedded p50 ms | Milvus p50 ms "
          "| embedded q/s | Milvus q/s |")
    print("|---|---|---|---|---|---|---|---|")
    for name in PIPELINES:
        e, m = emb["quality"][name], mil["quality"][name]
        print(f"| {name} | {e['ndcg@10']:.4f} | {m['ndcg@10']:.4f} | {m['ndcg@10'] - e['ndcg@10']:+.4f} | "
              f"{e['p50_ms']:.2f} | {m['p50_ms']:.2f} | {e['qps']:,.0f} | {m['qps']:,.0f} |")
    print("\n| ingestion (read, chunk, analyse, embed, write) | seconds | documents/s | passages/s |")
    print("|---|---|---|---|")
    rows = [("embedded store, in-process", emb["ingest"]), ("Milvus Lite, in-process", mil["ingest"])]
    rows += [(f"Milvus Lite, Ray, {n} worker{'s' if int(n) > 1 else ''} ({mil['shards']} shards)", f)
             for n, f in mil["ray"].items()]
    for label, f in rows:
        print(f"| {label} | {f['seconds']:.1f} | {f['docs_per_s']:.1f} | {f['passages_per_s']:.1f} |")


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SHARED / "scifact", help="BEIR directory")
    ap.add_argument("--split", default="test")
    ap.add_argument("--workers", default="1,2", help="Ray worker counts to measure, comma-separated")
    ap.add_argument("--milvus-job", type=Path, help=argparse.SUPPRESS)  # the child run inside the namespace
    args = ap.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    if args.milvus_job is not None:
        print(json.dumps(milvus_side(args.data, args.split, args.milvus_job, workers)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        emb = embedded_side(args.data, args.split, Path(tmp))
        mil = run_milvus_in_namespace(args, Path(tmp))
    report(args, emb, mil)


if __name__ == "__main__":
    main()
