"""Searches keep working, on consistent snapshots, while another process ingests; writers are serialised."""

import subprocess
import sys
import time
from pathlib import Path

from support import synthetic_docs

from sleuth.config import Settings
from sleuth.errors import CollectionError
from sleuth.store.embedded.collection import Collection

CHILD = Path(__file__).resolve().parents[1] / "store" / "ingest_child.py"


def test_reader_sees_consistent_snapshots_during_an_ingest(tmp_path):
    directory = tmp_path / "c"
    with Collection.create(directory, Settings(encoder="none")) as col:
        col.ingest(synthetic_docs(20, prefix="seed"))
    proc = subprocess.Popen([sys.executable, str(CHILD), str(directory), "1500", "none"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    seen, loads = [], 0
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        with Collection.open(directory, readonly=True) as col:
            lx = col.lexical  # one snapshot of the docstore and the segments
            loads += 1
            assert lx.n_chunks == len(set(lx.chunk_ids.tolist()))
            docs = set(lx.doc_ids)
            assert {f"seed{i}" for i in range(20)} <= docs
            hits = lx.search("protein gene tumor", 50).doc_ids
            assert set(hits) <= docs
            seen.append(len(docs))
    proc.wait(timeout=120)
    assert proc.returncode == 0
    assert loads >= 2 and seen == sorted(seen), "a later reader saw fewer documents than an earlier one"
    with Collection.open(directory, readonly=True) as col:
        assert col.store.count_documents() == 1520


def test_a_second_writer_is_refused_not_interleaved(tmp_path):
    directory = tmp_path / "c"
    Collection.create(directory, Settings(encoder="none")).close()
    proc = subprocess.Popen([sys.executable, str(CHILD), str(directory), "20000", "none"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    assert proc.stdout.readline().startswith("committed ")  # the child is mid-ingest, holding the lock
    refused = False
    with Collection.open(directory) as col:
        try:
            col.ingest(synthetic_docs(5, prefix="other"))
        except CollectionError as exc:
            refused = "Another process" in str(exc) and "is writing" in str(exc)
    proc.stdout.read()
    proc.wait(timeout=300)
    with Collection.open(directory, readonly=True) as col:
        n = col.store.count_documents()
        assert col.store.get_document("other0") is None, "nothing of the refused writer was stored"
    assert refused, "the child was still writing: the second writer had to be refused"
    assert n == 20000


MERGER = """
import sys
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document
with Collection.open(sys.argv[1]) as col:
    print("ready", flush=True)
    for i in range(int(sys.argv[2])):   # one segment per ingest: a merge every few rounds removes files
        col.ingest([Document(f"m{i}", f"Merge round {i}: protein gene tumor.", f"Round {i}")])
        if i % 3 == 0:
            col.delete([f"m{i - 1}"])
print("done", flush=True)
"""


def test_readers_survive_segments_vanishing_during_merges(tmp_path):
    """Issue 14, item 5: the existence check, the checksum and the load of a segment are not atomic;
    a file removed by a writer's merge in between must be retried, never escape as FileNotFoundError."""
    directory = tmp_path / "c"
    with Collection.create(directory, Settings(encoder="none")) as col:
        col.ingest(synthetic_docs(200, prefix="seed"))
    proc = subprocess.Popen([sys.executable, "-c", MERGER, str(directory), "400"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    loads = 0
    while proc.poll() is None:
        with Collection.open(directory, readonly=True) as col:
            lx = col.lexical  # raises on any failure that is not a clean retry
            assert {f"seed{i}" for i in range(200)} <= set(lx.doc_ids)
            loads += 1
    assert proc.wait(timeout=300) == 0
    assert loads >= 20
