"""The import graph of a package, read from its source (nothing is imported), for the architecture tests.

Every ``import`` and ``from … import`` counts, at module level or inside a function: a lazy import is still a
dependency. Imports under ``if TYPE_CHECKING:`` do not, since they never run. ``from pkg import name`` depends
on ``pkg.name`` when that is a module, else on ``pkg``.
"""

from __future__ import annotations

import ast
from pathlib import Path


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for the package whose directory is ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking_only(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            for stmt in node.body:
                skip.update(id(n) for n in ast.walk(stmt))
    return skip


def _targets(name: str, node: ast.Import | ast.ImportFrom, is_package: bool, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = name.split(".")
    if node.level:
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    subs = [f"{prefix}.{a.name}" for a in node.names if f"{prefix}.{a.name}" in known]
    return subs if len(subs) == len(node.names) else [*subs, prefix]


def graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (the nearest enclosing module that exists)."""
    known = modules(root)
    top = root.name
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_only(tree)
        deps: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(name, node, path.name == "__init__.py", known):
                if target.split(".")[0] != top:
                    continue
                while target not in known and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target != name:
                    deps.add(target)
        edges[name] = deps
    return edges


def collapse(edges: dict[str, set[str]], depth: int) -> dict[str, set[str]]:
    """The graph between packages ``depth`` levels deep (depth 2: sleuth.store, sleuth.index, …).

    Modules directly in the top package (sleuth.errors, sleuth.types, …) keep their own names.
    """
    def group(m: str) -> str:
        return ".".join(m.split(".")[:depth])

    out: dict[str, set[str]] = {}
    for a, deps in edges.items():
        out.setdefault(group(a), set()).update(group(b) for b in deps if group(b) != group(a))
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan 1972), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def explain(fine: dict[str, set[str]], comp: list[str], depth: int) -> list[str]:
    """The module imports behind one cycle of the collapsed graph, for the failure message."""
    members = set(comp)
    return [f"{a} imports {b}" for a, deps in sorted(fine.items()) for b in sorted(deps)
            if ".".join(a.split(".")[:depth]) in members and ".".join(b.split(".")[:depth]) in members
            and ".".join(a.split(".")[:depth]) != ".".join(b.split(".")[:depth])]
