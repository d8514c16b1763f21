"""Text analysis: split into word tokens, lower-case, drop stop words, stem.

The same analyzer indexes chunks, parses queries and finds the words to highlight in snippets, so
that a highlighted word is always one that matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

from sleuth.errors import ConfigError
from sleuth.text.stopwords import STOPWORDS

# Words of two or more word characters, as Lucene's classic and bm25s' default splitters do:
# one-letter tokens are almost never useful search terms.
_WORD = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class Token:
    term: str
    start: int
    end: int


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Stemmer.Stemmer:
    try:
        return Stemmer.Stemmer(language)
    except KeyError:
        raise ConfigError(
            f"Unknown stemmer language {language!r}.",
            f"Use one of: none, {', '.join(sorted(Stemmer.algorithms()))}.",
        ) from None


@dataclass
class Analyzer:
    """Lower-case word tokens, minus stop words, stemmed with Snowball (PyStemmer)."""

    stemmer: str = "english"
    stopwords: str = "english"
    _stop: frozenset[str] = field(init=False, repr=False)
    _cache: dict[str, str] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = STOPWORDS.get(self.stopwords)
        self._stem = None if self.stemmer == "none" else _stemmer(self.stemmer)

    def _normalise(self, words: list[str]) -> list[str]:
        # Stemming dominates analysis time; a corpus has few distinct words, so memoise them.
        cache = self._cache
        missing = [w for w in set(words) if w not in cache]
        if missing:
            stems = self._stem.stemWords(missing) if self._stem else missing
            cache.update(zip(missing, stems))
        return [cache[w] for w in words]

    def terms(self, text: str) -> list[str]:
        """The index terms of ``text``, in order, repeats kept."""
        stop = self._stop
        words = [w for w in _WORD.findall(text.lower()) if w not in stop]
        return self._normalise(words)

    def tokens(self, text: str) -> list[Token]:
        """Like :meth:`terms` but with character offsets into ``text`` (for highlighting)."""
        stop = self._stop
        found = [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
        found = [f for f in found if f[0] not in stop]
        stems = self._normalise([f[0] for f in found])
        return [Token(s, a, b) for s, (_, a, b) in zip(stems, found)]

    def settings(self) -> dict[str, str]:
        return {"stemmer": self.stemmer, "stopwords": self.stopwords}
