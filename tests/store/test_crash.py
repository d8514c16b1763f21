"""kill -9 a real ingest process at several points; the collection must stay whole and resume.

Two campaigns: lexical only (1,500 documents, fast), and with the real dense encoder (300
documents, vector segments of 64 passages so kills also land between vector writes).
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from support import synthetic_docs
from reference_bm25 import check_against_reference

from sleuth.store.embedded.collection import Collection

CHILD = Path(__file__).with_name("ingest_child.py")
CAMPAIGNS = {"lexical": ("none", 1500, []), "dense": ("minilm", 300, ["64"]),
             "merge": ("none", 600, ["-", "merge"]), "ann": ("minilm", 300, ["64", "ann"])}


def run_child(directory: Path, kill_after: float | None, campaign: str) -> tuple[list[str], bool]:
    """Run an ingest; SIGKILL it ``kill_after`` seconds after it is ready. Returns committed ids, finished."""
    encoder, n, extra = CAMPAIGNS[campaign]
    proc = subprocess.Popen([sys.executable, str(CHILD), str(directory), str(n), encoder, *extra],
                            stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    assert proc.stdout.readline().strip() == "ready"
    reader.start()
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=300)
    reader.join(timeout=10)
    committed = [i for line in lines if line.startswith("committed ") for i in line.split()[1:]]
    return committed, any(line.strip() == "done" for line in lines)


def check_invariants(directory: Path, committed: list[str], campaign: str) -> int:
    col = Collection.open(directory, readonly=True)
    n_docs, n_chunks = col.store.count_documents(), col.store.count_chunks()
    stored = {d for d, _, _ in col.store.list_documents(limit=10**6)}
    assert set(committed) <= stored, "a batch reported durable was lost"
    assert n_docs % 20 == 0, "a batch was half-committed"
    lx = col.lexical
    check_against_reference(col, ["protein gene tumor", "markerd77x quantum"], ks=(10,))
    assert lx.n_chunks == n_chunks, "lexical index and docstore disagree"
    assert set(lx.doc_ids) == stored, "a document is missing from (or extra in) the lexical index"
    for doc_id in committed[-3:]:
        assert lx.search(f"marker{doc_id}x", 1).doc_ids == [doc_id]
    if campaign in ("dense", "ann"):
        dense = col.dense
        assert dense.n_chunks + dense.pending == n_chunks, "vectors and docstore disagree"
        assert dense.pending == col.unembedded(), "the backlog a search reports is not the collection's"
        assert dense.doc_ids <= stored, "a document is extra in the vectors"
        assert len(set(dense.chunk_ids.tolist())) == len(dense.chunk_ids) == dense.n_chunks, "a passage has two vectors"
    col.close()
    return n_docs


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted ingest per campaign (made on first use), and how long it took."""
    made: dict[str, tuple[Path, float]] = {}

    def get(campaign: str) -> tuple[Path, float]:
        if campaign not in made:
            directory = tmp_path_factory.mktemp("reference") / campaign
            t = time.perf_counter()
            _, done = run_child(directory, None, campaign)
            assert done
            made[campaign] = (directory, time.perf_counter() - t)
        return made[campaign]

    return get


def same_as_reference(directory: Path, reference: Path, campaign: str) -> None:
    ref, got = Collection.open(reference, readonly=True), Collection.open(directory, readonly=True)
    n = CAMPAIGNS[campaign][1]
    assert got.store.count_chunks() == ref.store.count_chunks()
    assert {d for d, _, _ in got.store.list_documents(limit=10**6)} == {d.doc_id for d in synthetic_docs(n, seed=7)}
    for q in ["protein gene tumor", "quantum photon laser", "markerd77x"]:
        assert ref.lexical.search(q, 20).doc_ids == got.lexical.search(q, 20).doc_ids
        if campaign == "dense":
            assert ref.dense.search(q, 20).doc_ids == got.dense.search(q, 20).doc_ids
        elif campaign == "ann":
            # Two HNSW graphs built in different orders find slightly different neighbours: the
            # vectors must be the same (exact ranking over them), the graphs' answers must agree closely.
            qvec = ref.encoder.encode_queries([q])[0]
            assert exact_ranking(ref, qvec) == exact_ranking(got, qvec)
            a, b = ref.dense.search(q, 20).doc_ids, got.dense.search(q, 20).doc_ids
            assert len(set(a) & set(b)) >= 18, (a, b)


