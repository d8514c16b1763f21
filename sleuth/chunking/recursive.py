"""The ``recursive`` chunker: cut at the coarsest structure that yields passages of at most ``size`` words.

This is the recursive splitting of LangChain's ``RecursiveCharacterTextSplitter`` (and of the
``RecursiveTokenChunker`` in Chroma's chunking study, Smith & Troynikov, "Evaluating Chunking Strategies
for Retrieval", 2024), with two changes: lengths are counted in whitespace-separated words, like every
sleuth chunker, and the separators are structural levels rather than literal strings::

    1. Markdown headings   a new piece starts at every line that begins with '#'
    2. paragraphs          blank lines
    3. lines               single line breaks
    4. sentences           :func:`sleuth.chunking.splitters.sentence_spans`
    5. words               fixed windows of ``size`` words (``overlap`` words shared)

At each level the text is cut into pieces. Consecutive pieces of at most ``size`` words are packed
greedily into passages of at most ``size`` words; a piece longer than ``size`` is split again at the
next level, and its passages stand alone (they are not packed with their neighbours), as in LangChain.
``overlap`` > 0 starts a passage with the last whole pieces of the previous one, up to ``overlap``
words. Offsets are never moved: a passage is always ``text[start:end]``, trimmed of whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sleuth.chunking.splitters import CHUNKERS, Span, check_sizes, fixed_windows, pack_units, sentence_spans

_WORD = re.compile(r"\S+")
_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_LINE = re.compile(r"\n")


def _trim(text: str, a: int, b: int) -> Span | None:
    seg = text[a:b]
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    if b - trail > a + lead:
        return a + lead, b - trail
    return None


def _cut_before(pattern: re.Pattern[str]) -> Callable[[str, int, int], list[Span]]:
    """Pieces that start where ``pattern`` matches (the match belongs to the next piece)."""

    def split(text: str, a: int, b: int) -> list[Span]:
        cuts = [a] + [m.start() for m in pattern.finditer(text, a, b) if m.start() > a] + [b]
        return [s for x, y in zip(cuts, cuts[1:]) if (s := _trim(text, x, y))]

    return split


def _cut_at(pattern: re.Pattern[str]) -> Callable[[str, int, int], list[Span]]:
    """Pieces separated by ``pattern`` (the separator belongs to neither piece)."""

    def split(text: str, a: int, b: int) -> list[Span]:
        out, start = [], a
        for m in pattern.finditer(text, a, b):
            if (s := _trim(text, start, m.start())):
                out.append(s)
            start = m.end()
        if (s := _trim(text, start, b)):
            out.append(s)
        return out

    return split


def _sentences(text: str, a: int, b: int) -> list[Span]:
    return [(a + x, a + y) for x, y in sentence_spans(text[a:b])]


LEVELS: list[tuple[str, Callable[[str, int, int], list[Span]]]] = [
    ("heading", _cut_before(_HEADING)),
    ("paragraph", _cut_at(_PARAGRAPH)),
    ("line", _cut_at(_LINE)),
    ("sentence", _sentences),
]
"""The structural levels, coarsest first; below the last one, fixed word windows."""


def _words(text: str, a: int, b: int) -> int:
    return len(_WORD.findall(text, a, b))


def _split(text: str, a: int, b: int, level: int, size: int, overlap: int) -> list[Span]:
    if level == len(LEVELS):
        return [(a + x, a + y) for x, y in fixed_windows(text[a:b], size, overlap)]
    out: list[Span] = []
    run: list[tuple[int, int, int]] = []
    for s, e in LEVELS[level][1](text, a, b):
        n = _words(text, s, e)
        if n <= size:
            run.append((s, e, n))
            continue
        out.extend(pack_units(run, size, overlap))
        run = []
        out.extend(_split(text, s, e, level + 1, size, overlap))
    out.extend(pack_units(run, size, overlap))
    return out


@CHUNKERS.register("recursive")
def recursive_chunks(text: str, size: int, overlap: int) -> list[Span]:
    """Passages of at most ``size`` words cut at headings, then paragraphs, lines, sentences, words.

    See the module docstring for the algorithm.
    """
    check_sizes(size, overlap)
    return _split(text, 0, len(text), 0, size, overlap)
