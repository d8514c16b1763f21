"""Fixtures shared by all tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import SHARED_DATA


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or a clean skip when this checkout has none beside it."""
    if not (SHARED_DATA / "scifact" / "corpus.jsonl").exists():
        pytest.skip("../shared/data is not present (benchmark collections live there)")
    return SHARED_DATA
