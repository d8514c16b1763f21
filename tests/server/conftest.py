"""Fixtures for the server tests: a collection built from the BEIR fixture, and apps over it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import ROOT

from sleuth.ingest import read_paths
from sleuth.store.collection import Collection

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"


@pytest.fixture(scope="session")
def built_collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The BEIR fixture indexed once per session (tests that write get their own copy)."""
    directory = tmp_path_factory.mktemp("server") / "col"
    with Collection.create(directory) as col:
        col.ingest(read_paths([BEIR], fmt="beir"))
    return directory


@pytest.fixture
def fresh_collection(built_collection: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "col"
    shutil.copytree(built_collection, directory, ignore=shutil.ignore_patterns("write.lock", "memory.sqlite*"))
    return directory
