"""Text clean-up of extracted lines: compatibility characters, and line-end hyphenation.

- ``normalize``: NFKC on letters only — ligatures (ﬁ ﬂ ﬀ ﬃ ﬄ), full-width and other compatibility
  letters become plain letters, while mathematical symbols, Greek, super/subscript digits and other
  non-letters are left exactly as printed (NFKC would turn "x²" into "x2" and "ℝ" into "R").
- ``join_hyphenated``: a word broken at a line end ("ef-" / "ficient") is joined when the joined word is
  a real word: seen unbroken elsewhere in the document (as such or by its Snowball stem), or when the
  two halves are not both words of the document themselves. A compound ("dual-" / "encoder", both
  halves words of their own) and a hyphenated form seen elsewhere keep their hyphen. This is the
  dictionary test of classic dehyphenation (e.g. GROBID's and pdftotext's), with the document's own
  vocabulary as the dictionary, so it works for any language and any field's terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import Stemmer

from sleuth.ingest.pdf.lines import SOFT_HYPHEN

_STEM = Stemmer.Stemmer("english")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_HYPHENS = ("-", "\u2010", "\u2011", SOFT_HYPHEN, "\u00ad")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def normalize(text: str) -> str:
    """NFKC for letters (ligatures, compatibility forms); every other character as it was."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ord(ch) < 128 or not unicodedata.category(ch).startswith("L"):
            out.append(ch)
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if folded.isalpha() else ch)
    return "".join(out)


def comparable(text: str) -> str:
    """For matching text against text: NFKC, plain quotes and dashes, one space, case folded."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split()).casefold()


class Vocabulary:
    """The words of one document (lower-cased) and their stems: the dehyphenation dictionary."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.words: set[str] = set()
        self.hyphenated: set[str] = set()
        for text in texts:
            for word in _WORD.findall(text):
                w = word.lower()
                if "-" in w:
                    self.hyphenated.add(w)
                    self.words.update(w.split("-"))
                else:
                    self.words.add(w)
        self.stems = set(_STEM.stemWords(list(self.words)))

    def knows(self, word: str) -> bool:
        w = word.lower()
        return w in self.words or _STEM.stemWord(w) in self.stems


def ends_hyphenated(line: str) -> bool:
    """The line ends with a hyphen after a letter (a candidate for rejoining)."""
    return len(line) > 1 and line.endswith(_HYPHENS) and line[-2].isalpha()


def join_hyphenated(left: str, right: str, vocab: Vocabulary) -> str:
    """``left`` ends with a hyphen, ``right`` continues on the next line: the two, joined."""
    head = left.rstrip("".join(_HYPHENS))
    m_left = re.search(r"([^\W\d_]+)$", head)
    m_right = re.match(r"([^\W\d_]+)", right)
    if not m_left or not m_right or not right[:1].islower():
        return head + "-" + right
    a, b = m_left.group(1), m_right.group(1)
    joined = a + b
    if (a + "-" + b).lower() in vocab.hyphenated and joined.lower() not in vocab.words:
        return head + "-" + right
    if vocab.knows(joined):
        return head + right
    if vocab.knows(a) and vocab.knows(b) and len(a) > 2 and len(b) > 2:
        return head + "-" + right
    return head + right
