"""Chunkers: pure functions ``(text, size, overlap) -> list[Span]``.

A span is a half-open character range ``[start, end)`` into the text; the chunk's text is exactly
``text[start:end]``, so a citation can later point at the very characters a passage came from.
Sizes count whitespace-separated words ("tokens" here), which is stable across models.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sleuth.errors import ConfigError
from sleuth.registry import Registry

Span = tuple[int, int]
Chunker = Callable[[str, int, int], list[Span]]

CHUNKERS: Registry[Chunker] = Registry("chunker")

_WORD = re.compile(r"\S+")
# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets) before whitespace and
# an upper-case letter, digit or opening bracket. Simple, language-agnostic enough for abstracts, and
# it never moves an offset because it only chooses where to cut.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[A-Z0-9])")


def check_sizes(size: int, overlap: int) -> None:
    """Raise ConfigError unless 1 <= size and 0 <= overlap < size."""
    if size < 1:
        raise ConfigError(f"Chunk size must be at least 1 word, got {size}.", "Pass a positive size.")
    if not 0 <= overlap < size:
        raise ConfigError(
            f"Chunk overlap must be between 0 and size-1 ({size - 1}), got {overlap}.",
            "Pass a smaller overlap.",
        )


def _word_spans(text: str) -> list[Span]:
    return [m.span() for m in _WORD.finditer(text)]


@CHUNKERS.register("fixed")
def fixed_windows(text: str, size: int, overlap: int) -> list[Span]:
    """Windows of ``size`` words, each starting ``size - overlap`` words after the previous one.

    The last window ends at the last word; no window is a pure subset of the previous one.
    """
    check_sizes(size, overlap)
    words = _word_spans(text)
    if not words:
        return []
    step = size - overlap
    spans = []
    for first in range(0, len(words), step):
        last = min(first + size, len(words)) - 1
        spans.append((words[first][0], words[last][1]))
        if last == len(words) - 1:
            break
    return spans


def sentence_spans(text: str) -> list[Span]:
    """Sentence boundaries found by :data:`_SENTENCE_END`, trimmed of surrounding whitespace."""
    spans = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start() + 1 + len(m.group().rstrip()) - 1))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        seg = text[a:b]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        if b - trail > a + lead:
            out.append((a + lead, b - trail))
    return out


@CHUNKERS.register("sentence")
def sentence_packed(text: str, size: int, overlap: int) -> list[Span]:
    """Whole sentences packed greedily up to ``size`` words.

    A sentence longer than ``size`` is cut into fixed windows. ``overlap`` > 0 repeats the last
    sentence(s) of a chunk, up to ``overlap`` words, at the start of the next one.
    """
    check_sizes(size, overlap)
    words = len(text.split())  # str.split and \S+ agree on what whitespace is (str.isspace)
    if words <= size:  # everything fits one passage: the span packing would give, without splitting
        return [(len(text) - len(text.lstrip()), len(text.rstrip()))] if words else []
    units: list[tuple[int, int, int]] = []  # (start, end, words)
    for a, b in sentence_spans(text):
        n = len(_WORD.findall(text[a:b]))
        if n > size:
            units.extend((a + x, a + y, size) for x, y in fixed_windows(text[a:b], size, overlap))
        elif n:
            units.append((a, b, n))
    return pack_units(units, size, overlap)


def pack_units(units: list[tuple[int, int, int]], size: int, overlap: int) -> list[Span]:
    """Greedy packing of (start, end, words) units, each <= size, into passages of <= size words.

    With ``overlap`` > 0 the last unit(s) of a passage, up to ``overlap`` words, start the next one.
    """
    spans: list[Span] = []
    i = 0
    while i < len(units):
        j, words = i, 0
        while j < len(units) and (j == i or words + units[j][2] <= size):
            words += units[j][2]
            j += 1
        spans.append((units[i][0], units[j - 1][1]))
        if j == len(units):
            break
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][2] <= overlap:
            back -= 1
            carried += units[back][2]
        i = back
    return spans


def chunk_text(text: str, method: str = "sentence", size: int = 256, overlap: int = 32) -> list[Span]:
    """Split ``text`` with the named chunker (see :data:`CHUNKERS`)."""
    return CHUNKERS.get(method)(text, size, overlap)
