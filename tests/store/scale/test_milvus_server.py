"""The Milvus backend over the network: the real Milvus 2.3.5 standalone server (dense only: 2.3 has no
BM25), HNSW, 2 shards. The server binds every interface, so it runs in a loopback-only network
namespace, with the client beside it; afterwards no process of it may be left, and the namespace is gone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")

import netns  # noqa: E402

SERVER = Path(sys.executable).with_name("milvus-server")
JOB = Path(__file__).with_name("server_job.py")


@pytest.fixture
def namespace():
    if not SERVER.exists():
        pytest.skip("the milvus==2.3.5 standalone server is not installed (make install-scale)")
    if why := netns.available():
        pytest.skip(why)
    with netns.LoopbackNamespace("sleuth-milvus") as ns:
        yield ns
        ns.kill_all(grace=10)
        assert ns.pids() == [], "processes left in the namespace after stopping the server"
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert ns.name not in listed


def test_dense_search_on_the_standalone_server(namespace, tmp_path):
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(namespace.command([str(SERVER), "--data", str(tmp_path / "milvus")]),
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        job = subprocess.run(namespace.command([sys.executable, str(JOB), str(tmp_path)]),
                             capture_output=True, text=True, timeout=400)
        assert job.returncode == 0, job.stderr[-3000:]
    finally:
        server.terminate()
        namespace.kill_all(grace=10)
        server.wait(timeout=30)
        log.close()
    out = json.loads(job.stdout.strip().splitlines()[-1])
    assert "no BM25 function" in out["bm25_error"] and "--milvus-no-bm25" in out["bm25_error"]
    assert out["added"] == 30 and out["chunks"] == out["embedded_chunks"] > 30
    assert (out["shards"], out["index_type"], out["default_mode"]) == (2, "HNSW", "dense")
    for r in out["rankings"]:
        # HNSW is approximate, but at this size (ef=128 over ~60 vectors) it finds the exact neighbours.
        assert r["milvus"] == r["embedded"]
        np.testing.assert_allclose(r["scores"], r["embedded_scores"], atol=1e-5)
