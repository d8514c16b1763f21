"""The README's settings table is the Settings dataclass: same settings, order, defaults and meanings."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sleuth.config import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"
ROW = re.compile(r"^\| `(\w+)` \| ([^|]+?) \| (.+?) \|$", re.M)


def readme_rows() -> list[tuple[str, str, str]]:
    section = README.read_text(encoding="utf-8").split("### Settings", 1)[1].split("\n### ", 1)[0]
    return [(name, default, meaning.replace("`", "")) for name, default, meaning in ROW.findall(section)]


def test_readme_settings_table_matches_settings() -> None:
    assert readme_rows() == [(name, str(default), help) for name, default, help in settings_table()]


def test_the_table_reader_sees_a_changed_default(tmp_path: Path, monkeypatch) -> None:
    changed = README.read_text(encoding="utf-8").replace("| `k1` | 1.5 |", "| `k1` | 1.2 |")
    fake = tmp_path / "README.md"
    fake.write_text(changed, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "README", fake)
    assert ("k1", "1.2", "BM25 term-frequency saturation.") in readme_rows()
    assert readme_rows() != [(n, str(d), h) for n, d, h in settings_table()]
