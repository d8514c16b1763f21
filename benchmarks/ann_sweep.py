"""Recall@10 of the ANN graph against an exact scan, at several search breadths (ef), on a built collection.

    python benchmarks/ann_sweep.py COLLECTION [--ef 1024,2048,4096,5000,6144] [--count 100]

COLLECTION: one ``bench_scale.py --keep`` left (WORK/N/sleuth). Queries: the 300 SciFact test claims,
encoded with the collection's encoder; candidates are rescored exactly from the float32 segments, as
``DenseIndex`` does. Prints recall@10 and ms a query for each ef (what ``sleuth.index.ann.search_expansion``
was chosen from) and the cold-open stages of one process (imports, encoder, graph view, first search)
with their RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import SHARED, machine  # noqa: E402

import scale_corpus as sc  # noqa: E402

K = 10


def _rss_mb() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("collection", type=Path)
    ap.add_argument("--ef", default="1024,2048,4096,5000,6144")
    ap.add_argument("--count", type=int, default=100, help="candidates asked of the graph (default: %(default)s)")
    ap.add_argument("--data-root", type=Path, default=SHARED)
    a = ap.parse_args(argv)
    stages = []

    def mark(what: str) -> None:
        stages.append((what, time.perf_counter() - T0, _rss_mb()))

    import numpy as np

    from sleuth.index import ann
    from sleuth.store.embedded.collection import Collection
    mark("imports")
    col = Collection.open(a.collection, readonly=True)
    queries = sc.queries(a.data_root)
    qv = col.encoder.encode_queries(queries)
    mark("encoder + 300 queries encoded")
    dense = col.dense
    mark("graph view")
    dense.search_vector(qv[0], 100)
    mark("first search (k=100)")
    print(f"# {machine()}")
    print("| stage | t (s) | RSS (MB) |\n|---|---|---|")
    for what, t, rss in stages:
        print(f"| {what} | {t:.2f} | {rss:,} |")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB\n")
    if not dense.uses_ann:
        sys.exit(f"{a.collection} has no ANN graph (collections up to sleuth.index.vectors.ANN_THRESHOLD passages search exactly).")
    best = np.full((len(qv), K), -np.inf)
    best_ids = np.zeros((len(qv), K), np.int64)
    for v, ids, _ in dense._rows.parts:  # the exact scan, segment by segment
        s = np.asarray(v) @ qv.T
        both = np.concatenate([best, s.T], axis=1)
        both_ids = np.concatenate([best_ids, np.broadcast_to(np.asarray(ids), (len(qv), s.shape[0]))], axis=1)
        top = np.argsort(-both, axis=1)[:, :K]
        best, best_ids = np.take_along_axis(both, top, 1), np.take_along_axis(both_ids, top, 1)
    graph = dense._graph
    print(f"graph of {len(graph):,} vectors; default ef {ann.search_expansion(len(graph)):,}\n")
    print("| ef | recall@10 | ms a query |\n|---|---|---|")
    for ef in [int(x) for x in a.ef.split(",")]:
        graph.expansion_search = ef
        t = time.perf_counter()
        rec = []
        for q, exact in zip(qv, best_ids):
            ids = np.sort(ann.candidates(graph, q, a.count))
            top = ids[np.argsort(-(dense._rows.vectors(ids, dense._dim) @ q))[:K]]
            rec.append(len(set(top.tolist()) & set(exact.tolist())) / K)
        print(f"| {ef:,} | {np.mean(rec):.3f} | {(time.perf_counter() - t) / len(qv) * 1e3:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
