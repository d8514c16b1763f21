"""Where an offset of a structured document falls: its page and its section (``Document.metadata``).

The layout (shared by every reader that knows structure): ``page_offsets`` lists where page i+1 starts
in ``Document.text``; ``page_runs`` (only when text is not in page order: a footnote or float of one
page placed after a paragraph that runs onto the next) lists ``[offset, page]`` where the page changes;
``sections`` lists ``{"title", "start", "end", "level"}`` in reading order (and
``"number"`` when the heading is numbered).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any


def _page_runs(metadata: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(offset, page) wherever the text's page changes: ``page_runs``, or one per ``page_offsets`` entry."""
    runs = metadata.get("page_runs")
    if runs:
        return [(int(o), int(p)) for o, p in runs]
    return [(int(o), i + 1) for i, o in enumerate(metadata.get("page_offsets") or [])]


def page_at(metadata: Mapping[str, Any], offset: int) -> int | None:
    """The 1-based page holding character ``offset``, or None when the document has no pages."""
    runs = _page_runs(metadata)
    if not runs:
        return None
    at = bisect.bisect_right([o for o, _ in runs], offset) - 1
    return runs[max(at, 0)][1]


def _section(metadata: Mapping[str, Any], offset: int) -> Mapping[str, Any] | None:
    found = None
    for s in metadata.get("sections") or []:
        if s["start"] <= offset < s["end"] and (found is None or s.get("level", 1) >= found.get("level", 1)):
            found = s
    return found


def section_at(metadata: Mapping[str, Any], offset: int) -> str | None:
    """The title of the innermost section holding ``offset`` (``start <= offset < end``), or None."""
    s = _section(metadata, offset)
    return s["title"] if s else None


def section_label_at(metadata: Mapping[str, Any], offset: int) -> str | None:
    """The section as printed: its number, when it has one, and title ("5 Experiments")."""
    s = _section(metadata, offset)
    if s is None:
        return None
    return f"{s['number']} {s['title']}" if s.get("number") else s["title"]


def page_breaks(metadata: Mapping[str, Any], start: int, end: int) -> list[tuple[int, int]]:
    """(offset, page) of every page change inside ``(start, end)``: the pages a passage runs onto."""
    return [(o, p) for o, p in _page_runs(metadata) if start < o < end]


def boundaries(metadata: Mapping[str, Any], length: int) -> list[tuple[int, int]]:
    """Spans of ``[0, length)`` that a passage must not cross: sections, and non-body blocks on their own.

    Body text between them forms the remaining spans; the list is sorted and covers every character once.
    """
    cuts = {0, length}
    for s in metadata.get("sections") or []:
        cuts.update((s["start"], s["end"]))
    for b in metadata.get("blocks") or []:
        if b.get("kind") != "heading":
            cuts.update((b["start"], b["end"]))
    points = sorted(c for c in cuts if 0 <= c <= length)
    return [(a, b) for a, b in zip(points, points[1:]) if b > a]
