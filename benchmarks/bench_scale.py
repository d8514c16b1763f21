"""Scale: sleuth against tantivy and bm25s at 100,000 to 10,000,000 passages, in one run.

    python benchmarks/bench_scale.py --sizes 100000,1000000 [--work DIR] [--engines sleuth,tantivy,bm25s]

The corpus is built from the shared collections' real sentences (benchmarks/scale_corpus.py, seeded):
one passage per document. The queries are the 300 SciFact test claims. For every size and engine,
each phase runs in a fresh child process, so its peak RSS is its own:

- build: index the corpus (sleuth: docstore + chunking + lexical index, through ``Collection.ingest``;
  tantivy 0.27: one indexing thread, English stemming; bm25s: stemmed, stop words) -> docs/s, peak
  RSS, size on disk. sleuth then imports a vector per passage (``Collection.import_vectors``: the
  normalised sum of the real MiniLM vectors of the document's title and sentences, a stand-in for
  embedding every passage, which takes hours on 2 cores) and builds its ANN graph; that is timed apart.
- cold: a new process opens the index and answers one query (sleuth: the ``sleuth search`` CLI,
  lexical and hybrid; the others: the same work in a small script) -> wall time from spawn to exit
  and peak RSS (``wait4``). The OS page cache is warm (the machine is shared: caches are not dropped).
- warm: one process answers the 300 queries twice; p50/p95 of the second pass (k = 10, ranked hits
  without snippets, as the others return; sleuth hybrid includes encoding the query with the real
  encoder).
- recall: recall@10 of sleuth's ANN documents against an exact scan of all vectors, 300 real query
  vectors (only when the collection is above ``ANN_THRESHOLD``).

Ratios against tantivy are computed within the run (the machine is shared and noisy). ``--reuse``
resumes a run that kept its indexes (``--keep``): the builds it finds are not redone, and the table
marks their build figures as recorded by that earlier run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import SHARED, machine, peak_rss_mb  # noqa: E402

import scale_corpus as sc  # noqa: E402

K = 10


def _disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- children ---------------------------------------------------------------------------------------


def build_sleuth(n: int, out: Path, root: Path, parts_cache: Path) -> dict:
    from sleuth.config import Settings
    from sleuth.store.embedded.collection import Collection
    from sleuth.types import Document

    titles, sentences = sc.load_parts(root)
    t = time.perf_counter()
    with Collection.create(out, Settings()) as col:
        col.ingest((Document(i, x, ti) for i, ti, x in sc.documents(n, titles, sentences)), batch_size=1000, embed=False)
        lexical_s = time.perf_counter() - t
        rss_lexical = peak_rss_mb()
        disk_lexical = _disk(out)
        tv, sv = sc.part_vectors(titles, sentences, parts_cache)
        t = time.perf_counter()
        ids = col.store.live_chunk_ids()  # 8 bytes a passage

        def parts():  # one passage per document, in id order: the i-th vector is the i-th chunk's
            at = 0
            for v in sc.document_vectors(n, tv, sv):
                yield ids[at : at + len(v)], v
                at += len(v)

        col.import_vectors(parts(), model_id=col.encoder.model_id)
        vector_s = time.perf_counter() - t
    return {"build_s": lexical_s, "docs_per_s": n / lexical_s, "peak_rss_mb": rss_lexical, "disk_bytes": disk_lexical,
            "vector_s": vector_s, "peak_rss_all_mb": peak_rss_mb(), "disk_all_bytes": _disk(out)}


def build_tantivy(n: int, out: Path, root: Path) -> dict:
    import tantivy

    titles, sentences = sc.load_parts(root)
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", tokenizer_name="en_stem")
    sb.add_text_field("body", tokenizer_name="en_stem")
    out.mkdir(parents=True)
    t = time.perf_counter()
    index = tantivy.Index(sb.build(), path=str(out))
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    for i, ti, x in sc.documents(n, titles, sentences):
        writer.add_document(tantivy.Document(id=i, title=ti, body=x))
    writer.commit()
    writer.wait_merging_threads()
    s = time.perf_counter() - t
    return {"build_s": s, "docs_per_s": n / s, "peak_rss_mb": peak_rss_mb(), "disk_bytes": _disk(out)}


def build_bm25s(n: int, out: Path, root: Path) -> dict:
    import bm25s
    import Stemmer

    titles, sentences = sc.load_parts(root)
    t = time.perf_counter()
    texts = [f"{ti} {x}" for _, ti, x in sc.documents(n, titles, sentences)]
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)
    del texts
    model = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    model.index(tokens, show_progress=False)
    model.save(str(out))
    s = time.perf_counter() - t
    return {"build_s": s, "docs_per_s": n / s, "peak_rss_mb": peak_rss_mb(), "disk_bytes": _disk(out)}


COLD = {
    "tantivy": "import tantivy,sys\nix=tantivy.Index.open(sys.argv[1]);s=ix.searcher()\n"
               "q=ix.parse_query(sys.argv[2],['title','body'])\nprint(len(s.search(q,10).hits))",
    "bm25s": "import bm25s,Stemmer,sys\nm=bm25s.BM25.load(sys.argv[1],mmap=True)\n"
             "t=bm25s.tokenize([sys.argv[2]],stopwords='en',stemmer=Stemmer.Stemmer('english'),show_progress=False)\n"
             "print(len(m.retrieve(t,k=10,show_progress=False)[0][0]))",
}


def _clean(q: str) -> str:
    """A claim as a plain bag of words (tantivy's query parser would read ':' or '(' as syntax)."""
    return " ".join("".join(c if c.isalnum() else " " for c in q).split())


def warm(engine: str, path: Path, queries: list[str], mode: str) -> dict:
    import numpy as np

    if engine == "sleuth":
        from sleuth.store.embedded.collection import Collection

        col = Collection.open(path, readonly=True)
        run = lambda q: col.search(q, K, mode=mode, snippets=False)  # noqa: E731  (hits, as the others give)
    elif engine == "tantivy":
        import tantivy

        ix = tantivy.Index.open(str(path))
        searcher = ix.searcher()
        run = lambda q: searcher.search(ix.parse_query(_clean(q), ["title", "body"]), K).hits  # noqa: E731
    else:
        import bm25s
        import Stemmer

        model = bm25s.BM25.load(str(path), mmap=True)
        stem = Stemmer.Stemmer("english")
        run = lambda q: model.retrieve(bm25s.tokenize([q], stopwords="en", stemmer=stem, show_progress=False),  # noqa: E731
                                       k=K, show_progress=False)
    for q in queries:
        run(q)
    times = []
    for q in queries:
        t = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - t) * 1e3)
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)), "rss_mb": peak_rss_mb()}


