"""The CLI verbs on good input: index, search, stats, ls, rm, settings, eval, --help.

Everything runs in-process through click's CliRunner against a collection under ``tmp_path``;
``SLEUTH_HOME`` and ``SLEUTH_COLLECTION`` point into ``tmp_path`` too, so the user's home is never
touched. A few cases run the installed ``sleuth`` script as a real subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sleuth.cli.main import cli
from sleuth.store.embedded.meta import FORMAT_VERSION
from sleuth.text import Analyzer

DATA = Path(__file__).resolve().parents[1] / "data" / "cli"
BEIR = DATA / "beir-mini"
SLEUTH = Path(sys.executable).with_name("sleuth")

# Observed with the default settings: 6 of the 7 queries put their one relevant document first and
# "the queen" puts the bee colony second (behind the chess queen), so nDCG@10 is 0.9473. The margin
# leaves room for small scoring changes; a broken ranker lands far below it.
NDCG_FLOOR = 0.90


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLEUTH_COLLECTION", raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: Any, ok: bool = True) -> Result:
    result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def run_json(runner: CliRunner, *args: Any) -> Any:
    return json.loads(run(runner, *args, "--json").stdout)


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """Copies of the fixtures, so tests may edit them."""
    src = tmp_path / "src"
    shutil.copytree(BEIR, src / "beir-mini")
    shutil.copy(DATA / "notes.md", src / "notes.md")
    shutil.copy(DATA / "lighthouse.txt", src / "lighthouse.txt")
    return {"beir": src / "beir-mini", "md": src / "notes.md", "txt": src / "lighthouse.txt"}


@pytest.fixture
def indexed(runner: CliRunner, inputs: dict[str, Path], tmp_path: Path) -> Path:
    col = tmp_path / "col"
    run(runner, "index", inputs["beir"], inputs["md"], "--collection", col, "--no-progress")
    return col


# -- index ---------------------------------------------------------------------------------------


def test_index_json_summary_counts(runner: CliRunner, inputs: dict[str, Path], tmp_path: Path) -> None:
    col = tmp_path / "col"
    out = run_json(runner, "index", inputs["beir"], inputs["md"], "-c", col)
    assert {"added", "updated", "skipped", "failed", "chunks", "failures", "total"} <= out.keys()
    assert out["added"] == 16  # 15 BEIR documents + the markdown file
    assert (out["updated"], out["skipped"], out["failed"], out["failures"]) == (0, 0, 0, [])
    assert out["chunks"] >= 16
    assert out["total"] == {"documents": 16, "chunks": out["chunks"]}
    assert out["collection"] == str(col)
    assert (col / "meta.json").is_file()


def test_index_human_summary_goes_to_stderr(runner: CliRunner, inputs: dict[str, Path], tmp_path: Path) -> None:
    result = run(runner, "index", inputs["beir"], inputs["md"], "-c", tmp_path / "col", "--no-progress")
    text = " ".join(result.stderr.split())
    assert "added" in text and "16" in text
    assert "The collection now holds 16 documents" in text
    assert result.stdout == ""  # stdout stays clean for pipes


def test_reindex_is_idempotent_and_detects_changes(
    runner: CliRunner, inputs: dict[str, Path], indexed: Path
) -> None:
    again = run_json(runner, "index", inputs["beir"], inputs["md"], "-c", indexed)
    assert (again["added"], again["updated"], again["skipped"], again["failed"]) == (0, 0, 16, 0)
    assert again["chunks"] == 0
    assert again["total"]["documents"] == 16

    inputs["md"].write_text(inputs["md"].read_text() + "\nA box kite has no tail and flies in light winds.\n")
    changed = run_json(runner, "index", inputs["beir"], inputs["md"], "-c", indexed)
    assert (changed["added"], changed["updated"], changed["skipped"]) == (0, 1, 15)
    assert changed["total"]["documents"] == 16
    hits = run_json(runner, "search", "box kite tail", "-c", indexed)["hits"]
    assert hits[0]["doc_id"] == "notes.md"


def test_index_adds_a_new_file_to_an_existing_collection(
    runner: CliRunner, inputs: dict[str, Path], indexed: Path
) -> None:
    out = run_json(runner, "index", inputs["txt"], "-c", indexed)
    assert (out["added"], out["skipped"]) == (1, 0)
    assert out["total"]["documents"] == 17
    assert run_json(runner, "search", "lighthouse beam", "-c", indexed)["hits"][0]["doc_id"] == "lighthouse.txt"


def test_index_uses_sleuth_home_by_default(runner: CliRunner, inputs: dict[str, Path], tmp_path: Path) -> None:
    out = run_json(runner, "index", inputs["txt"])
    assert Path(out["collection"]) == tmp_path / "home" / "default"
    assert (tmp_path / "home" / "default" / "meta.json").is_file()
    assert run_json(runner, "stats")["documents"] == 1


def test_index_chunk_options_are_stored_in_a_new_collection(
    runner: CliRunner, inputs: dict[str, Path], tmp_path: Path
) -> None:
    col = tmp_path / "small"
    run(runner, "index", inputs["md"], "-c", col, "--chunker", "fixed", "--chunk-size", "10", "--chunk-overlap", "2", "--json")
    settings = run_json(runner, "stats", "-c", col)["settings"]
    assert (settings["chunker"], settings["chunk_size"], settings["chunk_overlap"]) == ("fixed", 10, 2)
    # Repeating the collection's own settings is allowed.
    again = run_json(runner, "index", inputs["md"], "-c", col, "--chunk-size", "10")
    assert again["skipped"] == 1


# -- search --------------------------------------------------------------------------------------


def test_search_json_hits(runner: CliRunner, indexed: Path) -> None:
    query = "volcanic eruptions of magma"
    out = run_json(runner, "search", query, "-k", "3", "-c", indexed)
    assert out["query"] == query and out["mode"] == "hybrid"  # the default when the collection has vectors
    hits = out["hits"]
    assert 1 <= len(hits) <= 3
    assert hits[0]["doc_id"] == "volcano"
    assert hits[0]["title"] == "Volcanoes"
    assert [h["rank"] for h in hits] == list(range(len(hits)))
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    for h in hits:
        assert {"rank", "doc_id", "score", "title", "snippet", "highlights", "passage"} <= h.keys()
        assert {"start", "end"} <= h["passage"].keys()
        assert 0 <= h["passage"]["start"] < h["passage"]["end"]


def test_search_highlights_point_at_query_words(runner: CliRunner, indexed: Path) -> None:
    query = "volcanic eruptions of magma"
    hit = run_json(runner, "search", query, "-k", "1", "-c", indexed)["hits"][0]
    analyzer = Analyzer(stemmer="english", stopwords="english")  # the collection's defaults
    wanted = set(analyzer.terms(query))
    marked = [hit["snippet"][a:b] for a, b in hit["highlights"]]
    assert marked, "the best hit should have highlighted words"
    for word in marked:
        assert analyzer.terms(word) and set(analyzer.terms(word)) <= wanted, word
    # "eruptions" is matched through its stem in "erupts"/"eruptions"; "magma" verbatim.
    assert "Magma" in marked or "magma" in marked


def test_search_passage_offsets_locate_the_text(runner: CliRunner, indexed: Path) -> None:
    hit = run_json(runner, "search", "kite wind", "-k", "1", "-c", indexed)["hits"][0]
    assert hit["doc_id"] == "notes.md"
    assert hit["title"] == "Kite flying"
    text = (DATA / "notes.md").read_text()
    start, end = hit["passage"]["start"], hit["passage"]["end"]
    assert "kite" in text[start:end].lower()


def test_search_k_limits_hits(runner: CliRunner, indexed: Path) -> None:
    assert len(run_json(runner, "search", "the water and the sun", "-k", "2", "-c", indexed)["hits"]) == 2


def test_search_plain_output(runner: CliRunner, indexed: Path) -> None:
    result = run(runner, "search", "sourdough starter", "-k", "2", "-c", indexed)
    assert "Sourdough bread" in result.stdout
    assert "[sourdough]" in result.stdout
    assert "**" in result.stdout  # matches marked with ** when not on a terminal


def test_search_without_matches(runner: CliRunner, indexed: Path) -> None:
    out = run_json(runner, "search", "xylophone quasar", "--mode", "bm25", "-c", indexed)
    assert out["hits"] == []
    assert "No document matches" in run(runner, "search", "xylophone quasar", "--mode", "bm25", "-c", indexed).stdout


# -- stats, ls, rm, settings ---------------------------------------------------------------------


def test_stats_json(runner: CliRunner, indexed: Path) -> None:
    s = run_json(runner, "stats", "-c", indexed)
    assert s["collection"] == str(indexed)
    assert s["format_version"] == FORMAT_VERSION == 2
    assert s["documents"] == 16
    assert s["chunks"] >= 16
    assert s["bytes_on_disk"] > 0
    assert s["settings"]["chunk_size"] == 200
    plain = run(runner, "stats", "-c", indexed).stdout
    assert "documents" in plain and "16" in plain


def test_ls_json(runner: CliRunner, indexed: Path) -> None:
    rows = run_json(runner, "ls", "-c", indexed)
    assert len(rows) == 16
    assert all({"doc_id", "title", "source"} <= r.keys() for r in rows)
    ids = [r["doc_id"] for r in rows]
    assert ids[0] == "volcano"  # insertion order: the corpus first, in file order
    assert ids[-1] == "notes.md"
    assert {r["doc_id"]: r["title"] for r in rows}["notes.md"] == "Kite flying"
    page = run_json(runner, "ls", "-c", indexed, "--limit", "3", "--offset", "2")
    assert [r["doc_id"] for r in page] == ids[2:5]


def test_rm_documents(runner: CliRunner, indexed: Path) -> None:
    assert run_json(runner, "search", "honey bees", "-c", indexed)["hits"][0]["doc_id"] == "honeybee"
    assert run_json(runner, "rm", "honeybee", "-c", indexed) == {"removed": 1, "not_found": 0, "not_found_ids": []}
    assert "honeybee" not in [h["doc_id"] for h in run_json(runner, "search", "honey bees", "-c", indexed)["hits"]]
    assert run_json(runner, "stats", "-c", indexed)["documents"] == 15
    assert "honeybee" not in [r["doc_id"] for r in run_json(runner, "ls", "-c", indexed, "--limit", "100")]


def test_rm_of_an_unknown_id_exits_1_and_still_removes_the_others(runner: CliRunner, indexed: Path) -> None:
    # A script must be able to notice a typo: `rm nosuch` used to exit 0.
    out = run(runner, "rm", "chess", "gone", "--json", "-c", indexed, ok=False)
    assert out.exit_code == 1
    assert json.loads(out.stdout) == {"removed": 1, "not_found": 1, "not_found_ids": ["gone"]}
    assert run_json(runner, "stats", "-c", indexed)["documents"] == 15
    plain = run(runner, "rm", "nosuch", "-c", indexed, ok=False)
    assert plain.exit_code == 1
    assert "Removed 0 document(s)." in plain.stdout
    assert "1 id(s) were not in the collection: nosuch." in plain.stderr and "sleuth ls" in plain.stderr


def test_rm_all(runner: CliRunner, indexed: Path) -> None:
    assert run_json(runner, "rm", "--all", "--yes", "-c", indexed) == {"removed": str(indexed)}
    assert not indexed.exists()


def test_rm_all_asks_first(runner: CliRunner, indexed: Path) -> None:
    result = runner.invoke(cli, ["rm", "--all", "-c", str(indexed)], input="n\n")
    assert result.exit_code == 1  # click's Abort
    assert indexed.is_dir() and (indexed / "meta.json").is_file()
    result = runner.invoke(cli, ["rm", "--all", "-c", str(indexed)], input="y\n")
    assert result.exit_code == 0
    assert not indexed.exists()


def test_settings_json(runner: CliRunner) -> None:
    rows = run_json(runner, "settings")
    by_name = {r["name"]: r for r in rows}
    assert {"chunker", "chunk_size", "chunk_overlap", "stemmer", "stopwords", "k1", "b"} <= by_name.keys()
    assert by_name["chunk_size"]["default"] == 200
    assert all(r["help"] for r in rows)
    assert "chunk_size" in run(runner, "settings").stdout


# -- eval ----------------------------------------------------------------------------------------


EVAL_KEYS = {"ndcg@10", "recall@100", "mrr@10", "map", "qps", "p50_ms", "p95_ms", "build_s", "index_bytes", "peak_rss_mb"}


def test_eval_json(runner: CliRunner) -> None:
    out = run_json(runner, "eval", BEIR)
    assert EVAL_KEYS <= out.keys()
    assert (out["queries"], out["documents"]) == (7, 15)
    for key in EVAL_KEYS:
        assert isinstance(out[key], (int, float)) and out[key] >= 0, key
    assert out["ndcg@10"] >= NDCG_FLOOR
    assert out["ndcg@10"] < 1.0  # "the queen" is a deliberate near miss
    assert out["recall@100"] == 1.0
    assert out["mrr@10"] == pytest.approx(13 / 14, abs=1e-3)  # six at rank 1, one at rank 2
    assert out["index_bytes"] > 0 and out["peak_rss_mb"] > 0


def test_eval_is_deterministic(runner: CliRunner) -> None:
    a, b = run_json(runner, "eval", BEIR), run_json(runner, "eval", BEIR)
    assert {k: a[k] for k in ("ndcg@10", "recall@100", "mrr@10", "map")} == {
        k: b[k] for k in ("ndcg@10", "recall@100", "mrr@10", "map")
    }


def test_eval_run_file(runner: CliRunner, tmp_path: Path) -> None:
    run_file = tmp_path / "out.trec"
    run(runner, "eval", BEIR, "--run-file", run_file, "--json")
    lines = run_file.read_text().splitlines()
    assert lines
    for line in lines:
        fields = line.split()
        assert len(fields) == 6, line
        qid, q0, doc_id, rank, score, _tag = fields
        assert q0 == "Q0" and int(rank) >= 1
        float(score)
    firsts = {f[0]: f[2] for f in (line.split() for line in lines) if f[3] == "1"}
    assert firsts["q2"] == "volcano" and firsts["q3"] == "sourdough"


def test_eval_plain_table(runner: CliRunner) -> None:
    result = run(runner, "eval", BEIR)
    assert "nDCG@10" in result.stdout and "7 queries" in result.stdout


def test_eval_keeps_its_collection_when_asked(runner: CliRunner, tmp_path: Path) -> None:
    col = tmp_path / "evalcol"
    first = run_json(runner, "eval", BEIR, "--collection", col)
    assert run_json(runner, "stats", "-c", col)["documents"] == 15
    second = run_json(runner, "eval", BEIR, "--collection", col)
    assert second["ndcg@10"] == first["ndcg@10"]


# -- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "options"),
    [
        ("index", ["--collection", "--format", "--skip-bad", "--chunk-size", "--encoding", "--json"]),
        ("search", ["-k", "--mode", "--collection", "--json"]),
        ("eval", ["--pipeline", "--split", "--depth", "--run-file", "--json"]),
        ("stats", ["--collection", "--json"]),
        ("ls", ["--limit", "--offset", "--json"]),
        ("rm", ["--all", "--yes", "--collection"]),
        ("settings", ["--json"]),
    ],
)
def test_verb_help(runner: CliRunner, verb: str, options: list[str]) -> None:
    result = run(runner, verb, "--help")
    for opt in options:
        assert opt in result.stdout, f"{verb} --help does not mention {opt}"


def test_top_level_help_lists_verbs(runner: CliRunner) -> None:
    out = run(runner, "--help").stdout
    for verb in ("index", "search", "eval", "stats", "ls", "rm", "settings"):
        assert verb in out
    assert run(runner, "-h").exit_code == 0
    assert "0.1" in run(runner, "--version").stdout


# -- the installed script, as a real process -----------------------------------------------------


def sleuth_proc(*args: Any, env_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLEUTH_HOME": str(env_home), "COLUMNS": "200"}
    env.pop("SLEUTH_COLLECTION", None)
    return subprocess.run([str(SLEUTH), *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
def test_subprocess_index_then_search(inputs: dict[str, Path], tmp_path: Path) -> None:
    home = tmp_path / "home"
    p = sleuth_proc("index", inputs["beir"], inputs["md"], "--json", env_home=home)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["added"] == 16
    p = sleuth_proc("search", "wild yeast bread", "-k", "1", "--json", env_home=home)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["hits"][0]["doc_id"] == "sourdough"
    assert (home / "default" / "meta.json").is_file()


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
def test_subprocess_help(tmp_path: Path) -> None:
    p = sleuth_proc("--help", env_home=tmp_path)
    assert p.returncode == 0 and "index" in p.stdout and p.stderr == ""
