"""Embeddings made elsewhere: `sleuth index --vectors FILE`, and the backlog `stats`/`search` report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support import synthetic_docs

from sleuth.cli.main import cli
from sleuth.store.embedded.collection import Collection


@pytest.fixture
def unembedded(tmp_path: Path) -> Path:
    """A collection with the real encoder whose passages were stored but never embedded."""
    with Collection.create(tmp_path / "c") as col:
        col.ingest(synthetic_docs(12), embed=False)
    return tmp_path / "c"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_backlog_is_reported_and_vectors_made_elsewhere_are_imported(unembedded: Path, tmp_path: Path) -> None:
    r = run("stats", "--collection", str(unembedded))
    assert "12 passages are not embedded yet: run `sleuth index` to finish" in r.output
    r = run("search", "protein gene", "--collection", str(unembedded), "--mode", "hybrid")
    assert r.exit_code == 0 and "12 passages are not embedded yet" in r.output
    with Collection.open(unembedded) as col:  # "elsewhere": the same model, run by the user
        rows = [r for batch in col.unembedded_passages() for r in batch]
        vecs = col.encoder.encode_passages([t for _, t in rows])
        model = col.encoder.model_id.split("@")[0] + "@gpu-fp16"
    np.savez(tmp_path / "v.npz", chunk_ids=np.array([i for i, _ in rows]), vectors=vecs, model_id=model)
    r = run("index", "--vectors", str(tmp_path / "v.npz"), "--collection", str(unembedded), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["vectors_imported"] == 12 and json.loads(r.output)["unembedded_passages"] == 0
    with Collection.open(unembedded, readonly=True) as col:
        assert col.unembedded() == 0
        assert col.search("markerd3x protein", 3, mode="dense")[0].doc_id  # searchable by meaning now
        assert col.stats()["unembedded_passages"] == 0


def test_vectors_of_another_model_or_shape_are_refused(unembedded: Path, tmp_path: Path) -> None:
    with Collection.open(unembedded) as col:
        ids = np.array([i for b in col.unembedded_passages() for i, _ in b])
    np.savez(tmp_path / "other.npz", chunk_ids=ids, vectors=np.eye(len(ids), 384, dtype=np.float32), model_id="BAAI/bge-small-en")
    r = run("index", "--vectors", str(tmp_path / "other.npz"), "--collection", str(unembedded))
    assert r.exit_code != 0 and "made with BAAI/bge-small-en" in r.output and "all-MiniLM-L6-v2" in r.output
    np.savez(tmp_path / "short.npz", chunk_ids=ids, vectors=np.ones((len(ids), 8), np.float32),
             model_id="sentence-transformers/all-MiniLM-L6-v2")
    r = run("index", "--vectors", str(tmp_path / "short.npz"), "--collection", str(unembedded))
    assert r.exit_code != 0 and "vectors of 384 dimensions" in r.output
    np.savez(tmp_path / "nothing.npz", ids=ids)
    r = run("index", "--vectors", str(tmp_path / "nothing.npz"), "--collection", str(unembedded))
    assert r.exit_code != 0 and "has no chunk_ids, model_id, vectors array" in r.output
    with Collection.open(unembedded, readonly=True) as col:
        assert col.unembedded() == 12  # nothing of a refused import was stored
