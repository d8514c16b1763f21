"""Where, inside a sentence, is the thing a question asks for? Numbers, names and reasons, by rule.

:func:`answer_span` gives a sentence's *type match* for a question (0..1) and the span to mark:

- ``number``: a number the question does not already contain (citation years, ``[12]`` markers and
  "Table 3" / "Figure 2" / "§4" labels excluded), with the word after it when that is a unit
  (%, x, M, "passages"). 1.0 when a focus word of the question ("how many *papers*") follows it (the
  unit asked for), 0.9 when one is within four words, 0.8 when another word of the question is,
  else 0.6.
- ``name``: a name the question does not contain: a run of words with capitals beyond the first
  letter (FAISS, GShard, RDS+, ZeRO-Infinity), mixing letters and digits, or capitalised inside
  the sentence (Science Parse); authors of a citation ("Johnson et al.") are not names of things.
  1.0 when the focus's head noun ("which similarity-search *library*") is within six words, 0.8
  when another focus word is, else 0.7 for an acronym-like name and 0.5 for a capitalised word.
- ``reason`` / ``means``: a causal connective (because, due to, as a result, which gives, leads to,
  ...) or a means (by + -ing, through, via, using, "is an algorithm that"); the kind asked for
  scores 1.0, the other 0.6; for "how", "we propose / introduce", "allows" score 0.7. The span runs from the connective to the end of its
  clause. A question asking how to do something *without* X is answered by a sentence saying X is
  not needed ("eliminates the need for X", "X-free"): 1.0 (:func:`absence`). For "how", a sentence
  naming no method (no acronym-like name the question lacks) keeps 0.8 of its strength.

Offsets are into the sentence. Everything here is a pure function of the text.
"""

from __future__ import annotations

import re

from sleuth.rag.question import Question, compact
from sleuth.text import Analyzer

_VALUE = (r"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
          r"(?:\s?(?:%|percent\b|×|x\b|times\b|[KMBkmb]\b|million\b|billion\b|thousand\b|[KMGT]B\b|ms\b|s\b|h\b|pp\b|"
          r"px\b|dpi\b|[kMG]?Hz\b|°C|K\b|[nμµm]?m\b|cm\b|[mμµn]?[VAW]\b|dB\b))?")
_NUMBER = re.compile(rf"(?<![\w.]){_VALUE}(?:\s?(?:-|–|to)\s?{_VALUE})?")
"""A value with its unit symbol, or a range of two ("2-4", "9%-19%", "1.6x to 5.3x")."""
_LABEL = re.compile(r"(?:table|tab\.|figure|fig\.|section|sec\.|§|eq\.|equation|appendix|chapter|step|line|page|p\.)\s*$",
                    re.IGNORECASE)
_CITATION = re.compile(r"\([^()]*\bet al\.?[^()]*\)|\[[\d,\s–-]+\]|\([A-Z][\w-]+(?: and [A-Z][\w-]+)?,? \d{4}[a-z]?\)"
                       r"|\((?:19|20)\d\d[a-z]?(?:[;,] ?(?:19|20)?\d\d[a-z]?)*\)")
_NAME_WORD = re.compile(r"[A-Za-z0-9][\w+\-./]*[\w+]|[A-Za-z0-9]")
_GENERIC = frozenset(
    "the a an in on of we our this these that it its to for with by as at from and or but table figure fig "
    "section appendix eq equation however moreover furthermore finally first second third then thus also "
    "such each all both while when where which what who how here there they their note must should shall "
    "may not required recommended optional".split()
)
"""Capitalised words that are not names: sentence glue, and RFC 2119's upper-case keywords (MUST, SHOULD)."""
_CODE = re.compile(r"^(?=.*[a-z])[A-Za-z_][\w]*(?:[._][\w]+)+$|^[a-z]+\d+[a-z\d]*$"
                   r"|^[a-z][a-z\d]*(?:-[a-z\d]+)*-(?=[a-z\d]*[a-z]\d|[a-z\d]*\d[a-z])[a-z\d]+(?:-[a-z\d]+)*$")
"""Lower-case identifiers of code, files and model checkpoints: libtasn1.h, asn1_create_element,
__NOGLOBS__, libtasn1, paraphrase-mpnet-base-v2, gpt-4o-mini (a hyphenated part mixing letters and
digits; "state-of-the-art" and "top-10" are not names)."""
_CAUSE = re.compile(
    r"\b(because|since|due to|owing to|as a result|so that|in order to|"
    r"this is why|the reason|thanks to|caused by|given that|which (?:gives|makes|means|leads|results|explains)|"
    r"which (?:\w+ly )?(?:reduc|improv|increas|lower|eliminat|avoid|prevent|simplif|speed)\w*|"
    r"leads? to|led to|results? in|resulting in|gives? \w+ an? (?:clear )?(?:advantage|edge))\b",
    re.IGNORECASE,
)
_MEANS = re.compile(r"\b(by \w+ing|through|via|using|uses (?:an? |the )?\w+ to|relies on|consists? of|based on|"
                    r"instead of|with the help of|"
                    r"is an? (?:[\w-]+ ){0,6}(?:method|algorithm|approach|technique|framework|model|procedure)|"
                    r"(?:method|algorithm|approach|technique|strategy|procedure) that \w+)\b",
                    re.IGNORECASE)
