"""Is this text fit to make an evaluation question from? Word shape, reference lists, body passages.

Text extracted from PDFs holds pieces no person would search for: equations ("β0 g(K21 K91,σ)"),
table headers ("NQ TriviaQA WQ SQuAD"), symbol soup from figures ("REm nodeRNN RVp ΨEm"), and the
reference list. ``sleuth synth`` must not turn them into questions, whatever the extractor lets
through, so these checks look only at the shape of the text, with no word list and no language model:

**Dictionary-like word** (:func:`dictionary_like`). Outer punctuation stripped, every hyphen-joined
part is made of letters only (no digits, no symbols), at least two of them, written in lower case or
with only the first letter capitalised (acronyms and camel case such as ``LSTM``, ``SQuAD``,
``nodeRNN`` are not), in one script, and a Latin-script part has a vowel (``a e i o u y``, accents
ignored). A word cut by a line-end hyphen (``understud-``) is not. Words of other scripts than Latin
pass on the first rules alone.

**A usable query** (:func:`query_problem`): at least two words, and at least :data:`QUERY_SHARE` of
them dictionary-like.

**A body sentence** (:func:`body_sentence`): at least :data:`BODY_SHARE` of its words dictionary-like
(stop words count: they are words), and not a reference entry: a year (1900-2099) together with a
venue word (proceedings, conference, journal, arXiv, preprint, doi, pp., vol., transactions, workshop)
or with an author's initial ("J. Smith", "Smith, J."). A body sentence citing "Smith et al. (2020)"
has the year alone and stays. Text after a line that is only "References" or "Bibliography"
(:func:`reference_start`) is never body.
"""

from __future__ import annotations

import re
import unicodedata

QUERY_SHARE = 2 / 3
BODY_SHARE = 0.6
MIN_QUERY_WORDS = 2
_OUTER = "\"'“”‘’()[]{}<>.,;:!?*`"
_VOWELS = set("aeiouy")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}[a-z]?(?!\d)")
_INITIAL = re.compile(r"\b[A-Z]\.\s*(?:[A-Z]\.\s*)*[A-Z][a-z]+|\b[A-Z][a-z]+,\s+[A-Z]\.")
_VENUE = re.compile(r"\b(?:proceedings|proc\.|conference|journal|arxiv|preprint|doi|pp\.|vol\.|transactions|workshop)",
                    re.IGNORECASE)
_HEADING = re.compile(r"^[ \t]*(?:\d+\.?\s*)?(?:references|bibliography|works cited|literature cited)[ \t]*:?[ \t]*$",
                      re.IGNORECASE | re.MULTILINE)


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else ""


def _part_ok(part: str) -> bool:
    if len(part) < 2 or not all(ch.isalpha() for ch in part):
        return False
    if not (part.islower() or (part[0].isupper() and (len(part) == 1 or part[1:].islower()))):
        return False
    if len({_script(ch) for ch in part}) != 1:
        return False
    if _script(part[0]) == "LATIN":
        plain = unicodedata.normalize("NFKD", part.lower())
        return any(ch in _VOWELS for ch in plain)
    return True


def dictionary_like(word: str) -> bool:
    """Whether ``word`` is shaped like a dictionary word (module docstring)."""
    core = word.strip(_OUTER)
    if not core or core.startswith("-") or core.endswith("-"):
        return False
    return all(_part_ok(p) for p in core.split("-"))


def dictionary_share(text: str) -> float:
    """The share of the whitespace-separated words of ``text`` that are dictionary-like (0 for no words)."""
    words = text.split()
    return sum(dictionary_like(w) for w in words) / len(words) if words else 0.0


def query_problem(query: str) -> str | None:
    """``"junk"`` when ``query`` is not mostly dictionary-like words (module docstring), else None."""
    words = query.split()
    good = sum(dictionary_like(w) for w in words)
    if len(words) < MIN_QUERY_WORDS or good < MIN_QUERY_WORDS or good < QUERY_SHARE * len(words):
        return "junk"
    return None


def looks_like_reference(text: str) -> bool:
    """Whether ``text`` reads as a reference entry: a year with a venue word or an initial (module docstring)."""
    return bool(_YEAR.search(text)) and bool(_VENUE.search(text) or _INITIAL.search(text))


def body_sentence(text: str) -> bool:
    """Whether a sentence reads as body text: mostly words, and not a reference entry."""
    return dictionary_share(text) >= BODY_SHARE and not looks_like_reference(text)


def reference_start(text: str) -> int:
    """Where the reference list starts (the last "References" heading line), or ``len(text)``."""
    found = list(_HEADING.finditer(text))
    return found[-1].start() if found else len(text)
