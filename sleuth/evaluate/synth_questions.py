"""Questions from one passage, with their reference excerpts: the heuristic keyword question, and a
question asked of a generator, parsed and checked. :mod:`sleuth.evaluate.synth` runs these over a corpus
and writes the evaluation set.

Two methods, both reproducible with a seed (the seed fixes which documents and sentences are used):

**Heuristic** (no generator; :func:`heuristic_question`). For a document:

1. Candidate sentences (:func:`text_sentences`: never across a line break) of 8 to 60 words with at
   least 4 distinct content terms (sleuth's analyzer: lower-cased, English stop words removed,
   Snowball-stemmed) that read as body text (:func:`sleuth.evaluate.quality.body_sentence`: mostly
   dictionary-like words, not a reference entry) and come before a "References" heading.
2. Each term of the document gets a topicality weight ``w = idf x (1 + ln tf) x (1.5 if in the title)``,
   with ``tf`` its count in the document and Lucene's ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` over
   the corpus. Salience of a sentence = mean ``w`` of its distinct terms x min(1, terms / 8): sentences
   about what is specific to this document, and not too short.
3. One of the 3 most salient sentences is drawn (seeded). Its query: its 6 highest-weight words (whole
   words with inner hyphens, outer punctuation stripped, URLs skipped; dictionary-like words first, so
   a stray symbol or acronym is picked only when too few words are left), in sentence order: a keyword
   query, the way people search.
4. With probability ``multi_ratio`` (0.25), a second salient sentence of the same document that is not
   adjacent to the first is drawn too, and the query joins 4 terms of the first and 3 of the second:
   the question then needs two discontinuous excerpts.

The excerpt is the sentence (or the two sentences); the "answer" is the excerpt itself.

**Generator** (a GGUF model or an endpoint, through ``sleuth.rag.generators.get_generator``;
:func:`generated_question`). A salient sentence is drawn as above and shown with its neighbours;
the model is asked for one question and a short answer copied from the passage. The excerpt is the
sentence(s) of the passage holding the answer, so it is as tight as the answer allows.

**Filters** (:func:`check_generated`; reasons counted in the manifest). Small models write junk, so a
generated question is kept only if it parses (``unparsable``), is 4 to 40 words long with at least
two alphabetic words, an answer of at most 40 words, and no word trigram repeated in either (the
loops small models fall into) (``malformed``), is not a verbatim copy of the passage (``copied``), has
an answer found in the passage, verbatim up to case and spacing or with at least 80% of its (at least
3) distinct terms in one sentence (``unsupported``), does not contain its own answer (``leaked``), shares a term with the
excerpt (``off-topic``), and is not a near-duplicate of a question already kept: Jaccard similarity
of the term sets >= 0.7 or the same excerpts (``duplicate``). Heuristic questions pass the same
support and duplicate checks (their terms must lie in the excerpt). Every question, however made,
must be mostly dictionary-like words (:func:`sleuth.evaluate.quality.query_problem`, ``junk``): PDF
extraction junk and reference lists never become questions, whatever the extractor lets through.

Every kept excerpt is verified to be the document's text at its offsets before anything is written.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sleuth.chunking.splitters import sentence_spans
from sleuth.evaluate.quality import body_sentence, dictionary_like, reference_start
from sleuth.text import Analyzer
from sleuth.types import Document

MIN_WORDS, MAX_WORDS, MIN_TERMS = 8, 60, 4
TOP_SENTENCES = 3
QUERY_TERMS = 6
MULTI_TERMS = (4, 3)
SUPPORT_FRACTION = 0.8
QUESTION_WORDS = (4, 40)
MAX_ANSWER_WORDS = 40
MIN_FUZZY_TERMS = 3
REASONS = ("unparsable", "malformed", "copied", "unsupported", "leaked", "off-topic", "junk", "duplicate")

_WORD = re.compile(r"\S+")
_ALPHA = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Reference:
    doc_id: str
    start: int
    end: int
    content: str

    def to_dict(self) -> dict[str, Any]:
        # Chroma's chunking evaluation names the offsets start_index / end_index.
        return {"doc_id": self.doc_id, "start_index": self.start, "end_index": self.end, "content": self.content}


@dataclass(frozen=True)
class SynthQuestion:
    question: str
    references: tuple[Reference, ...]
    method: str
    answer: str | None = None
    query_id: str = ""

    @property
    def doc_ids(self) -> list[str]:
        return sorted({r.doc_id for r in self.references})


# -- sentences and terms --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sentence:
    index: int
    start: int
    end: int
    terms: tuple[tuple[str, int, int], ...]  # distinct (stem, start, end), first occurrence, in order
    salience: float


def text_sentences(text: str) -> list[tuple[int, int]]:
    """Sentences of ``text`` that never cross a line break (so headings and list items stand alone)."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        out.extend((m.start() + a, m.start() + b) for a, b in sentence_spans(m.group()))
    return out