_INTRODUCES = re.compile(r"\b((?:we )?(?:propose|introduce|present)s?|allows?|enables?)\b", re.IGNORECASE)


def without_citations(sentence: str) -> str:
    """The sentence with citations blanked (same length), so their years and authors are not answers."""
    return _CITATION.sub(lambda m: " " * len(m.group()), sentence)


def _near(analyzer: Analyzer, text: str, a: int, b: int, focus: set[str], before: int, after: int) -> bool:
    if not focus:
        return False
    left = analyzer.terms(" ".join(text[:a].split()[-before:])) if before else []
    right = analyzer.terms(" ".join(text[b:].split()[:after]))
    return bool(focus & (set(left) | set(right)))


_HEADING_NUMBER = re.compile(r"\d+(?:\.\d+)*\.?\s+[A-Z]")


def _enumerator(text: str, a: int, b: int) -> bool:
    """List markers ("(1)", "2)"), section numbers opening a line or sentence ("3.1 Overview",
    "5 Experiments"), and footnote marks glued to the next word ("6We use")."""
    before, after = text[max(0, a - 1) : a], text[b : b + 1]
    if after == ")" and before in ("(", " ", "", "\n") and b - a <= 2:
        return True
    line_start = a == 0 or text[a - 1] == "\n"
    return line_start and (bool(_HEADING_NUMBER.match(text, a)) or after.isalpha())


def number_spans(sentence: str, question: str = "") -> list[tuple[int, int]]:
    """Numbers in ``sentence`` (with a unit symbol) that are not labels, list markers, citations, in
    ``question``, or part of a name the question mentions ("LLaVA 7B" when it asks about LLaVA)."""
    text = without_citations(sentence)
    asked = {compact(m.group()) for m in _NUMBER.finditer(question)}
    names = {compact(w) for w in _NAME_WORD.findall(question) if w[0].isupper()}
    out = []
    for m in _NUMBER.finditer(text):
        a, b = m.span()
        before = text[:a].split()[-1:] if text[a - 1 : a] == " " else []
        if (_LABEL.search(text[max(0, a - 12) : a]) or compact(m.group()) in asked or _enumerator(text, a, b)
                or (before and before[0][:1].isupper() and compact(before[0]) in names)):
            continue
        out.append((a, b))
    return out


_TOOL = re.compile(r"\((?:using|via) ([a-z][a-z\d_-]{2,})\)")
"""A lower-case tool named in a parenthesis: "(using pdfplumber)", "(via scikit-learn)" (not "(in press)",
"(from scratch)", "(with replacement)")."""


def name_spans(sentence: str, question: str = "") -> list[tuple[int, int]]:
    """Runs of name-like words in ``sentence`` that the question does not mention, and lower-case tools
    named in a parenthesis (:data:`_TOOL`)."""
    text = without_citations(sentence)
    asked = compact(question)
    tools = [m.span(1) for m in _TOOL.finditer(text) if compact(m.group(1)) not in asked]
    words = [(m.group(), m.start(), m.end()) for m in _NAME_WORD.finditer(text)]
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []

    def close() -> None:
        if run:
            a, b = run[0][0], run[-1][1]
            key = compact(text[a:b])
            if len(key) >= 2 and key not in asked:
                out.append((a, b))
            run.clear()

    for i, (w, a, b) in enumerate(words):
        caps = sum(c.isupper() for c in w)
        mixed = caps >= 2 or (caps >= 1 and not w[0].isupper()) or (caps >= 1 and any(c.isdigit() for c in w))
        mixed = (mixed and w.lower() not in _GENERIC) or bool(_CODE.match(w))
        initial = i == 0 or text[max(0, a - 2) : a].strip() in (".", ":", ";")
        capitalised = w[0].isupper() and not initial and w.lower() not in _GENERIC
        if text[b : b + 7].startswith(" et al"):
            close()
            continue
        if mixed or capitalised:
            run.append((a, b))
        else:
            close()
    close()
    return sorted({*out, *tools})


_METHODS = re.compile(r"\b(?:[\w*-]+ ){1,3}(?:methods?|algorithms?|approach(?:es)?|techniques?) \([^()]{1,20}\)")


