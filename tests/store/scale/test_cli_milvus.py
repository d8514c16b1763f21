"""``sleuth index | search | ask | eval --backend milvus`` on the real Milvus Lite engine, in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sleuth.cli.main import cli

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

BEIR = Path(__file__).resolve().parents[2] / "data" / "cli" / "beir-mini"


def run(*args: Any, ok: bool = True) -> Any:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def test_index_search_ask_on_milvus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_MILVUS_URI", str(tmp_path / "cli.db"))  # the environment names the backend too
    milvus = ["--backend", "milvus", "--milvus-collection", "mini"]
    out = json.loads(run("index", BEIR, *milvus, "--milvus-index", "IVF_FLAT", "--json").stdout)
    assert (out["added"], out["total"]["documents"]) == (15, 15)
    assert "mini" in out["collection"]
    again = json.loads(run("index", BEIR, *milvus, "--json").stdout)
    assert (again["added"], again["skipped"]) == (0, 15)
    hits = json.loads(run("search", "lava and magma eruption", *milvus, "--json").stdout)
    assert hits["mode"] == "hybrid" and hits["hits"][0]["doc_id"] == "volcano"
    assert hits["hits"][0]["passage"]["chunk_id"] and hits["hits"][0]["highlights"]
    for mode in ("bm25", "dense"):
        assert json.loads(run("search", "lava", *milvus, "--mode", mode, "--json").stdout)["hits"][0]["doc_id"] == "volcano"
    answer = json.loads(run("ask", "How do bees make honey?", *milvus, "--json").stdout)
    assert not answer["abstained"] and answer["citations"][0]["doc_id"] == "honeybee"
    assert (tmp_path / "home" / "milvus").is_dir()  # ask's memory lives locally
    # The embedded default is untouched by all of this.
    assert "No collection" in run("search", "lava", ok=False).stderr


def test_eval_on_milvus_matches_the_embedded_store(tmp_path: Path) -> None:
    uri = str(tmp_path / "eval.db")
    embedded = json.loads(run("eval", BEIR, "--pipeline", "bm25", "--pipeline", "hybrid", "--json").stdout)["results"]
    milvus = json.loads(run("eval", BEIR, "--pipeline", "bm25", "--pipeline", "hybrid", "--backend", "milvus",
                            "--milvus-uri", uri, "--json").stdout)["results"]
    for e, m in zip(embedded, milvus):
        assert m["pipeline"] == e["pipeline"] and m["documents"] == e["documents"] == 15
        assert m["ndcg@10"] == pytest.approx(e["ndcg@10"], abs=0.05) and m["index_bytes"] is None
    from pymilvus import MilvusClient

    client = MilvusClient(uri)
    assert client.list_collections() == []  # the temporary collection was dropped
    client.close()


def test_errors_name_the_fix(tmp_path: Path) -> None:
    r = run("search", "x", "--backend", "milvus", ok=False)
    assert r.exit_code == 1 and "No Milvus URI" in r.stderr and "--milvus-uri" in r.stderr
    r = run("index", BEIR, "--ray", ok=False)
    assert r.exit_code == 1 and "--backend milvus" in r.stderr
    r = run("search", "x", "--backend", "milvus", "--milvus-uri", tmp_path / "none.db", ok=False)
    assert r.exit_code == 1 and "No Milvus collection" in r.stderr