class Corpus:
    """Document frequencies of analyzer terms, and sentence candidates per document."""

    def __init__(self, docs: Sequence[Document], analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(analyzer.terms(d.text)))
        n = max(1, len(docs))
        self.idf = {t: float(np.log1p((n - c + 0.5) / (c + 0.5))) for t, c in df.items()}

    def weights(self, doc: Document) -> dict[str, float]:
        """Topicality of each term in ``doc``: idf x (1 + ln tf in the document), x 1.5 if in the title."""
        tf = Counter(self.analyzer.terms(doc.text))
        title = set(self.analyzer.terms(doc.title))
        return {t: self.idf.get(t, 0.0) * (1.0 + float(np.log(c))) * (1.5 if t in title else 1.0)
                for t, c in tf.items()}

    def sentences(self, doc: Document) -> list[_Sentence]:
        text = doc.text
        weight = self.weights(doc)
        body_end = reference_start(text)
        out = []
        for i, (a, b) in enumerate(text_sentences(text)):
            if b > body_end or not body_sentence(text[a:b]):
                continue
            words = len(_WORD.findall(text, a, b))
            stems: set[str] = set()
            surfaces: dict[tuple[int, int], str] = {}  # word span -> its rarest stem
            for tok in self.analyzer.tokens(text[a:b]):
                stems.add(tok.term)
                span = _surface(text, a + tok.start, a + tok.end)
                if span is None:
                    continue
                if span not in surfaces or weight.get(tok.term, 0.0) > weight.get(surfaces[span], 0.0):
                    surfaces[span] = tok.term
            if not MIN_WORDS <= words <= MAX_WORDS or len(stems) < MIN_TERMS:
                continue
            terms: dict[str, tuple[str, int, int]] = {}
            for (s, e), stem in sorted(surfaces.items()):
                terms.setdefault(stem, (stem, s, e))
            w = [weight.get(t, 0.0) for t in stems]
            out.append(_Sentence(i, a, b, tuple(terms.values()), float(np.mean(w)) * min(1.0, len(stems) / 8)))
        return out

    def stems(self, text: str) -> set[str]:
        return set(self.analyzer.terms(text))


_PUNCT = "\"'()[]{}<>.,;:!?*`"