def recall(path: Path, root: Path) -> dict:
    import numpy as np

    from sleuth.index import vectors
    from sleuth.store.embedded.collection import Collection

    col = Collection.open(path, readonly=True)
    dense = col.dense
    if not dense.uses_ann:
        return {"ann": False, "threshold": vectors.ANN_THRESHOLD}
    qv = col.encoder.encode_queries(sc.queries(root))
    best = np.full((len(qv), K), -np.inf)
    best_ids = np.zeros((len(qv), K), np.int64)
    for v, ids, _ in dense._rows.parts:  # the exact scan, block by block (one passage per document)
        for a in range(0, len(ids), 200_000):
            s = np.asarray(v[a : a + 200_000]) @ qv.T
            both = np.concatenate([best, s.T], axis=1)
            both_ids = np.concatenate([best_ids, np.broadcast_to(np.asarray(ids[a : a + 200_000]), (len(qv), s.shape[0]))], axis=1)
            top = np.argsort(-both, axis=1)[:, :K]
            best, best_ids = np.take_along_axis(both, top, 1), np.take_along_axis(both_ids, top, 1)
    t = time.perf_counter()
    got = [dense.search_vector(q, K).chunk_ids for q in qv]
    ms = (time.perf_counter() - t) / len(qv) * 1e3
    r = np.mean([len(set(g.tolist()) & set(e.tolist())) / K for g, e in zip(got, best_ids)])
    return {"ann": True, "recall@10": float(r), "ann_ms": ms}