def exact_ranking(col: Collection, qvec: np.ndarray, k: int = 20) -> list[str]:
    """The k best documents by their best passage's cosine, scoring every stored vector."""
    vecs, docs = col.dense.passages()
    best: dict[str, float] = {}
    for d, score in zip(docs, (vecs @ qvec).tolist()):
        best[d] = max(score, best.get(d, -2.0))
    return sorted(best, key=lambda d: (-best[d], d))[:k]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("campaign,fraction", [
    *(("lexical", f) for f in (0.05, 0.25, 0.5, 0.75, 0.95)),
    *(("dense", f) for f in (0.15, 0.5, 0.85)),
])
def test_kill_9_during_ingest_loses_nothing_and_resumes(tmp_path, reference, campaign, fraction):
    ref_dir, duration = reference(campaign)
    directory = tmp_path / "c"
    committed, _ = run_child(directory, duration * fraction, campaign)
    check_invariants(directory, committed, campaign)
    more, _ = run_child(directory, duration * 0.3, campaign)  # killed again while resuming
    check_invariants(directory, committed + more, campaign)
    _, done = run_child(directory, None, campaign)
    assert done
    assert check_invariants(directory, committed + more, campaign) == CAMPAIGNS[campaign][1]
    same_as_reference(directory, ref_dir, campaign)


def run_child_until(directory: Path, campaign: str, line: str, delay: float) -> tuple[list[str], bool]:
    """Run an ingest and SIGKILL it ``delay`` s after it prints ``line`` (or let it finish if it never does)."""
    encoder, n, extra = CAMPAIGNS[campaign]
    proc = subprocess.Popen([sys.executable, str(CHILD), str(directory), str(n), encoder, *extra],
                            stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    for raw in proc.stdout:
        lines.append(raw)
        if raw.strip() == line:
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
            break
    lines += proc.stdout.read().splitlines()
    proc.wait(timeout=300)
    committed = [i for ln in lines if ln.startswith("committed ") for i in ln.split()[1:]]
    return committed, any(ln.strip() == "done" for ln in lines)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("campaign,line,delay", [
    ("merge", "pausing merge", 0.1), ("merge", "pausing merge", 0.31), ("merge", "pausing merge written", 0.1),
    ("ann", "pausing ann", 0.1), ("ann", "pausing ann", 0.32), ("ann", "pausing ann written", 0.1),
])
def test_kill_9_during_a_merge_or_an_ann_build_loses_nothing(tmp_path, reference, campaign, line, delay):
    """Killed before, inside, or right after a lexical merge / ANN graph build (new file durable, manifest
    not yet updated): the collection opens whole, and the resumed ingest equals an uninterrupted one."""
    ref_dir, _ = reference(campaign)
    directory = tmp_path / "c"
    committed, done = run_child_until(directory, campaign, line, delay)
    assert not done, "the child finished before the kill: the test lost its point"
    check_invariants(directory, committed, campaign)
    _, done = run_child(directory, None, campaign)
    assert done
    assert check_invariants(directory, committed, campaign) == CAMPAIGNS[campaign][1]
    same_as_reference(directory, ref_dir, campaign)


CAMPAIGN_TRIALS = 50


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("trial", range(CAMPAIGN_TRIALS))
def test_crash_campaign(tmp_path, reference, trial):
    """The slow suite's campaign (make test-slow): 50 seeded random kill points, one in five with vectors."""
    rng = random.Random(trial)
    campaign = "dense" if trial % 5 == 4 else "lexical"
    ref_dir, duration = reference(campaign)
    directory = tmp_path / "c"
    committed: list[str] = []
    for _ in range(rng.randint(1, 3)):  # killed one to three times before it may finish
        more, _ = run_child(directory, duration * rng.uniform(0.02, 1.0), campaign)
        committed += more
        check_invariants(directory, committed, campaign)
    _, done = run_child(directory, None, campaign)
    assert done
    assert check_invariants(directory, committed, campaign) == CAMPAIGNS[campaign][1]
    same_as_reference(directory, ref_dir, campaign)
