"""Untrusted input cannot exhaust the machine, and odd paths work (issue 14, items 7 and 9)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import ROOT

from sleuth.ingest import read_paths
from sleuth.store.embedded.collection import Collection

SLEUTH = Path(sys.executable).with_name("sleuth")
LAUGHS = "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
                 for p, c in zip(["", *"abcdefgh"], "abcdefghi"))


def sleuth(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300"}
    env.pop("SLEUTH_COLLECTION", None)
    return subprocess.run([str(SLEUTH), *map(str, args)], capture_output=True, text=True, env=env, timeout=300, cwd=cwd)


@pytest.mark.parametrize("front", [LAUGHS, LAUGHS.replace("lol", "lololololololololol") + "j: &j [*i, *i, *i]\n",
                                   "a: &a [*a]\n", "x: " + "[" * 200 + "]" * 200 + "\n"])
def test_yaml_bombs_are_refused_quickly(tmp_path: Path, front: str) -> None:
    """A ~300-byte "billion laughs" once took 24 s and 2 GB (and 6 GB for a 330-byte variant)."""
    md = tmp_path / "bomb.md"
    md.write_text(f"---\n{front}---\n# Title\n\nBody text.\n")
    t = time.perf_counter()
    items = list(read_paths([md], skip_bad=True))
    assert time.perf_counter() - t < 2
    assert len(items) == 1 and not hasattr(items[0], "doc_id"), items
    reason = items[0].reason
    assert "front matter" in reason and ("aliases" in reason or "levels deep" in reason or "itself" in reason
                                        or "nested too deeply" in reason), reason


def test_ordinary_anchors_still_work(tmp_path: Path) -> None:
    md = tmp_path / "ok.md"
    md.write_text("---\ntitle: Notes\nauthors: &who [Ada, Alan]\nreviewers: *who\n---\nBody.\n")
    (doc,) = read_paths([md])
    assert doc.metadata == {"title": "Notes", "authors": ["Ada", "Alan"], "reviewers": ["Ada", "Alan"]}


PEAK = """
import sys
from sleuth.config import Settings
from sleuth.evaluate.resources import peak_rss_bytes
from sleuth.ingest import read_paths
from sleuth.store.embedded.collection import Collection
with Collection.create(sys.argv[1], Settings(encoder="none")) as col:
    s = col.ingest(read_paths([sys.argv[2]]))
    print(s.added, s.chunks, peak_rss_bytes() // 2**20)
"""


def test_a_2mb_single_line_document_needs_bounded_memory(tmp_path: Path) -> None:
    """One 2 MB line once raised MemoryError (each passage row carried the whole document's text)."""
    rng = random.Random(0)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda".split()
    big = tmp_path / "one.txt"
    big.write_text(" ".join(rng.choice(words) for _ in range(330_000)))
    assert big.stat().st_size > 1_900_000
    p = subprocess.run([sys.executable, "-c", PEAK, str(tmp_path / "c"), str(big)], capture_output=True, text=True,
                       cwd=ROOT, timeout=600)
    assert p.returncode == 0, p.stderr
    added, chunks, peak_mb = map(int, p.stdout.split())
    assert added == 1 and chunks > 1000
    assert peak_mb < 600, f"peak RSS {peak_mb} MB for a 2 MB document"


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
@pytest.mark.parametrize("name", ["lab#1", "what?", "100%", "a b#?%c"])
def test_collection_paths_with_uri_characters(tmp_path: Path, name: str) -> None:
    """A SQLite URI was built from the raw path: '#' cut it short (and left a stray file beside it)."""
    (tmp_path / "notes.jsonl").write_text(json.dumps({"_id": "n1", "title": "Bread", "text": "Rye bread."}) + "\n")
    d = tmp_path / name / "col"
    assert sleuth("index", tmp_path / "notes.jsonl", "-c", d, "--no-progress").returncode == 0
    before = set(tmp_path.iterdir())
    for args in (["search", "rye", "--json"], ["stats", "--json"], ["ls", "--json"], ["doctor", "--json"]):
        p = sleuth(*args, "-c", d)
        assert p.returncode == 0, (args, p.stderr)
    assert json.loads(sleuth("search", "rye", "--json", "-c", d).stdout)["hits"][0]["doc_id"] == "n1"
    with Collection.open(d, readonly=True) as col:
        assert col.store.count_documents() == 1
    assert set(tmp_path.iterdir()) == before, "no stray file appeared beside the collection"
    assert sorted(p.name for p in (tmp_path / name).iterdir()) == ["col"]
