"""The generative reader: a language model writes the answer; sleuth checks every citation.

The model sees numbered passages and is told to cite them as [n]. Afterwards, for each sentence:
markers that point at no context passage are rejected (removed from the text and listed in
``Answer.rejected_citations``); each valid marker becomes a citation of the passage sentence that best
matches the answer sentence (an exact span); and the sentence's support by its cited passages is
measured (:mod:`sleuth.rag.support`), so unsupported sentences are flagged, never silently trusted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sleuth.chunking.splitters import sentence_spans
from sleuth.rag.generators import Generator
from sleuth.rag.context import Passage, cite, render
from sleuth.rag.extractive import NOT_IN_COLLECTION, Evidence, abstain
from sleuth.rag.support import SUPPORTED, support
from sleuth.text import Analyzer
from sleuth.types import Answer, AnswerSentence, Citation

_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_DECLINE = "NOT IN COLLECTION"

SYSTEM = (
    "You answer questions about a collection of documents using ONLY the numbered passages given; each "
    "passage begins with where it comes from (title · §section · p. page). "
    "After every sentence, cite the passages it rests on as [n], e.g. [1] or [2][3]. "
    f"If the passages do not contain the answer, reply exactly: {_DECLINE}. Be brief: at most three sentences."
)


def prompt(question: str, passages: list[Passage]) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Passages:\n{render(passages)}\n\nQuestion: {question}"}]


def parse_markers(text: str) -> list[tuple[str, list[int]]]:
    """Split an answer into sentences, each with the passage numbers it cites (markers removed)."""
    out = []
    for a, b in sentence_spans(text):
        sentence = text[a:b]
        numbers = [int(n) for m in _MARKER.finditer(sentence) for n in re.split(r"[,;]", m.group(1))]
        clean = _MARKER.sub("", sentence).strip()
        if clean:
            out.append((clean, numbers))
        elif numbers and out:  # markers alone after the full stop belong to the previous sentence
            out[-1][1].extend(numbers)
    return out


def best_span(sentence: str, passage: Passage, analyzer: Analyzer) -> Citation:
    """Cite the passage's sentence that shares the most terms with the answer sentence."""
    terms = set(analyzer.terms(sentence))
    best, span = -1, None
    for a, b in sentence_spans(passage.chunk.text):
        overlap = len(terms & set(analyzer.terms(passage.chunk.text[a:b])))
        if overlap > best:
            best, span = overlap, (passage.chunk.start + a, passage.chunk.start + b)
    return cite(passage, *span) if span and best > 0 else cite(passage)


@dataclass
class GenerativeReader:
    generator: Generator
    analyzer: Analyzer
    max_tokens: int = 256

    @property
    def name(self) -> str:
        return f"generative ({self.generator.name})"

    def read(self, question: str, passages: list[Passage], evidence: Evidence | None = None,
             on_token: Callable[[str], None] | None = None) -> Answer:
        """The model's answer from ``passages`` (``evidence`` is the extractive reader's; unused here), streamed
        to ``on_token`` piece by piece when given."""
        if not passages:
            return abstain(question, self.name)
        messages = prompt(question, passages)
        if on_token is None:
            raw = self.generator.generate(messages, max_tokens=self.max_tokens, temperature=0.0)
        else:
            pieces = []
            for piece in self.generator.stream(messages, max_tokens=self.max_tokens, temperature=0.0):
                pieces.append(piece)
                on_token(piece)
            raw = "".join(pieces)
        return self.check(question, raw, passages)

    def check(self, question: str, raw: str, passages: list[Passage]) -> Answer:
        """Turn the model's raw text into a checked Answer (citations validated, support measured)."""
        if _DECLINE.lower() in raw.lower() or not raw.strip():
            return abstain(question, self.name)
        by_n = {p.n: p for p in passages}
        sentences, citations, rejected, parts = [], {}, [], []
        for text, numbers in parse_markers(raw):
            valid = []
            for n in dict.fromkeys(numbers):
                if n in by_n:
                    valid.append(n)
                else:
                    rejected.append(n)
            score = support(text, [by_n[n].chunk.text for n in valid], self.analyzer) if valid else 0.0
            for n in valid:
                citations.setdefault((n, text), best_span(text, by_n[n], self.analyzer))
            sentences.append(AnswerSentence(text, tuple(valid), bool(valid) and score >= SUPPORTED, score))
            parts.append(text + "".join(f" [{n}]" for n in valid))
        if not any(s.supported for s in sentences):
            return Answer(question, NOT_IN_COLLECTION, sentences=tuple(sentences), abstained=True,
                          reader=self.name, rejected_citations=tuple(rejected))
        unique: dict[tuple[int, int, int], Citation] = {}
        for c in citations.values():
            unique.setdefault((c.n, c.start, c.end), c)
        return Answer(question, " ".join(parts), tuple(unique.values()), tuple(sentences),
                      reader=self.name, rejected_citations=tuple(rejected))
