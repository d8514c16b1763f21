"""Load test of ``sleuth serve`` on loopback: N concurrent clients for a bounded time.

    python benchmarks/bench_server.py                       # the BEIR fixture, 4 clients, 10 s per endpoint
    python benchmarks/bench_server.py --collection DIR --clients 8 --seconds 30
    python benchmarks/bench_server.py --collection DIR --clients 32 --seconds 60 --writes 0,1,2 --no-ask

The server runs in its own process (uvicorn, one worker, as ``sleuth serve`` runs it) on a copy of
the collection, so the benchmark never writes to the original (``ask`` fills the answer memory).
Clients are threads holding one keep-alive connection each. For every endpoint the script prints
requests/s, latency p50/p95/p99 and the number of failed requests (non-200 or connection errors).

``ask`` questions get a distinct number appended (``"... (7)"``), so the answer memory, which never
serves an answer across different numbers, cannot answer them: this measures the whole pipeline.
Pass ``--repeat-questions`` to measure memory hits instead.

``--writes 0,1,2`` runs the search load once per write rate while one more client adds one new document
per 1/rate seconds through ``POST /api/documents`` (each write makes the server load a new view of the
collection). That table adds the writes made, failed requests split into error responses and dropped
connections, and the server's resident memory after the warm-up and after the run.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine  # noqa: E402

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"
SERVER = """
import sys
from sleuth.server import create_app
from sleuth.server.protocol import server
server(create_app(sys.argv[1], token=sys.argv[3]), "127.0.0.1", int(sys.argv[2])).run()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_fixture(directory: Path) -> None:
    from sleuth.ingest import read_paths
    from sleuth.store.embedded.collection import Collection

    with Collection.create(directory) as col:
        col.ingest(read_paths([BEIR], fmt="beir"))


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/api/stats")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


TOKEN = "bench-token-0123456789abcdef"


def run(port: int, clients: int, seconds: float, make_request) -> dict[str, float]:  # noqa: ANN001
    latencies: list[float] = []
    errors = dropped = 0
    lock = threading.Lock()
    counter = itertools.count()
    stop = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors, dropped
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        bad = lost = 0
        while time.monotonic() < stop:
            method, path, body = make_request(next(counter))
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
                r = conn.getresponse()
                r.read()
                bad += r.status != 200
            except (OSError, http.client.HTTPException):
                lost += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad
            dropped += lost

    t0 = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1e3 if lat else float("nan")

    return {"requests": len(lat), "rps": len(lat) / elapsed, "p50": pct(50), "p95": pct(95), "p99": pct(99),
            "errors": errors, "dropped": dropped}


def writer(port: int, rate: float, seconds: float, out: dict[str, int]) -> None:
    """One new document every 1/rate seconds through the API, for ``seconds``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    stop, i = time.monotonic() + seconds, 0
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    while time.monotonic() < stop:
        t0 = time.monotonic()
        doc = [{"_id": f"bench-write-{rate:g}-{i}", "title": f"Benchmark note {i}",
                "text": f"A note written during the load test, number {i}, about honey and volcanoes."}]
        try:
            conn.request("POST", "/api/documents", body=json.dumps(doc).encode(), headers=headers)
            r = conn.getresponse()
            r.read()
            out["writes" if r.status == 200 else "write_errors"] += 1
        except (OSError, http.client.HTTPException):
            out["write_errors"] += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        i += 1
        time.sleep(max(0.0, 1 / rate - (time.monotonic() - t0)))


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collection", type=Path, help="Collection to serve (copied first). Default: the BEIR fixture.")
    ap.add_argument("--queries", type=Path, help="BEIR queries.jsonl to draw queries from. Default: the fixture's.")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10.0, help="Duration per endpoint.")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeat-questions", action="store_true", help="Ask the same questions again (memory hits).")
    ap.add_argument("--writes", default="", help="Comma-separated document writes per second to run the search load "
                                                 "under (e.g. 0,1,2); empty: no write table.")
    ap.add_argument("--no-ask", action="store_true", help="Skip the ask endpoint.")
    args = ap.parse_args()
    rates = [float(r) for r in args.writes.split(",") if r.strip()]

    queries_file = args.queries or (BEIR / "queries.jsonl")
    queries = [json.loads(line)["text"] for line in open(queries_file, encoding="utf-8") if line.strip()]
    with tempfile.TemporaryDirectory(prefix="sleuth-bench-server-") as tmp:
        col = Path(tmp) / "col"
        if args.collection:
            shutil.copytree(args.collection, col, ignore=shutil.ignore_patterns("write.lock"))
        else:
            build_fixture(col)
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-c", SERVER, str(col), str(port), TOKEN])
        try:
            wait_until_up(port, proc)

            def search(i: int) -> tuple[str, str, None]:
                q = urllib.parse.quote(queries[i % len(queries)])
                return "GET", f"/api/search?k={args.k}&q={q}", None

            def ask(i: int) -> tuple[str, str, bytes]:
                q = queries[i % len(queries)] + ("" if args.repeat_questions else f" ({i})")
                return "POST", "/api/ask", json.dumps({"question": q, "k": 5}).encode()

            endpoints = [("search", search)] + ([] if args.no_ask else [("ask", ask)])
            for name, fn in endpoints:
                run(port, 1, min(2.0, args.seconds), fn)  # warm up: load indexes and models
            rows = [(name, run(port, args.clients, args.seconds, fn)) for name, fn in endpoints]
            write_rows = []
            for rate in rates:
                before = rss_mb(proc.pid)
                made = {"writes": 0, "write_errors": 0}
                w = threading.Thread(target=writer, args=(port, rate, args.seconds, made)) if rate else None
                if w:
                    w.start()
                r = run(port, args.clients, args.seconds, search)
                if w:
                    w.join()
                write_rows.append((rate, r, made, before, rss_mb(proc.pid)))
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    print(f"Machine: {machine()}")
    print(f"Collection: {args.collection or 'tests/data/cli/beir-mini'}; {args.clients} clients, {args.seconds:g} s per endpoint, "
          f"loopback, one uvicorn worker; ask {'repeats questions (memory hits)' if args.repeat_questions else 'with memory misses'}.\n")
    print("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['requests']} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | "
              f"{r['errors'] + r['dropped']} |")
    if write_rows:
        print(f"\nSearch under writes ({args.clients} search clients, {args.seconds:g} s per row, one writer adding one "
              "document per request):\n")
        print("| writes/s | searches | req/s | p50 ms | p95 ms | error responses | dropped connections | writes made | "
              "write failures | server RSS before / after MB | after/before |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for rate, r, made, before, after in write_rows:
            print(f"| {rate:g} | {r['requests']} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['errors']} | "
                  f"{r['dropped']} | {made['writes']} | {made['write_errors']} | {before:.0f} / {after:.0f} | "
                  f"{after / before:.2f}x |")


if __name__ == "__main__":
    main()