def big_document(mb: float, root: Path) -> dict:
    """Ingest one document of ``mb`` megabytes of real sentences (lexical only): time and peak RSS."""
    import tempfile

    from sleuth.config import Settings
    from sleuth.store.embedded.collection import Collection
    from sleuth.types import Document

    _, sentences = sc.load_parts(root)
    parts, size, i = [], 0, 0
    while size < mb * 1e6:
        parts.append(sentences[i % len(sentences)])
        size += len(parts[-1]) + 1
        i += 1
    before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp, Collection.create(Path(tmp) / "c", Settings(encoder="none")) as col:
        t = time.perf_counter()
        col.ingest([Document("big", " ".join(parts), "One big document")])
        return {"mb": mb, "passages": col.store.count_chunks(), "ingest_s": time.perf_counter() - t,
                "peak_rss_mb": peak_rss_mb(), "rss_before_mb": before}


def child(argv: list[str]) -> None:
    role, engine, n, path, root = argv[0], argv[1], int(argv[2]), Path(argv[3]), Path(argv[4])
    if role == "build":
        out = {"sleuth": lambda: build_sleuth(n, path, root, Path(argv[5])), "tantivy": lambda: build_tantivy(n, path, root),
               "bm25s": lambda: build_bm25s(n, path, root)}[engine]()
    elif role == "bigdoc":
        out = big_document(float(argv[1]), root)
    elif role == "warm":
        out = warm(engine, path, sc.queries(root), argv[5])
    else:
        out = recall(path, root)
    print(json.dumps(out))


# -- parent -----------------------------------------------------------------------------------------


def _run(args: list[str]) -> dict:
    res = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"child {args[:3]} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _built(base: Path, engine: str) -> dict | None:
    """The build record of an index a kept run left in ``base`` (None: build it)."""
    record = base / f"{engine}.build.json"
    if not (record.exists() and (base / engine).exists()):
        return None
    r = json.loads(record.read_text())
    r["reused"] = True
    return r


