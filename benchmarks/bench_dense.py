"""Dense and hybrid retrieval: encoder speed vs sentence-transformers, vector formats, hybrid latency.

    python benchmarks/bench_dense.py [--data ../shared/data/scifact] [--collection DIR]
                                     [--sample 500] [--rounds 3] [--skip-encoders]

Part 1 runs ``bench_encoders.py`` (sleuth's int8 ONNX MiniLM vs sentence-transformers fp32 on the
same passages, interleaved rounds, and the nDCG@10 of each as a whole-document dense retriever).
Part 2 indexes DATA with sleuth's defaults (or reuses ``--collection``), then for each vector format
(float32, int8, binary + float32 rescoring) reports the dense nDCG@10 on the test qrels, the bytes per
passage the search structure holds in memory, and single-query latency; then the warm single-query
latency (p50/p95, query encoding included) and nDCG@10 of bm25, dense and every hybrid pipeline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, load_beir, machine  # noqa: E402

from sleuth.evaluate.metrics import evaluate_run  # noqa: E402
from sleuth.index.dense import DenseIndex  # noqa: E402
from sleuth.index.vectors import FORMATS  # noqa: E402
from sleuth.ingest import read_paths  # noqa: E402
from sleuth.retrieve import PIPELINES, get_pipeline  # noqa: E402
from sleuth.store.embedded.collection import Collection  # noqa: E402
from sleuth.store.embedded.layout import VECTORS  # noqa: E402


def latencies(fn, queries: list[str]) -> np.ndarray:
    fn(queries[0])  # warm-up
    out = np.zeros(len(queries))
    for i, q in enumerate(queries):
        t = time.perf_counter()
        fn(q)
        out[i] = time.perf_counter() - t
    return out * 1e3


def part2(data: Path, collection: Path | None) -> None:
    _, queries, qrels = load_beir(data)
    qids, texts = list(queries), list(queries.values())
    tmp = tempfile.TemporaryDirectory() if collection is None else None
    directory = Path(tmp.name) / "c" if tmp else collection
    col = Collection.open_or_create(directory)
    t = time.perf_counter()
    col.ingest(read_paths([data], fmt="beir"))
    print(f"\nindexed {data} into {directory} in {time.perf_counter() - t:.1f} s "
          f"({col.store.count_documents():,} documents, {col.store.count_chunks():,} passages)\n")
    qvecs = col.encoder.encode_queries(texts, batch_size=1)  # one at a time: what a user's query gets

    print("| vector format | dense nDCG@10 | bytes/passage in memory | search p50 ms (vector given) |\n|---|---|---|---|")
    for fmt in FORMATS:
        idx = DenseIndex.load(directory / VECTORS, col.store, col.encoder, fmt)
        run = {}
        for q, v in zip(qids, qvecs):
            r = idx.search_vector(v, 100)
            run[q] = dict(zip(r.doc_ids, r.scores.tolist()))
        nd = evaluate_run(qrels, run, ("ndcg@10",))["ndcg@10"]
        lat = latencies(lambda i: idx.search_vector(qvecs[i], 10), list(range(len(qids))))
        print(f"| {fmt} | {nd:.4f} | {idx.bytes_per_passage():,.0f} | {np.percentile(lat, 50):.2f} |")

    print("\n| pipeline | nDCG@10 | p50 ms | p95 ms |\n|---|---|---|---|")
    for name in PIPELINES.names():
        pipe = get_pipeline(name)
        pipe.prepare(col)
        run = {q: {d: s for d, s, _ in pipe(col, queries[q], 100)} for q in qids}
        nd = evaluate_run(qrels, run, ("ndcg@10",))["ndcg@10"]
        lat = latencies(lambda q: pipe(col, q, 10), texts)
        print(f"| {name} | {nd:.4f} | {np.percentile(lat, 50):.2f} | {np.percentile(lat, 95):.2f} |")
    col.close()
    if tmp:
        tmp.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SHARED / "scifact", help="BEIR directory (default: %(default)s)")
    ap.add_argument("--collection", type=Path, help="index here (or reuse it) instead of a temporary directory")
    ap.add_argument("--sample", type=int, default=500, help="passages in the encoder speed test")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds in the encoder speed test")
    ap.add_argument("--skip-encoders", action="store_true", help="skip part 1 (encoder speed and quality)")
    a = ap.parse_args()
    if not (a.data / "corpus.jsonl").exists():
        sys.exit(f"error: {a.data} has no corpus.jsonl. Pass --data DIR (a BEIR-layout directory).")
    print(f"machine: {machine()}\ndata: {a.data} (test qrels)")
    if not a.skip_encoders:
        import bench_encoders

        bench_encoders.main(["--data", str(a.data), "--sample", str(a.sample), "--rounds", str(a.rounds)])
    part2(a.data, a.collection)


if __name__ == "__main__":
    main()
