"""What a question asks for: its kind, the words naming the thing asked about, and the names it mentions.

A question is read with a few rules over its words (no model), in the spirit of the answer-type
taxonomies of factoid QA (Li & Roth, "Learning Question Classifiers", COLING 2002; the NUMERIC /
ENTITY / DESCRIPTION coarse classes), reduced to what an extractive reader can check in a sentence:

- ``number``: "how many / how much / how large ...", "by what factor", or "what/which" + a measure
  noun ("what batch size", "what F1", "which year") -> the answer holds a number (with its unit);
- ``name``: "which / what" + any other noun, "who", "where", "name the ..." -> a method, dataset,
  system, tool or person name the question does not already contain;
- ``reason``: "why", "what causes", "what is the reason" -> a cause;
- ``means``: "how" (not of quantity: "how does X work", "how can X be done"), "in what way", "by
  what means" -> a method or mechanism;
- ``compare``: "compare ...", "which papers/studies ...", "across the papers" -> one row per paper;
- ``other``: anything else (claims, yes/no questions, "what is X").

``focus``: the words of the first wh-phrase after the wh-word ("how many *passages*", "which
*similarity-search library*"), i.e. the unit or category of the answer. ``entities``: the names the
question mentions (acronyms, mixed-case and capitalised words, years); an answer about them must come
from a document that mentions them (:func:`mentions`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

KINDS = ("number", "name", "reason", "means", "compare", "other")

MEASURE_NOUNS = frozenset(
    "number count amount percentage percent proportion fraction share ratio rate size value score scores "
    "accuracy f1 f-score f1-score precision recall bleu rouge rouge-1 rouge-2 rouge-l auc map mrr ndcg "
    "error loss perplexity speedup speed-up factor margin length duration time year years cost price "
    "dimension dimensions dimensionality batch epochs steps parameters threshold temperature weight "
    "frequency latency throughput budget capacity depth width height distance age total sum average "
    "mean median maximum minimum max min limit range level degree people participants users "
    # scientific measures and statistics: a "what resolution" or "what kappa" asks for a value too (not
    # "current", an adjective as often, nor plural things counted: "which layers" asks which, not how many)
    "resolution kappa correlation agreement coverage gain improvement reduction increase decrease "
    "difference variance deviation std volume area mass energy voltage resistance "
    "memory storage bandwidth sensitivity specificity exact-match hits@1 hits@10 p@1 p@10".split()
)
"""Nouns whose value is a number: "what <noun>" and "which <noun>" ask for a quantity."""

QUANTITY_ADJECTIVES = frozenset(
    "many much large big long short fast slow often old high low small far wide deep heavy tall "
    "frequently quickly accurate expensive".split()
)
"""``how`` + one of these asks for a quantity ("how long", "how accurate")."""

_WH = re.compile(r"\b(how|what|which|who|whom|whose|where|when|why)\b", re.IGNORECASE)
_COMPARE = re.compile(
    r"^\s*(compare|contrast)\b|\b(which|what|list|name)\s+(of\s+the\s+)?(papers|studies|articles|works|"
    r"publications|documents)\b|\bacross\s+(the\s+)?(papers|studies|articles)\b|\bin\s+each\s+(paper|study)\b",
    re.IGNORECASE)
_REASON_START = re.compile(r"^\s*(why|what\s+(causes|caused|makes|made|explains)|what\s+is\s+the\s+reason|explain)\b",
                           re.IGNORECASE)
_MEANS_START = re.compile(r"^\s*(in\s+what\s+way|by\s+what\s+(means|method)|through\s+what)\b", re.IGNORECASE)
_STOP_FOCUS = frozenset(
    "do does did is are was were be been being has have had can could will would should shall may might must "
    "of in on for to by with from at as that than the a an and or but when after before while during per "
    "this these those it its their they we you i there here used using".split()
)
"""Words that end a wh-phrase ("how many passages *does* ...")."""
QUESTION_WORDS = frozenset(
    "how what which who whom whose where when why do does did is are was were be has have had can could "
    "will would should many much".split()
)
"""Words of the question form, not of its content (left out of lexical coverage)."""
_WORD = re.compile(r"[\w][\w+\-./]*[\w+]|[\w]")
_YEAR = re.compile(r"^(19|20)\d\d$")


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    focus: tuple[str, ...] = ()
    """Lower-cased words naming the unit or category of the answer (may be empty)."""
    entities: tuple[str, ...] = ()
    """Names the question mentions, as written."""
    asks: str = ""
    """What each answer sentence must hold: the kind itself, or for ``compare`` the kind of thing
    compared ("compare the *datasets*" asks each paper for a name, "which papers report *speedups*"
    for a number)."""


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _phrase_after(words: list[tuple[str, int, int]], i: int) -> list[str]:
    """The words after position ``i`` up to the first function word (at most 3), leading articles skipped."""
    out: list[str] = []
    for w, _, _ in words[i + 1 : i + 6]:
        lw = w.lower()
        if not out and lw in ("a", "an", "the"):
            continue
        if lw in _STOP_FOCUS or lw in QUESTION_WORDS or len(out) == 3:
            break
        if len(lw) > 1:
            out.append(lw)
    return out


def _kind_and_focus(text: str) -> tuple[str, tuple[str, ...]]:
    if _COMPARE.search(text):
        return "compare", ()
    words = _words(text)
    lower = [w.lower() for w, _, _ in words]
    if _REASON_START.match(text):
        return "reason", ()
    if _MEANS_START.match(text):
        return "means", ()
    for i, w in enumerate(lower):
        nxt = lower[i + 1] if i + 1 < len(lower) else ""
        if w == "how":
            if nxt in QUANTITY_ADJECTIVES:
                return "number", tuple(_phrase_after(words, i + 1))
            if nxt in ("does", "do", "did", "is", "are", "was", "were", "can", "could", "would", "should", "has",
                       "have", "will", "to", "might", "may") or not nxt:
                return "means", ()
        if w in ("what", "which") and nxt == "factor" or (w == "what" and nxt in ("extent", "degree")):
            return "number", ("factor",) if nxt == "factor" else ()
        if w in ("what", "which"):
            definition = nxt in ("is", "are", "was", "were")
            phrase = _phrase_after(words, i + 1 if definition else i)
            if phrase[:1] in (["kind"], ["type"], ["sort"]):
                phrase = _phrase_after(words, i + 2) or phrase
            if any(p in MEASURE_NOUNS for p in phrase):
                return "number", tuple(phrase)
            if phrase and not definition:
                return "name", tuple(phrase)
            return "other", ()
        # "when" and "where" ask only when they open the question: "When X is done, what ..." does not.
        if i == 0 and w == "when" and nxt in QUESTION_WORDS:
            return "number", ("year",)
        if w in ("who", "whom", "whose") or (i == 0 and w == "where" and nxt in QUESTION_WORDS):
            return "name", ()
    return "other", ()


def _sentence_start(text: str, a: int) -> bool:
    """Whether position ``a`` opens a sentence: after "?", ":" or a full stop ending a lower-case word
    (not the stop of an abbreviation such as "U.S.")."""
    before = text[:a].rstrip()
    if before.endswith(("?", ":", "!")):
        return True
    return before.endswith(".") and bool(re.search(r"[a-z]{3,}\.$", before))


def entities(text: str) -> tuple[str, ...]:
    """Names in ``text``: runs of words with an upper-case letter (not the question's first word unless
    it is an acronym or mixed case), words mixing letters and digits with a capital, and years."""
    words = _words(text)
    out: list[str] = []
    run: list[tuple[str, int, int]] = []

    def close() -> None:
        if run:
            out.append(text[run[0][1] : run[-1][2]])
            run.clear()

    for i, (w, a, b) in enumerate(words):
        if "-" in w and any(c.isupper() for c in w):  # "LLM-written" names LLM; "GPT-3", "Multi-LexSum" stay whole
            parts = w.split("-")
            kept = [p for p in parts if not (p.isalpha() and p.islower())]
            if len(kept) < len(parts) and kept:
                w = kept[0]
                b = a + len(w) if parts[0] == w else b
        caps = sum(c.isupper() for c in w)
        mixed = caps >= 2 or (caps == 1 and not w[0].isupper())
        first = i == 0 or _sentence_start(text, a)
        capitalised = w[0].isupper() and w.lower() not in QUESTION_WORDS
        if _YEAR.match(w):
            close()
            out.append(w)
        elif mixed or (capitalised and not first):
            run.append((w, a, b))
        else:
            close()
    close()
    return tuple(dict.fromkeys(e for e in out if len(compact(e)) >= 3))


_OPENERS = frozenset("how what which who whom whose where when why do does did is are was were can could will "
                     "would should has have had name list compare".split())


def is_question(text: str) -> bool:
    """Interrogative (or a request): ends with "?" or opens with a question word, not a statement."""
    words = text.strip().split()
    return text.rstrip().endswith("?") or bool(words) and words[0].lower().strip(",") in _OPENERS


def _compared(text: str) -> tuple[str, tuple[str, ...]]:
    """The kind and focus of what a comparing question compares: the first content words after its frame."""
    m = _COMPARE.search(text)
    words = _words(text[m.end() :] if m else text)
    phrase = [w.lower() for w, _, _ in words[:6] if w.lower() not in _STOP_FOCUS and w.lower() not in QUESTION_WORDS]
    for i, w in enumerate(phrase[:4]):
        if w.rstrip("s") in MEASURE_NOUNS or w in MEASURE_NOUNS:
            return "number", tuple(phrase[i : i + 1])
    return ("name", tuple(phrase[:2])) if phrase else ("other", ())


def analyze(text: str) -> Question:
    kind, focus = _kind_and_focus(text)
    if kind == "compare":
        asks, focus = _compared(text)
        return Question(text, kind, focus, entities(text), asks)
    return Question(text, kind, focus, entities(text), kind)


def compact(text: str) -> str:
    """Letters and digits only, lower-cased, after NFKC: "S CIENCE P ARSE" and "Science-Parse" agree."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum())


def mentions(document: str, entity: str, compacted: str | None = None) -> bool:
    """Whether ``document`` mentions every word of ``entity`` ("DeepSeekMoE 16B": both words, anywhere).

    A word is looked for in the :func:`compact` form of the document (``compacted``, when given, saves
    recomputing it), so that letter-split small caps and hyphenation do not hide it; words of 3
    characters must also stand alone (a plural "s" allowed), so that "DPR" is not found inside "adprox"."""
    whole = compacted if compacted is not None else compact(document)
    for word in _WORD.findall(entity):
        key = compact(word)
        if len(key) < 3:
            continue
        if len(key) > 3:
            if key not in whole:
                return False
        elif re.search(rf"(?<![^\W_]){re.escape(word)}s?(?![^\W_])", document, re.IGNORECASE) is None:
            return False
    return True
