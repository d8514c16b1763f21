"""How a passage of a paper is named in one line: ``Karpukhin et al. 2020 · §5 Experiments · p. 6``."""

from __future__ import annotations

from collections.abc import Sequence


def short_authors(authors: Sequence[str]) -> str:
    """"Lo", "Lo and Wang", "Lo et al." (surnames: the last word of each name)."""
    last = [a.split()[-1].rstrip(",") for a in authors if a.strip()]
    if not last:
        return ""
    if len(last) == 1:
        return last[0]
    if len(last) == 2:
        return f"{last[0]} and {last[1]}"
    return f"{last[0]} et al."


def locator(authors: Sequence[str] = (), year: int | None = None, section: str = "", page: int | None = None) -> str:
    """The parts that are known, joined by `` · ``; empty when none is."""
    who = " ".join(p for p in (short_authors(authors), str(year) if year else "") if p)
    parts = [who, f"§{section}" if section else "", f"p. {page}" if page else ""]
    return " · ".join(p for p in parts if p)
