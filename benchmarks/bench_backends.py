"""The Milvus backend against the embedded store on one BEIR collection: quality, latency, ingestion.

    python benchmarks/bench_backends.py [--data ../shared/data/scifact] [--workers 1,2]

Indexes the corpus into the embedded store and into Milvus Lite (same chunker, analyzer and
all-MiniLM-L6-v2 int8 encoder), then runs the judged queries one at a time through the bm25, dense
and hybrid pipelines of both, the two stores taking turns query by query, and prints nDCG@10, p50
latency and queries/s side by side. Ingestion throughput (read + chunk + analyse + embed + write) is
measured for the embedded store, for Milvus Lite in-process, and for Milvus Lite fed by Ray with each
number of ``--workers``. It all runs in a child process inside a loopback-only network namespace (a
local Ray binds every interface), so this needs root; the namespace and every process in it are gone
when the script ends.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def evaluate(cols: dict[str, Any], data: Path, split: str) -> dict[str, dict[str, dict[str, float]]]:
    """nDCG@10 and single-query latency of every pipeline on each collection in ``cols``.

    The collections take turns query by query, so a change in the machine's load hits both alike.
    """
    queries, qrels = load_queries(data), load_qrels(data, split)
    judged = [q for q in qrels if q in queries]
    out: dict[str, dict[str, dict[str, float]]] = {name: {} for name in cols}
    for pipeline in PIPELINES:
        pipe = get_pipeline(pipeline)
        lat: dict[str, list[float]] = {name: [] for name in cols}
        runs: dict[str, dict[str, dict[str, float]]] = {name: {} for name in cols}
        for col in cols.values():
            pipe.prepare(col)
            pipe(col, queries[judged[0]], DEPTH)  # warm-up
        for q in judged:
            for name, col in cols.items():
                t = time.perf_counter()
                hits = pipe(col, queries[q], DEPTH)
                lat[name].append(time.perf_counter() - t)
                runs[name][q] = {d: s for d, s, _ in hits}
        for name in cols:
            out[name][pipeline] = {"ndcg@10": evaluate_run(qrels, runs[name], ("ndcg@10",))["ndcg@10"],
                                   "p50_ms": float(np.percentile(lat[name], 50)) * 1e3,
                                   "qps": len(lat[name]) / sum(lat[name])}
    return out


def timed_ingest(ingest: Callable[[], Any]) -> dict[str, float]:
    t = time.perf_counter()
    summary = ingest()
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "docs_per_s": summary.added / seconds, "passages_per_s": summary.chunks / seconds,
            "docs": summary.added, "passages": summary.chunks}


def job(data: Path, split: str, workdir: Path, workers: list[int]) -> dict[str, Any]:
    """Runs inside the namespace: Ray first (it forks daemons from this process), then the stores."""
    from sleuth.store.milvus.collection import MilvusCollection
    from sleuth.store.milvus.config import MilvusConfig
    from sleuth.store.ray_ingest import plan, ray_ingest, ray_session
    from sleuth.store.embedded.collection import Collection

    db = str(workdir / "milvus.db")
    out: dict[str, Any] = {"ray": {}}
    work = plan([data], fmt="beir")
    out["shards"] = len(work.shards)
    with ray_session(max(workers)):
        with Collection.create(workdir / "embedded") as emb, MilvusCollection.create(MilvusConfig(db, "inprocess")) as mil:
            out["ingest"] = {"embedded": timed_ingest(lambda: emb.ingest(read_paths([data], fmt="beir"))),
                             "milvus": timed_ingest(lambda: mil.ingest(read_paths([data], fmt="beir")))}
            for n in workers:
                with MilvusCollection.create(MilvusConfig(db, f"ray{n}")) as col:
                    out["ray"][n] = timed_ingest(lambda: ray_ingest(work, col, workers=n))  # noqa: B023 - called at once
                    col.drop()
            out["quality"] = evaluate({"embedded": emb, "milvus": mil}, data, split)
    return out


def run_in_namespace(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the loopback-namespace harness lives with the tests
    from netns import LoopbackNamespace

    argv = [sys.executable, __file__, "--data", str(args.data), "--split", args.split, "--workers", args.workers,
            "--job", str(workdir)]
    with LoopbackNamespace("sleuth-bench") as ns:
        done = subprocess.run(ns.command(argv), capture_output=True, text=True,
                              env={**os.environ, "RAY_AUTH_MODE": "disabled"})
        left = ns.pids()
    if done.returncode != 0:
        sys.exit(f"the benchmark job failed:\n{done.stderr[-4000:]}")
    if left:
        sys.exit(f"processes were left in the namespace: {left}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(args: argparse.Namespace, res: dict[str, Any]) -> None:
    ing, q = res["ingest"], res["quality"]
    print(f"Machine: {machine()}")
    print(f"Data: {args.data} ({ing['embedded']['docs']:,} documents, {ing['embedded']['passages']:,} passages), "
          f"qrels/{args.split}.tsv; depth {DEPTH}; Milvus Lite {_version('milvus-lite')}, pymilvus {_version('pymilvus')}, "
          f"Ray {_version('ray')}\n")
    print("| pipeline | embedded nDCG@10 | Milvus Lite nDCG@10 | difference | embedded p50 ms | Milvus p50 ms "
          "| embedded q/s | Milvus q/s |")
    print("|---|---|---|---|---|---|---|---|")
    for name in PIPELINES:
        e, m = q["embedded"][name], q["milvus"][name]
        print(f"| {name} | {e['ndcg@10']:.4f} | {m['ndcg@10']:.4f} | {m['ndcg@10'] - e['ndcg@10']:+.4f} | "
              f"{e['p50_ms']:.2f} | {m['p50_ms']:.2f} | {e['qps']:,.0f} | {m['qps']:,.0f} |")
    print("\n| ingestion (read, chunk, analyse, embed, write) | seconds | documents/s | passages/s |")
    print("|---|---|---|---|")
    rows = [("embedded store, in-process", ing["embedded"]), ("Milvus Lite, in-process", ing["milvus"])]
    rows += [(f"Milvus Lite, Ray, {n} worker{'s' if int(n) > 1 else ''} ({res['shards']} shards)", f)
             for n, f in res["ray"].items()]
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
    ap.add_argument("--job", type=Path, help=argparse.SUPPRESS)  # the child run inside the namespace
    args = ap.parse_args()
    if args.job is not None:
        print(json.dumps(job(args.data, args.split, args.job, [int(w) for w in args.workers.split(",")])))
        return
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        report(args, run_in_namespace(args, Path(tmp)))


if __name__ == "__main__":
    main()
