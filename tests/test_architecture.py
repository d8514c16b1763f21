"""The layout is the architecture: no import cycles between packages or modules, and small modules.

The graph is read from the source (tests/imports.py), lazy imports included. docs/architecture.md draws the
layers these tests hold.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imports import collapse, cycles, explain, graph

PACKAGE = Path(__file__).resolve().parents[1] / "sleuth"
MAX_LINES = 420
"""Modules are split before ~400 lines (the code rules); a little slack for a docstring."""


@pytest.fixture(scope="module")
def edges() -> dict[str, set[str]]:
    return graph(PACKAGE)


def test_no_import_cycle_between_packages(edges: dict[str, set[str]]) -> None:
    packages = collapse(edges, 2)
    found = cycles(packages)
    assert not found, "packages import each other:\n" + "\n".join(
        f"{' <-> '.join(c)}:\n  " + "\n  ".join(explain(edges, c, 2)) for c in found)


def test_no_import_cycle_between_modules(edges: dict[str, set[str]]) -> None:
    assert cycles(edges) == []


def test_no_module_is_over_the_size_limit() -> None:
    big = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert big == {}, f"split these modules (over {MAX_LINES} lines): {big}"


def test_the_walk_finds_a_lazy_cycle_and_ignores_type_checking_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "a").mkdir(parents=True)
    (pkg / "b").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "b" / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("from pkg.b import y\n")
    (pkg / "b" / "y.py").write_text("def f():\n    from pkg.a.x import g\n")
    (pkg / "b" / "z.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import x\n")
    fine = graph(pkg)
    assert fine["pkg.a.x"] == {"pkg.b.y"}
    assert fine["pkg.b.y"] == {"pkg.a.x"}
    assert fine["pkg.b.z"] == set()
    assert cycles(collapse(fine, 2)) == [["pkg.a", "pkg.b"]]
    assert explain(fine, ["pkg.a", "pkg.b"], 2) == ["pkg.a.x imports pkg.b.y", "pkg.b.y imports pkg.a.x"]
    assert cycles(fine) == [["pkg.a.x", "pkg.b.y"]]


def test_test_modules_have_unique_names() -> None:
    # tests/ has no __init__.py files, so pytest imports each test module by its file name alone.
    names = [p.name for p in (PACKAGE.parent / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
