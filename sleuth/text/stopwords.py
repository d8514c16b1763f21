"""Stop-word lists, by name."""

from __future__ import annotations

from sleuth.registry import Registry

STOPWORDS: Registry[frozenset[str]] = Registry("stop-word list")

# Lucene's EnglishAnalyzer default set (also bm25s' "english"): short on purpose, since a longer list
# removes words such as "not" or "between" that carry meaning in scientific claims.
STOPWORDS.add(
    "english",
    frozenset(
        "a an and are as at be but by for if in into is it no not of on or such that the their then "
        "there these they this to was will with".split()
    ),
)
STOPWORDS.add("none", frozenset())