def cold(cmd: list[str], repeat: int = 3) -> dict:
    """Median wall time (spawn to exit) and peak RSS of ``cmd`` over ``repeat`` fresh processes."""
    walls, rss = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - t)
        if status:
            raise SystemExit(f"{cmd[:4]} failed: {proc.stderr.read().decode()[-2000:]}")
        rss.append(usage.ru_maxrss / 1024)
    walls.sort()
    return {"wall_s": walls[len(walls) // 2], "rss_mb": max(rss)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000", help="comma-separated passage counts (default: %(default)s)")
    ap.add_argument("--engines", default="sleuth,tantivy,bm25s")
    ap.add_argument("--data-root", type=Path, default=SHARED)
    ap.add_argument("--work", type=Path, default=Path("/tmp/sleuth-bench-scale"), help="where indexes are built")
    ap.add_argument("--keep", action="store_true", help="keep the indexes (they are removed after each size)")
    ap.add_argument("--reuse", action="store_true",
                    help="resume: an engine whose index and build record (WORK/N/ENGINE.build.json) a kept run "
                         "left is not rebuilt; its recorded build figures are reported (implies --keep)")
    ap.add_argument("--parts", type=Path, default=None,
                    help="cache of the sentence vectors (default: WORK/parts-minilm.npz; made on first use, ~20 min)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--big-document", type=float, default=0, metavar="MB",
                    help="also ingest one document of MB megabytes and report its peak RSS")
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child)
        return 0
    engines = a.engines.split(",")
    peers = {"tantivy": ("tantivy",), "bm25s": ("bm25s", "Stemmer")}
    missing = [m for e in engines for m in peers.get(e, ()) if importlib.util.find_spec(m) is None]
    if missing:
        sys.exit(f"bench_scale.py: the peer engines need {', '.join(missing)}: pip install -e '.[bench]' "
                 "(or drop them from --engines).")
    query = sc.queries(a.data_root)[0]
    sleuth_cli = [sys.executable, "-m", "sleuth.cli.main"]  # `sleuth` itself, from this interpreter's path
    results: dict = {"machine": machine(), "sizes": {}}
    print(f"# {results['machine']}", flush=True)
    if a.big_document:
        results["big_document"] = _run(["bigdoc", str(a.big_document), "0", "-", str(a.data_root)])
        print(f"one {a.big_document:g} MB document: {json.dumps(results['big_document'])}", flush=True)
    for n in [int(s) for s in a.sizes.split(",") if s.strip()]:
        base = a.work / str(n)
        if not a.reuse:
            shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True, exist_ok=True)
        row: dict = {}
        for engine in engines:
            path = base / engine
            r = _built(base, engine) if a.reuse else None
            if r is None:
                shutil.rmtree(path, ignore_errors=True)
                r = _run(["build", engine, str(n), str(path), str(a.data_root), str(a.parts or a.work / "parts-minilm.npz")])
                (base / f"{engine}.build.json").write_text(json.dumps(r))
            modes = ["bm25", "hybrid"] if engine == "sleuth" else ["bm25"]
            for mode in modes:
                if engine == "sleuth":
                    cmd = [*sleuth_cli, "search", "--collection", str(path), "--mode", mode, "-k", str(K), query]
                else:
                    cmd = [sys.executable, "-c", COLD[engine], str(path), _clean(query)]
                r[f"cold_{mode}"] = cold(cmd)
                r[f"warm_{mode}"] = _run(["warm", engine, str(n), str(path), str(a.data_root), mode])
            if engine == "sleuth":
                r["recall"] = _run(["recall", engine, str(n), str(path), str(a.data_root)])
            row[engine] = r
            print(f"{n:,} {engine}: {json.dumps(r)}", flush=True)
        results["sizes"][n] = row
        if not (a.keep or a.reuse):
            shutil.rmtree(base, ignore_errors=True)
    print(table(results))
    if a.json:
        print(json.dumps(results, indent=2))
    return 0


def _cold(r: dict | None) -> str:
    return f"{r['wall_s']:.2f} s, {r['rss_mb']:,.0f} MB" if r else "-"


def _warm(r: dict | None, ref: dict | None = None) -> str:
    if not r:
        return "-"
    vs = f" ({r['p50_ms'] / ref['p50_ms']:.2f}x)" if ref else ""
    return f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f}{vs}"


def table(results: dict) -> str:
    lines = [f"Machine: {results['machine']}", ""]
    for n, row in results["sizes"].items():
        ref = row.get("tantivy")
        lines += [f"### {int(n):,} passages", "",
                  "| engine | build docs/s (vs tantivy) | build peak RSS | disk | cold open + 1st query, lexical | "
                  "cold, hybrid | warm lexical p50 / p95 ms (p50 vs tantivy) | warm hybrid p50 / p95 ms | ANN recall@10 |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for engine, r in row.items():
            build = f"{r['docs_per_s']:,.0f}" + (f" ({r['docs_per_s'] / ref['docs_per_s']:.2f}x)" if ref else "")
            build += " (recorded build, --reuse)" if r.get("reused") else ""
            rec = r.get("recall", {})
            lines.append(" | ".join([
                f"| {engine}", build, f"{r['peak_rss_mb']:,.0f} MB", f"{r['disk_bytes'] / 2**20:,.0f} MB",
                _cold(r.get("cold_bm25")), _cold(r.get("cold_hybrid")),
                _warm(r.get("warm_bm25"), ref.get("warm_bm25") if ref else None), _warm(r.get("warm_hybrid")),
                f"{rec['recall@10']:.3f} |" if rec.get("ann") else "- |"]))
        if "sleuth" in row:
            s = row["sleuth"]
            lines += ["", f"sleuth vectors: import + ANN graph {s['vector_s']:.0f} s; peak RSS with vectors "
                          f"{s['peak_rss_all_mb']:,.0f} MB; disk with vectors {s['disk_all_bytes'] / 2**20:,.0f} MB", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
