"""Distributed ingestion: shard planning (pure, always runs), and a real local Ray with two workers
writing into Milvus Lite, started inside a loopback-only network namespace (Ray binds every
interface); afterwards no process may be left in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import synthetic_docs

import netns
from sleuth.store.ray_ingest import check_target, plan, read_shard
from sleuth.errors import ConfigError, InputError
from sleuth.ingest import read_paths
from sleuth.types import Document

JOB = Path(__file__).with_name("ray_job.py")
RAY_EXIT_GRACE = 60.0
SLEUTH = Path(sys.executable).with_name("sleuth")


def write_corpus(path: Path, docs: list[Document]) -> Path:
    path.mkdir(parents=True)
    with (path / "corpus.jsonl").open("w") as f:
        for d in docs:
            f.write(json.dumps({"_id": d.doc_id, "title": d.title, "text": d.text}) + "\n")
            f.write("\n")  # blank lines are skipped but count for line numbers
    return path


def test_shards_cover_every_record_once_with_its_line_number(tmp_path):
    corpus = write_corpus(tmp_path / "beir", synthetic_docs(50, seed=1))
    (corpus / "corpus.jsonl").open("a").write('{"_id": "bad", "text": 3}\n')
    work = plan([corpus], shard_bytes=2000, skip_bad=True)
    assert len(work.shards) > 5
    items = [item for shard in work.shards for item in read_shard(shard, work.opts)]
    whole = list(read_paths([corpus], skip_bad=True))
    assert items == whole
    assert items[-1].line == 101  # the bad record keeps the line number it has in the whole file


def test_small_files_are_grouped_into_shards(tmp_path):
    for i in range(12):
        (tmp_path / f"note{i:02d}.md").write_text(f"# Note {i}\n\n" + "words " * 100)
    work = plan([tmp_path], shard_bytes=2000)
    assert 3 <= len(work.shards) <= 4
    assert [s for shard in work.shards for _, s in shard.parts] == [s for _, s in read_sources(tmp_path)]


def read_sources(path: Path) -> list:
    from sleuth.ingest import sources

    return list(sources([path]))


def test_ray_ingestion_needs_a_milvus_target(tmp_path):
    from sleuth.store import EmbeddedTarget

    with pytest.raises(ConfigError, match="--backend milvus"):
        check_target(EmbeddedTarget(tmp_path))
    with pytest.raises(InputError, match="No such file"):
        plan([tmp_path / "missing"])


@pytest.fixture
def namespace():
    pytest.importorskip("ray")
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    if why := netns.available():
        pytest.skip(why)
    with netns.LoopbackNamespace("sleuth-ray") as ns:
        yield ns
        # Ray's daemons exit asynchronously after the driver's shutdown; on a loaded machine that takes
        # seconds. Give them time to go on their own: only what is still there after that is a leak.
        deadline = time.monotonic() + RAY_EXIT_GRACE
        while ns.pids() and time.monotonic() < deadline:
            time.sleep(0.5)
        leftover = ns.pids()
        assert leftover == [], f"processes left in the namespace {RAY_EXIT_GRACE:.0f} s after Ray shut down: {leftover}"


def run_in(ns: netns.LoopbackNamespace, argv: list[str], tmp_path: Path) -> str:
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "SLEUTH_HOME": str(tmp_path / "home")}
    done = subprocess.run(ns.command(argv), capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def test_two_ray_workers_store_what_one_process_stores(namespace, tmp_path):
    corpus = write_corpus(tmp_path / "beir", synthetic_docs(40, seed=2, words=250))
    out = json.loads(run_in(namespace, [sys.executable, str(JOB), str(corpus), str(tmp_path / "ray.db")], tmp_path))
    assert out["shards"] >= 4
    assert all(addr.startswith("127.") for addr in out["nodes"]), out["nodes"]
    assert out["first"]["added"] == 40 and out["first"]["failed"] == 0
    assert out["same_keys"] and out["same_rows"]
    assert out["max_vector_diff"] < 1e-6  # one text per encoder call: a vector does not depend on its batch
    assert (out["again"]["added"], out["again"]["skipped"]) == (0, 40)
    assert out["documents"] == 40


def test_sleuth_index_ray_on_the_command_line(namespace, tmp_path):
    corpus = write_corpus(tmp_path / "beir", synthetic_docs(5, seed=9))
    stdout = run_in(namespace, [str(SLEUTH), "index", str(corpus), "--ray", "--ray-workers", "2", "--backend", "milvus",
                                "--milvus-uri", str(tmp_path / "cli.db"), "--json"], tmp_path)
    out = json.loads(stdout[stdout.index("{"):])
    assert out["added"] == 5 and out["total"]["documents"] == 5
