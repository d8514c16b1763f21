"""A write limit hit mid-ingest (RLIMIT_FSIZE: files may not grow past a size, as on a full disk)
gives a clear message and leaves the collection at its last committed state."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, synthetic_docs

from sleuth.config import Settings
from sleuth.store.embedded.collection import Collection
from sleuth.store.embedded.doctor import diagnose

CHILD = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # get EFBIG from write() instead of being killed
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.argv = ["sleuth", "index", sys.argv[2], "-c", sys.argv[3], "--no-progress"]
from sleuth.cli.main import main
main()
"""


@pytest.mark.parametrize("encoder,n_big", [("none", 3000), ("minilm", 300)])
def test_ingest_into_a_full_disk(tmp_path, encoder, n_big):
    directory = tmp_path / "c"
    with Collection.create(directory, Settings(encoder=encoder)) as col:
        col.ingest(synthetic_docs(20))
    before = {q: [h.doc_id for h in Collection.open(directory, readonly=True).search(q, 5, mode="bm25")]
              for q in ("protein gene", "markerd3x")}
    big = tmp_path / "big.jsonl"
    with open(big, "w") as f:
        for d in synthetic_docs(n_big, seed=9, words=400, prefix="big"):
            f.write(json.dumps({"_id": d.doc_id, "title": d.title, "text": d.text}) + "\n")
    limit = max(p.stat().st_size for p in directory.rglob("*") if p.is_file()) + 150_000
    p = subprocess.run([sys.executable, "-c", CHILD, str(limit), str(big), str(directory)],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert "disk is full" in p.stderr and "what to do:" in p.stderr
    with Collection.open(directory, readonly=True) as col:
        n = col.store.count_documents()
        assert n >= 20 and (n - 20) % 256 == 0, "only whole batches were committed"
        assert {q: [h.doc_id for h in col.search(q, 5, mode="bm25")] for q in before} == before or n > 20
        assert col.lexical.n_chunks == col.store.count_chunks()
    assert diagnose(directory).ok
    # with room again, the same command finishes the job
    r = subprocess.run([sys.executable, "-m", "sleuth.cli.main", "index", str(big), "-c", str(directory), "--no-progress"],
                       capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert r.returncode == 0, r.stderr
    with Collection.open(directory, readonly=True) as col:
        assert col.store.count_documents() == 20 + n_big


LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.argv = ["sleuth", *sys.argv[2:]]
from sleuth.cli.main import main
main()
"""


def limited(limit: int, *args: object) -> subprocess.CompletedProcess[str]:
    """A sleuth command that cannot grow any file past ``limit`` bytes, as on a full disk."""
    return subprocess.run([sys.executable, "-c", LIMITED, str(limit), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def assert_disk_full(p: subprocess.CompletedProcess[str]) -> None:
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and "damaged" not in p.stderr, p.stderr
    assert "The disk is full" in p.stderr and "what to do: Free some space" in p.stderr, p.stderr


def test_rm_on_a_full_disk(tmp_path):
    directory = tmp_path / "c"
    with Collection.create(directory, Settings(encoder="none")) as col:
        col.ingest(synthetic_docs(20))
    assert_disk_full(limited(1000, "rm", "d3", "d4", "-c", directory))
    with Collection.open(directory, readonly=True) as col:
        assert col.store.count_documents() == 20  # nothing was deleted
    assert diagnose(directory).ok
    assert limited(10**9, "rm", "d3", "-c", directory).returncode == 0


def test_create_on_a_full_disk(tmp_path):
    (tmp_path / "a.txt").write_text("Penguins huddle together.")
    assert_disk_full(limited(1000, "index", tmp_path / "a.txt", "-c", tmp_path / "new", "--no-progress"))
    p = limited(10**9, "index", tmp_path / "a.txt", "-c", tmp_path / "new", "--no-progress")
    assert p.returncode == 0, p.stderr  # the interrupted creation left nothing in the way


SERVER = """
import resource, signal, sys
from sleuth.server import create_app
from sleuth.server.protocol import server
app = create_app(sys.argv[1], token="a-long-enough-token")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
server(app, "127.0.0.1", int(sys.argv[2])).run()
"""


def test_api_delete_on_a_full_disk(tmp_path):
    import http.client
    import socket
    import time

    directory = tmp_path / "c"
    with Collection.create(directory, Settings(encoder="none")) as col:
        col.ingest(synthetic_docs(20))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(directory), str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/api/stats")
                ready = conn.getresponse()
                ready.read()
                assert ready.status == 200
                break
            except OSError:
                time.sleep(0.1)
        conn.request("DELETE", "/api/documents/d3", headers={"Authorization": "Bearer a-long-enough-token"})
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 507, body
        assert "The disk is full" in body["error"]["message"] and "Free some space" in body["error"]["fix"]
        conn.request("GET", "/api/documents/d3")
        again = conn.getresponse()
        again.read()
        assert again.status == 200  # still there, and the server still answers
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with Collection.open(directory, readonly=True) as col:
        assert col.store.count_documents() == 20
