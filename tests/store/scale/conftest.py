"""Fixtures of the scale-out tests: a Milvus Lite collection (the real engine, in a child process).

Every test here skips cleanly when the scale-out extra is not installed (`make install-scale`).
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLEUTH_COLLECTION", raising=False)


@pytest.fixture(scope="session")
def lite_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Milvus Lite file per session (each test uses its own collection in it): the engine starts once."""
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    return tmp_path_factory.mktemp("milvus") / "lite.db"
