"""The derived indexes are bound to their docstore: a docstore that is missing, empty, replaced or rolled
back is refused (never silently recreated, never served under the old postings), `rm --all` and
collection creation are safe to kill, and `doctor --repair` refuses to turn a lost docstore into an
empty "healthy" collection (issue 14, item 1 and 6)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sleuth.config import Settings
from sleuth.errors import CollectionError
from sleuth.store.embedded.collection import Collection
from sleuth.store.embedded.doctor import diagnose, repair
from sleuth.types import Document

SLEUTH = Path(sys.executable).with_name("sleuth")
RECIPES = [Document(f"r{i}", f"A bread recipe number {i}: flour, water, salt and yeast, baked for {i} minutes.",
                    f"Bread {i}") for i in range(30)]
OTHER = [Document(f"o{i}", f"Notes on volcanoes number {i}: magma, ash and lava flows.", f"Volcano {i}")
         for i in range(30)]


def make(directory: Path, docs: list[Document] = RECIPES) -> Path:
    with Collection.create(directory, Settings(encoder="none")) as col:
        col.ingest(docs, batch_size=10)
    return directory


def bread_ids(directory: Path) -> list[str]:
    with Collection.open(directory, readonly=True) as col:
        return [h.doc_id for h in col.search("bread flour", 5, mode="bm25")]


def sleuth(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300"}
    env.pop("SLEUTH_COLLECTION", None)
    return subprocess.run([str(SLEUTH), *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout)


def assert_lost_docstore_refused(directory: Path) -> None:
    """Readers, writers, doctor and repair all refuse; nothing creates a docstore."""
    for readonly in (True, False):
        with pytest.raises(CollectionError, match="its documents are lost") as exc:
            Collection.open(directory, readonly=readonly)
        assert "never creates an empty docstore" in exc.value.fix
    report = diagnose(directory)
    assert not report.ok and report.failed("docstore")
    with pytest.raises(CollectionError, match=r"Cannot repair .* the docstore, the source of truth .* is lost") as exc:
        repair(directory)
    assert "Restore docs.sqlite from a backup" in exc.value.fix
    assert not (directory / "docs.sqlite").exists() or (directory / "docs.sqlite").stat().st_size == 0


def test_deleted_docstore_is_refused_everywhere(tmp_path: Path) -> None:
    d = make(tmp_path / "c")
    for p in d.glob("docs.sqlite*"):
        p.unlink()
    assert_lost_docstore_refused(d)


def test_zero_length_docstore_is_refused_everywhere(tmp_path: Path) -> None:
    d = make(tmp_path / "c")
    for p in d.glob("docs.sqlite-*"):
        p.unlink()
    (d / "docs.sqlite").write_bytes(b"")
    assert_lost_docstore_refused(d)


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
def test_cli_refuses_a_lost_docstore(tmp_path: Path) -> None:
    d = make(tmp_path / "c")
    (d / "docs.sqlite").write_bytes(b"")
    (tmp_path / "new.txt").write_text("A bread recipe nobody asked for.")
    for args in (["search", "bread"], ["index", tmp_path / "new.txt"], ["doctor", "--repair"]):
        p = sleuth(*args, "-c", d)
        assert p.returncode == 1, (args, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr and "what to do:" in p.stderr, p.stderr
    assert (d / "docs.sqlite").stat().st_size == 0


def test_replaced_docstore_is_refused(tmp_path: Path) -> None:
    d = make(tmp_path / "c")
    other = make(tmp_path / "other", OTHER)
    for p in d.glob("docs.sqlite*"):
        p.unlink()
    shutil.copy(other / "docs.sqlite", d / "docs.sqlite")
    with pytest.raises(CollectionError, match="does not belong to this collection"):
        Collection.open(d, readonly=True)
    with pytest.raises(CollectionError, match="Cannot repair"):
        repair(d)


def test_index_built_over_another_docstore_is_refused_and_repaired(tmp_path: Path) -> None:
    d = make(tmp_path / "c")
    other = make(tmp_path / "other", OTHER)
    shutil.rmtree(d / "lexical")
    shutil.copytree(other / "lexical", d / "lexical")
    with pytest.raises(CollectionError, match="was built over another docstore"):
        bread_ids(d)
    assert diagnose(d).failed("lexical index")
    assert repair(d).ok
    assert set(bread_ids(d)) <= {doc.doc_id for doc in RECIPES} and bread_ids(d)


WRITER = """
import sys, time
from sleuth.config import Settings
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document
col = Collection.open(sys.argv[1])
col.ingest([Document(f"late{i}", f"Late bread recipe {i} with rye flour.", f"Late {i}") for i in range(20)])
print("flushed", flush=True)
time.sleep(600)  # holds its connection open, so the commits stay in the -wal file until the kill
"""


def test_deleted_wal_of_a_killed_writer_is_detected_and_repaired(tmp_path: Path) -> None:
    """The issue's third way in: a writer is killed, its -wal file deleted; the docstore rolls back to
    before its commits while the lexical manifest already covers them."""
    d = make(tmp_path / "c")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(d)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "flushed"
        assert (d / "docs.sqlite-wal").stat().st_size > 0
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    (d / "docs.sqlite-wal").unlink()
    (d / "docs.sqlite-shm").unlink(missing_ok=True)
    with pytest.raises(CollectionError, match="the docstore was rolled back") as exc:
        Collection.open(d)  # a writer too: otherwise its new chunks would reuse the lost ids
    assert "doctor --repair" in exc.value.fix
    with pytest.raises(CollectionError, match="rolled back"):
        bread_ids(d)
    report = diagnose(d)
    assert report.failed("lexical index") and not report.failed("docstore")
    fixed = repair(d)
    assert fixed.ok and "rebuilt the lexical index from the docstore" in fixed.actions
    with Collection.open(d) as col:  # new documents now get fresh ids, and bread finds bread
        col.ingest([Document("cake", "A cake recipe with sugar and eggs.", "Cake")])
        assert [h.doc_id for h in col.search("sugar eggs", 3, mode="bm25")] == ["cake"]
    assert set(bread_ids(d)) <= {doc.doc_id for doc in RECIPES}


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
def test_rm_all_is_safe_to_kill_at_any_point(tmp_path: Path) -> None:
    """kill -9 `sleuth rm --all` at spread-out moments: the collection is whole or gone, never a
    meta.json over lost documents, and the directory can be indexed into again."""
    template = make(tmp_path / "template", RECIPES * 1)
    t = time.perf_counter()
    p = sleuth("rm", "--all", "--yes", "-c", shutil.copytree(template, tmp_path / "timing"))
    assert p.returncode == 0, p.stderr
    total = time.perf_counter() - t
    (tmp_path / "cake.txt").write_text("A cake recipe with sugar and eggs.")
    outcomes = set()
    for i in range(8):
        d = shutil.copytree(template, tmp_path / f"k{i}" / "c")
        proc = subprocess.Popen([str(SLEUTH), "rm", "--all", "--yes", "-c", str(d)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(total * (0.5 + i / 8))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        whole = d.exists()
        outcomes.add("whole" if whole else "gone")
        if whole:
            assert sorted(bread_ids(d)) == sorted(bread_ids(template)) and diagnose(d).ok
        p = sleuth("index", tmp_path / "cake.txt", "-c", d, "--no-progress", "--json")
        assert p.returncode == 0, p.stderr
        with Collection.open(d, readonly=True) as col:
            assert [h.doc_id for h in col.search("sugar eggs", 3, mode="bm25")] == ["cake.txt"]
            assert bool(col.search("bread flour", 3, mode="bm25")) == whole  # no stale postings if it was gone
        assert not list(d.parent.glob(".c.removing-*")), "the next write clears an interrupted removal"
    assert outcomes, "no trial ran"


def test_interrupted_creation_does_not_block_the_directory(tmp_path: Path) -> None:
    """What a kill during creation leaves (a lock file, an empty docstore, a meta.json temp file) is
    cleared by the next create; anything else in the directory is still refused."""
    d = tmp_path / "c"
    with Collection.create(d) as col:
        pass
    (d / "meta.json").rename(d / f".meta.json.tmp-{os.getpid() + 1}")
    with Collection.open_or_create(d, Settings(encoder="none")) as col:
        col.ingest(RECIPES[:3])
    assert bread_ids(d)
    e = tmp_path / "e"
    e.mkdir()
    (e / "notes.txt").write_text("mine")
    with pytest.raises(CollectionError, match="exists and is not empty, and it is not a sleuth collection"):
        Collection.create(e)
    assert sorted(p.name for p in e.iterdir()) == ["notes.txt"]


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
def test_kill_during_creation_then_rerun_finishes(tmp_path: Path) -> None:
    src = tmp_path / "docs.jsonl"
    src.write_text("".join(f'{{"_id": "r{i}", "title": "Bread {i}", "text": "Bread with flour {i}."}}\n'
                           for i in range(50)))
    t = time.perf_counter()
    assert sleuth("index", src, "-c", tmp_path / "timing", "--no-progress").returncode == 0
    total = time.perf_counter() - t
    for i in range(6):
        d = tmp_path / f"k{i}"
        proc = subprocess.Popen([str(SLEUTH), "index", str(src), "-c", str(d), "--no-progress"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(total * i / 6)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        p = sleuth("index", src, "-c", d, "--no-progress", "--json")
        assert p.returncode == 0, (i, p.stderr)
        assert len(bread_ids(d)) == 5
