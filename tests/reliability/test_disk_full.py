"""A write limit hit mid-ingest (RLIMIT_FSIZE: files may not grow past a size, as on a full disk)
gives a clear message and leaves the collection at its last committed state."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, synthetic_docs

from sleuth.config import Settings
from sleuth.store.collection import Collection
from sleuth.store.doctor import diagnose

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
