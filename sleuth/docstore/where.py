"""``--where`` filters on paper metadata: ``year>=2020``, ``year=2019``, ``author:Karpukhin``, ...

A condition is ``FIELD OP VALUE`` with OP one of ``>= <= > < = !=`` (``year``) or ``:`` (contains, case
insensitive: ``author``, ``title``, ``venue``, ``doi``, ``arxiv``, ``source``); several conditions must
all hold. The documents that pass are found with one SQL query over the docstore; a ranking is then
filtered by growing its depth (k, 4k, 16k, ... until k documents pass or the ranking runs out), so the
k best documents that pass are exactly those an unfiltered ranking would list first among them.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sleuth.errors import InputError
from sleuth.ranking.ranking import Ranking

_EXPR = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|!=|=|>|<|:)\s*(.+?)\s*$", re.I)
_NUMERIC = {"year": "d.year"}
_TEXT = {
    "author": "d.authors", "title": "d.title", "source": "d.source",
    "venue": "json_extract(d.metadata, '$.venue')", "doi": "json_extract(d.metadata, '$.doi')",
    "arxiv": "json_extract(d.metadata, '$.arxiv_id')",
}
HELP = ("year>=2020, year=2019, year<2015, author:NAME, title:WORDS, venue:WORDS, doi:PREFIX, arxiv:ID or "
        "source:PATH; repeat --where to require several")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str


def parse_where(exprs: Iterable[str]) -> list[Condition]:
    """Conditions from ``--where`` strings; a malformed one raises InputError naming it."""
    out = []
    for expr in exprs:
        m = _EXPR.match(expr or "")
        if not m:
            raise InputError(f"Cannot read the filter {expr!r}.", f"Write it as {HELP}.")
        field, op, value = m.group(1).lower(), m.group(2), m.group(3).strip("\"'")
        field = {"authors": "author", "arxiv_id": "arxiv"}.get(field, field)
        if field in _NUMERIC:
            if op == ":":
                op = "="
            if not re.fullmatch(r"-?\d+", value):
                raise InputError(f"The filter {expr!r} compares {field} with {value!r}, which is not a number.",
                                 f"Write it as {field}>=2020, for example.")
        elif field in _TEXT:
            if op not in (":", "="):
                raise InputError(f"The filter {expr!r} uses {op!r} on {field}, which is text.",
                                 f"Use {field}:WORDS (contains, any case).")
        else:
            close = difflib.get_close_matches(field, [*_NUMERIC, *_TEXT], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InputError(f"Unknown filter field {field!r} in {expr!r}.{hint}", f"Filter on {HELP}.")
        out.append(Condition(field, op, value))
    return out


def matching_documents(db: sqlite3.Connection, conditions: list[Condition]) -> set[str]:
    """Ids of the documents that satisfy every condition."""
    clauses, params = [], []
    for c in conditions:
        if c.field in _NUMERIC:
            clauses.append(f"{_NUMERIC[c.field]} {'<>' if c.op == '!=' else c.op} ?")
            params.append(int(c.value))
        else:
            clauses.append(f"lower(coalesce({_TEXT[c.field]}, '')) LIKE ? ESCAPE '\\'")
            esc = c.value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{esc}%")
    q = "SELECT d.doc_id FROM documents d" + (" WHERE " + " AND ".join(clauses) if clauses else "")
    return {row[0] for row in db.execute(q, params)}


def filtered(run: Callable[[int], Ranking], k: int, allowed: set[str], total: int) -> Ranking:
    """The first ``k`` rows of ``run(depth)`` whose document is in ``allowed``, growing the depth."""
    if not allowed:
        return Ranking.empty()
    depth = k
    while True:
        ranked = run(depth)
        kept = [r for r in ranked if r[0] in allowed]
        if len(kept) >= k or len(ranked) < depth or depth >= total:
            return Ranking.of(kept[:k])
        depth = min(depth * 4, max(total, k))
