"""kill -9 a real ingest process at several points; the collection must stay whole and resume."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import synthetic_docs

from sleuth.store.collection import Collection

CHILD = Path(__file__).with_name("ingest_child.py")
N_DOCS = 1500


def run_child(directory: Path, kill_after: float | None) -> tuple[list[str], bool]:
    """Run an ingest; SIGKILL it ``kill_after`` seconds after it is ready. Returns committed ids, finished."""
    proc = subprocess.Popen([sys.executable, str(CHILD), str(directory), str(N_DOCS)],
                            stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    assert proc.stdout.readline().strip() == "ready"
    reader.start()
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=120)
    reader.join(timeout=10)
    committed = [i for line in lines if line.startswith("committed ") for i in line.split()[1:]]
    return committed, any(line.strip() == "done" for line in lines)


def check_invariants(directory: Path, committed: list[str]) -> int:
    col = Collection.open(directory, readonly=True)
    n_docs, n_chunks = col.store.count_documents(), col.store.count_chunks()
    lx = col.lexical
    assert lx.n_chunks == n_chunks, "lexical index and docstore disagree"
    assert len(set(lx.doc_ids)) == n_docs, "a document is missing from (or doubled in) the lexical index"
    stored = {d for d, _, _ in col.store.list_documents(limit=10**6)}
    assert set(committed) <= stored, "a batch reported durable was lost"
    assert n_docs % 20 == 0, "a batch was half-committed"
    for doc_id in committed[-3:]:
        assert lx.search(f"marker{doc_id}x", 1).doc_ids == [doc_id]
    col.close()
    return n_docs


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted ingest, and how long it took."""
    directory = tmp_path_factory.mktemp("reference") / "c"
    t = time.perf_counter()
    _, done = run_child(directory, None)
    assert done
    return directory, time.perf_counter() - t


def same_as_reference(directory: Path, reference: Path) -> None:
    ref, got = Collection.open(reference, readonly=True), Collection.open(directory, readonly=True)
    assert got.store.count_chunks() == ref.store.count_chunks()
    assert {d for d, _, _ in got.store.list_documents(limit=10**6)} == {d.doc_id for d in synthetic_docs(N_DOCS, seed=7)}
    for q in ["protein gene tumor", "quantum photon laser", "markerd77x"]:
        assert ref.lexical.search(q, 20).doc_ids == got.lexical.search(q, 20).doc_ids


@pytest.mark.timeout(300)
@pytest.mark.parametrize("fraction", [0.05, 0.25, 0.5, 0.75, 0.95])
def test_kill_9_during_ingest_loses_nothing_and_resumes(tmp_path, reference, fraction):
    ref_dir, duration = reference
    directory = tmp_path / "c"
    committed, _ = run_child(directory, duration * fraction)
    check_invariants(directory, committed)
    more, _ = run_child(directory, duration * 0.3)  # killed again while resuming
    check_invariants(directory, committed + more)
    _, done = run_child(directory, None)
    assert done
    assert check_invariants(directory, committed + more) == N_DOCS
    same_as_reference(directory, ref_dir)
