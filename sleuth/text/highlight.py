"""Snippets: the window of a passage with the most query-term matches, and where those matches are."""

from __future__ import annotations

from sleuth.text.analyzer import Analyzer


def snippet(
    text: str, query: str, analyzer: Analyzer, width: int = 40
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The ``width``-token window of ``text`` covering the most distinct query terms.

    Returns the snippet (with "…" where it was cut) and the character ranges, inside the snippet,
    of the words that matched. Matching uses the same analyzer as the index, so "running" in the
    text lights up for the query "runs".
    """
    wanted = set(analyzer.terms(query))
    tokens = analyzer.tokens(text)
    if not tokens:
        return text[: width * 8], ()
    hits = [i for i, t in enumerate(tokens) if t.term in wanted]
    best, best_cover = 0, -1
    for i in hits or [0]:
        start = max(0, i - width // 4)
        cover = len({tokens[j].term for j in hits if start <= j < start + width})
        if cover > best_cover:
            best, best_cover = start, cover
    last = min(len(tokens), best + width) - 1
    a = 0 if best == 0 else tokens[best].start
    b = len(text) if last == len(tokens) - 1 else tokens[last].end
    prefix = "" if a == 0 else "…"
    suffix = "" if b == len(text) else "…"
    out = prefix + text[a:b].strip() + suffix
    shift = len(prefix) - a - (len(text[a:b]) - len(text[a:b].lstrip()))
    marks = tuple(
        (tokens[j].start + shift, tokens[j].end + shift) for j in hits if best <= j <= last
    )
    return out, marks