def reason_span(sentence: str, means: bool = False) -> tuple[float, tuple[int, int] | None]:
    """(strength, span) of the sentence's causal connective or means, if any: the one asked for
    (a cause for "why", a means for "how") scores 1.0, the other 0.6. For "how", a sentence that
    names a kind of method with its short name ("preference optimization methods (*PO)") scores 0.8
    without a cue."""
    order = ((_MEANS, 1.0), (_INTRODUCES, 0.7), (_CAUSE, 0.6)) if means else ((_CAUSE, 1.0), (_MEANS, 0.6))
    for pattern, strength in order:
        m = pattern.search(sentence)
        if m:
            end = len(sentence.rstrip(" .;"))
            stop = re.search(r"[;]|, (?:and|but|while|whereas) ", sentence[m.end() :])
            return strength, (m.start(), m.end() + stop.start() if stop else end)
    m = _METHODS.search(sentence) if means else None
    return (0.8, m.span()) if m else (0.0, None)


_WITHOUT = re.compile(r"\b(?:without|with no|no need for|not requiring|free of)\s+(?:an?\s+|the\s+|any\s+)?((?:[\w-]+\s*){1,3})",
                      re.IGNORECASE)
_PRIVATIVE = (r"\b{w}[\w]*-free\b", r"\bfree of (?:[\w-]+ ){{0,3}}{w}", r"\bwithout (?:[\w-]+ ){{0,3}}{w}",
              r"\bno (?:[\w-]+ ){{0,2}}{w}", r"\beliminat\w* (?:[\w-]+ ){{0,5}}{w}",
              r"\b(?:does|do|did) not (?:require|need|use|rely on) (?:[\w-]+ ){{0,3}}{w}", r"\bremov\w* (?:[\w-]+ ){{0,3}}{w}")


def absence(question: str, sentence: str) -> bool:
    """Whether ``sentence`` says that what the question wants done *without* is absent: "without a
    reward model" is met by "eliminates the need for a reference model", "reward-free", "no reward"."""
    m = _WITHOUT.search(question)
    if not m:
        return False
    words = [w.lower() for w in re.findall(r"[a-zA-Z]{3,}", m.group(1))][:2]
    return any(re.search(p.format(w=re.escape(w[:5])), sentence, re.IGNORECASE) for w in words for p in _PRIVATIVE)


def _unit_end(sentence: str, b: int, focus: set[str], analyzer: Analyzer) -> int:
    """Extend a number span over the focus words among the next three ("37 papers", "380.5M citation links")."""
    pos, end = b, b
    for _ in range(3):
        m = re.match(r"\s+([\w\-]+)", sentence[pos:])
        if not m:
            break
        pos += m.end()
        if set(analyzer.terms(m.group(1))) & focus:
            end = pos
    return end


def answer_span(q: Question, sentence: str, analyzer: Analyzer) -> tuple[float, tuple[int, int] | None]:
    """How well ``sentence`` holds the kind of thing ``q`` asks for (0..1), and where (sentence offsets)."""
    head = set(analyzer.terms(q.focus[-1])) if q.focus else set()
    focus = set(analyzer.terms(" ".join(q.focus)))
    asked = set(analyzer.terms(q.text))
    best: tuple[float, tuple[int, int] | None] = (0.0, None)
    if q.asks == "number":
        for a, b in number_spans(sentence, q.text):
            if _near(analyzer, sentence, a, b, focus, 0, 1):
                strength, b = 1.0, _unit_end(sentence, b, focus, analyzer)
            elif _near(analyzer, sentence, a, b, focus, 3, 4):
                strength = 0.9
            else:
                strength = 0.8 if _near(analyzer, sentence, a, b, asked, 3, 4) else 0.6
            if strength > best[0]:
                best = (strength, (a, b))
        return best
    if q.asks == "name":
        for a, b in name_spans(sentence, q.text):
            if _near(analyzer, sentence, a, b, head, 6, 6):
                strength = 1.0
            elif _near(analyzer, sentence, a, b, focus, 6, 6):
                strength = 0.8
            else:
                strength = 0.7 if _is_acronym(sentence[a:b]) else 0.5
            if strength > best[0]:
                best = (strength, (a, b))
        return best
    if q.asks in ("reason", "means"):
        strength, span = reason_span(sentence, means=q.asks == "means")
        if absence(q.text, sentence):
            strength, span = 1.0, span or (0, len(sentence.rstrip(" .")))
        if q.asks == "means" and not any(_is_acronym(sentence[a:b]) for a, b in name_spans(sentence, q.text)):
            strength *= 0.8  # a way of doing something is best told by naming it (DPO, FAISS, tiling's paper)
        return strength, span
    return best


def _is_acronym(name: str) -> bool:
    """FAISS, GShard, BM25, RDS+, bioRxiv, libtasn1.h: several capitals, capitals and digits, a capital
    inside, or a code identifier."""
    if sum(c.isalpha() for c in name) < 2:
        return False  # "2.5M" is a number, not a name
    caps = sum(c.isupper() for c in name.replace(" ", ""))
    return (caps >= 2 or (caps >= 1 and (any(c.isdigit() for c in name) or not name[0].isupper()))
            or bool(_CODE.match(name)))
