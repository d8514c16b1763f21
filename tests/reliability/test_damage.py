"""Bit flips in docs.sqlite and meta.json never change anything silently (issue 14, items 2 and 3).

The campaign itself is benchmarks/damage_campaign.py (its table is in docs/reliability.md); here a short
run in `make test`, the long one under the slow marker, and the single cases the issue names.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support import LOCAL, ROOT

from sleuth.config import Settings
from sleuth.errors import CollectionError
from sleuth.store.embedded.collection import Collection
from sleuth.store.embedded.doctor import diagnose, repair
from sleuth.types import Document

sys.path.insert(0, str(ROOT / "benchmarks"))
import damage_campaign  # noqa: E402

DOCS = [Document("bread", "A bread recipe: flour, water, salt and yeast.", "Bread", "recipes/bread.txt"),
        Document("cake", "A cake recipe: sugar, eggs, butter and flour.", "Cake", "recipes/cake.txt", {"k1": 1.5})]


def failures(results: dict) -> int:
    return sum(c[k] for c in results.values() for k in damage_campaign.FAILURES)


def test_short_campaign_finds_no_silent_change() -> None:
    docs, meta = damage_campaign.run(per_class=6, seed=1, meta_every=16)
    assert failures(docs) == 0 and failures(meta) == 0, (docs, meta)
    assert sum(c["detected"] for c in docs.values()) > 0 and sum(c["harmless"] for c in docs.values()) > 0
    assert {"database header", "table leaf: cells", "overflow page", "freelist page"} <= docs.keys()


@pytest.mark.slow
def test_long_campaign_finds_no_silent_change() -> None:
    docs, meta = damage_campaign.run(per_class=150, seed=2, meta_every=1)
    assert failures(docs) == 0 and failures(meta) == 0, (docs, meta)


def make(directory: Path) -> Path:
    with Collection.create(directory, Settings(encoder="none")) as col:
        col.ingest(DOCS)
    return directory


def poke(directory: Path, sql: str, *args: object) -> None:
    """Change a stored value behind sleuth's back, as a flipped bit would (without touching checksums)."""
    db = sqlite3.connect(directory / "docs.sqlite")
    with db:
        db.execute(sql, args)
    db.close()


@pytest.mark.parametrize("sql,args", [
    ("UPDATE documents SET text = replace(text, 'flour', 'flower') WHERE doc_id = ?", ("bread",)),
    ("UPDATE documents SET title = 'Brexd' WHERE doc_id = ?", ("bread",)),
    ("UPDATE documents SET metadata = '{\"k1\": 1.4}' WHERE doc_id = ?", ("cake",)),
    ("UPDATE documents SET source = 'recipes/brexd.txt' WHERE doc_id = ?", ("bread",)),
    ("UPDATE documents SET text = CAST(X'41206272ff6164' AS TEXT) WHERE doc_id = ?", ("bread",)),  # invalid UTF-8
    ("UPDATE chunks SET end = end - 1 WHERE id = ?", (1,)),
    ("UPDATE chunks SET doc = 2 WHERE id = ?", (1,)),
])
def test_a_changed_value_is_named_not_served(tmp_path: Path, sql: str, args: tuple) -> None:
    d = make(tmp_path / "c")
    poke(d, sql, *args)
    report = diagnose(d)
    assert not report.ok and "damaged row" in report.failed("docstore")["detail"]
    with Collection.open(d, readonly=True) as col:
        with pytest.raises(CollectionError, match="is damaged: its stored values no longer match the checksum"):
            for q in ("bread flour", "cake sugar", "flower", "brexd"):
                col.search(q, 5, mode="bm25")
            for doc_id in ("bread", "cake"):
                col.store.get_document(doc_id)
            col.store.list_documents()


def test_repair_removes_damaged_rows_and_reindexing_restores_them(tmp_path: Path) -> None:
    d = make(tmp_path / "c")
    poke(d, "UPDATE documents SET text = 'A bread recipe: sawdust.' WHERE doc_id = ?", "bread")
    fixed = repair(d)
    assert fixed.ok, fixed.checks
    assert any("removed 1 damaged document(s) 'bread' (recipes/bread.txt)" in a for a in fixed.actions), fixed.actions
    with Collection.open(d) as col:
        assert col.store.get_document("bread") is None
        assert col.ingest(DOCS).added == 1  # indexing the source again brings it back
        assert col.store.get_document("bread").text == DOCS[0].text
        assert [h.doc_id for h in col.search("bread flour", 1, mode="bm25")] == ["bread"]


def test_damaged_document_is_a_clear_error_in_the_cli_and_the_api(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sleuth.cli.main import cli
    from sleuth.server import create_app

    d = make(tmp_path / "c")
    poke(d, "UPDATE documents SET text = CAST(X'41206272ff6164' AS TEXT) WHERE doc_id = ?", "bread")
    result = CliRunner().invoke(cli, ["search", "bread", "--mode", "bm25", "-c", str(d)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Document 'bread' (row 1)" in result.output and "is damaged" in result.output
    with TestClient(create_app(d), base_url=LOCAL) as client:
        r = client.get("/api/documents/bread")
        assert r.status_code == 503 and "Document 'bread' (row 1)" in r.json()["error"]["message"]
        assert "sleuth doctor" in r.json()["error"]["fix"]
        assert client.get("/api/documents/cake").status_code == 200


def test_a_flip_in_k1_is_caught(tmp_path: Path) -> None:
    """The issue's example: 1.5 -> 1.4 is one bit ('5' 0x35 -> '4' 0x34); the checksum refuses it."""
    d = make(tmp_path / "c")
    raw = (d / "meta.json").read_bytes()
    at = raw.index(b'"k1": 1.5') + len(b'"k1": 1.')
    (d / "meta.json").write_bytes(raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:])
    assert json.loads((d / "meta.json").read_text())["settings"]["k1"] == 1.4
    with pytest.raises(CollectionError, match=r"meta\.json is damaged \(checksum mismatch\)"):
        Collection.open(d, readonly=True)
    assert diagnose(d).failed("meta.json")
    fixed = repair(d)
    assert fixed.ok and any("restored meta.json from the docstore's copy" in a for a in fixed.actions)
    assert json.loads((d / "meta.json").read_text())["settings"]["k1"] == 1.5