def _surface(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The whitespace-delimited word around ``text[start:end]``, without surrounding punctuation;
    None for URLs, paths and e-mail addresses, which make poor query words."""
    a = text.rfind(" ", 0, start) + 1
    a = max(a, text.rfind("\n", 0, start) + 1, text.rfind("\t", 0, start) + 1)
    m = _WORD.match(text, a)
    b = m.end() if m else end
    while a < start and text[a] in _PUNCT:
        a += 1
    while b > end and text[b - 1] in _PUNCT:
        b -= 1
    word = text[a:b]
    if "/" in word or "@" in word or "http" in word.lower() or "www." in word.lower():
        return None
    return a, b


def _keywords(text: str, s: _Sentence, n: int, weight: dict[str, float]) -> list[str]:
    best = sorted(s.terms, key=lambda t: (not dictionary_like(text[t[1]:t[2]]), -weight.get(t[0], 0.0), t[1]))[:n]
    return [text[a:b] for _, a, b in sorted(best, key=lambda t: t[1])]


def _ranked(sentences: list[_Sentence]) -> list[_Sentence]:
    return sorted(sentences, key=lambda s: (-s.salience, s.index))


# -- heuristic ------------------------------------------------------------------------------------


def heuristic_question(doc: Document, corpus: Corpus, rng: random.Random, multi_ratio: float,
                       used: set[tuple[str, int]]) -> SynthQuestion | None:
    """A keyword query from a salient sentence (or two); see the module docstring. None if none is left."""
    cands = [s for s in _ranked(corpus.sentences(doc)) if (doc.doc_id, s.index) not in used]
    if not cands:
        return None
    weight = corpus.weights(doc)
    first = rng.choice(cands[:TOP_SENTENCES])
    multi = rng.random() < multi_ratio
    second = None
    if multi:
        others = [s for s in cands if abs(s.index - first.index) >= 2]
        second = others[0] if others else None
    if second is None:
        words = _keywords(doc.text, first, QUERY_TERMS, weight)
        picked = [first]
    else:
        a, b = sorted((first, second), key=lambda s: s.index)
        wa = _keywords(doc.text, a, MULTI_TERMS[0], weight)
        wb = [w for w in _keywords(doc.text, b, MULTI_TERMS[1] + 2, weight)
              if w.lower() not in {x.lower() for x in wa}][: MULTI_TERMS[1]]
        words = wa + wb
        picked = [a, b]
    refs = tuple(Reference(doc.doc_id, s.start, s.end, doc.text[s.start : s.end]) for s in picked)
    for s in picked:
        used.add((doc.doc_id, s.index))
    return SynthQuestion(" ".join(words), refs, "heuristic", None)


# -- generator ------------------------------------------------------------------------------------

SYSTEM_PROMPT = (
    "You write one quiz question about a passage from a research paper. The question must be answerable "
    "from the passage alone. Reply with exactly two lines:\n"
    "Question: <the question>\n"
    "Answer: <a short answer copied word for word from the passage>"
)
_EXAMPLE_PASSAGE = (
    "Glaciers flow downhill under their own weight. In summer, meltwater at the base lets a glacier slide "
    "several times faster."
)
_EXAMPLE_REPLY = "Question: Why do glaciers slide faster in summer?\nAnswer: meltwater at the base"


def prompt_messages(passage: str, title: str = "") -> list[dict[str, str]]:
    """The chat messages sent to the generator: instructions, one worked example, the passage."""
    head = f"Title: {title}\n" if title else ""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Passage: {_EXAMPLE_PASSAGE}"},
        {"role": "assistant", "content": _EXAMPLE_REPLY},
        {"role": "user", "content": f"{head}Passage: {passage}"},
    ]


_Q = re.compile(r"question\s*\d*\s*[:：]\s*(.+)", re.IGNORECASE)
_A = re.compile(r"answer\s*\d*\s*[:：]\s*(.+)", re.IGNORECASE)


def _parse(reply: str) -> tuple[str | None, str | None]:
    q = a = None
    for line in reply.splitlines():
        line = line.strip().strip("*").strip()
        if q is None and (m := _Q.match(line)):
            q = m.group(1).strip()
        elif q is not None and a is None and (m := _A.match(line)):
            a = m.group(1).strip()
    if q:
        q = q.strip(' *"')
        q = q if q.endswith("?") else q.rstrip(".") + "?"
    return q or None, a


def parse_reply(reply: str) -> tuple[str, str] | None:
    """``(question, answer)`` from a ``Question: ...`` / ``Answer: ...`` reply; None when absent."""
    q, a = _parse(reply)
    if not q or not a:
        return None
    return q, a.strip(' *"').rstrip(".").strip()


def parse_question(reply: str) -> str | None:
    """The question of a ``Question: ...`` reply, answer or not (a reply stopped after its first line)."""
    return _parse(reply)[0]


def question_problem(question: str, shown: str) -> str | None:
    """Why a generated question is unusable, whatever its answer: ``"malformed"`` (too short or long,
    no words, a repetition loop) or ``"copied"`` (it is a piece of the passage shown); None if usable."""
    n = len(question.split())
    if not QUESTION_WORDS[0] <= n <= QUESTION_WORDS[1] or len(_ALPHA.findall(question)) < 2 or _repetitive(question):
        return "malformed"
    if _norm(question) in _norm(shown):
        return "copied"
    return None


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def locate_answer(answer: str, text: str, sentences: Sequence[tuple[int, int]], analyzer: Analyzer,
                  ) -> list[tuple[int, int]] | None:
    """Sentences (character spans, a subset of ``sentences``) that hold ``answer``, or None.

    First a verbatim match (case-insensitive, any whitespace between words) inside the sentences;
    the sentences it overlaps are returned. Otherwise the single sentence holding at least 80% of the
    answer's distinct terms, if the answer has at least 3.
    """
    words = [re.escape(w) for w in answer.split()]
    if not words:
        return None
    lo, hi = sentences[0][0], sentences[-1][1]
    m = re.compile(r"\s+".join(words), re.IGNORECASE).search(text, lo, hi)
    if m:
        return [s for s in sentences if s[0] < m.end() and m.start() < s[1]]
    terms = set(analyzer.terms(answer))
    if len(terms) < MIN_FUZZY_TERMS:  # too little to recognise a paraphrase by
        return None
    best = max(sentences, key=lambda s: len(terms & set(analyzer.terms(text[s[0] : s[1]]))))
    found = len(terms & set(analyzer.terms(text[best[0] : best[1]])))
    return [best] if found / len(terms) >= SUPPORT_FRACTION else None


def _repetitive(text: str) -> bool:
    """Whether a word trigram occurs twice: the loops small models fall into ("up to 2x up to 2x ...")."""
    words = _norm(text).split()
    grams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    return len(grams) != len(set(grams))


def check_generated(reply: str, doc: Document, passage: Sequence[tuple[int, int]], analyzer: Analyzer,
                    ) -> tuple[SynthQuestion | None, str | None]:
    """Parse and filter one generator reply; ``(question, None)`` or ``(None, reason)`` (module doc)."""
    parsed = parse_reply(reply)
    if parsed is None:
        return None, "unparsable"
    question, answer = parsed
    text = doc.text
    lo, hi = passage[0][0], passage[-1][1]
    if len(answer.split()) > MAX_ANSWER_WORDS or _repetitive(answer):
        return None, "malformed"
    problem = question_problem(question, text[lo:hi])
    if problem is not None:
        return None, problem
    where = locate_answer(answer, text, passage, analyzer)
    if where is None:
        return None, "unsupported"
    a_terms, q_terms = set(analyzer.terms(answer)), set(analyzer.terms(question))
    if a_terms and a_terms <= q_terms:
        return None, "leaked"
    excerpt_terms = set().union(*(analyzer.terms(text[a:b]) for a, b in where))
    if not q_terms & excerpt_terms:
        return None, "off-topic"
    refs = tuple(Reference(doc.doc_id, a, b, text[a:b]) for a, b in where)
    return SynthQuestion(question, refs, "generator", answer), None


def generated_question(doc: Document, corpus: Corpus, rng: random.Random, generator: Any,
                       used: set[tuple[str, int]], max_tokens: int = 96) -> tuple[SynthQuestion | None, str | None]:
    """Ask ``generator`` about a salient sentence of ``doc`` and its neighbours; filter the reply."""
    cands = [s for s in _ranked(corpus.sentences(doc)) if (doc.doc_id, s.index) not in used]
    if not cands:
        return None, None
    first = rng.choice(cands[:TOP_SENTENCES])
    used.add((doc.doc_id, first.index))
    spans = text_sentences(doc.text)
    lo, hi = max(0, first.index - 1), min(len(spans), first.index + 2)
    passage = spans[lo:hi]
    reply = generator.generate(prompt_messages(doc.text[passage[0][0] : passage[-1][1]], doc.title),
                               max_tokens=max_tokens, temperature=0.0, stop=["Passage:", "\n\n\n"])
    return check_generated(reply or "", doc, passage, corpus.analyzer)
