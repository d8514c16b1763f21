"""The extractive reader: an answer made of the passages' own best sentences, each cited exactly.

No language model: every sentence is quoted verbatim from a context passage, so each citation is
the exact character span of that sentence in its document and support is complete by construction.
Sentences are scored against the question as

    score(s) = 0.5 * cos(e(s), e(q)) + 0.5 * |terms(q) ∩ terms(s)| / |terms(q)|

(dense similarity with the collection's encoder, when it has one, plus lexical coverage of the
question), and the best ones within ``keep`` of the top score are returned, best first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sleuth.chunking.splitters import sentence_spans
from sleuth.index.vectors import Encoder
from sleuth.rag.context import Passage, cite
from sleuth.text import Analyzer
from sleuth.types import Answer, AnswerSentence


@dataclass
class ExtractiveReader:
    analyzer: Analyzer
    encoder: Encoder | None = None
    max_sentences: int = 3
    keep: float = 0.75
    """A sentence is kept only if it scores at least ``keep`` x the best sentence's score."""
    name: str = "extractive"

    def candidates(self, passages: list[Passage]) -> list[tuple[Passage, int, int, str]]:
        out = []
        for p in passages:
            base = p.chunk.start
            for a, b in sentence_spans(p.chunk.text):
                text = p.chunk.text[a:b]
                if len(self.analyzer.terms(text)) >= 3:  # skip headings, fragments, "Methods."
                    out.append((p, base + a, base + b, text))
        return out

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        q_terms = set(self.analyzer.terms(question))
        lexical = np.array([len(q_terms & set(self.analyzer.terms(s))) / max(len(q_terms), 1) for s in sentences])
        if self.encoder is None:
            return lexical
        vecs = self.encoder.encode_passages(sentences)
        q = self.encoder.encode_queries([question])[0]
        return 0.5 * (vecs @ q) + 0.5 * lexical

    def read(self, question: str, passages: list[Passage]) -> Answer:
        cands = self.candidates(passages)
        if not cands:
            return abstain(question, self.name)
        scores = self.score(question, [c[3] for c in cands])
        order = np.argsort(-scores, kind="stable")
        best = scores[order[0]]
        chosen, seen = [], set()
        for i in order:
            if len(chosen) == self.max_sentences or scores[i] < self.keep * best:
                break
            key = " ".join(self.analyzer.terms(cands[i][3]))
            if key in seen:  # the same sentence from two copies of a document
                continue
            seen.add(key)
            chosen.append(i)
        citations, sentences, parts = [], [], []
        for i in chosen:
            p, a, b, text = cands[i]
            c = cite(p, a, b)
            citations.append(c)
            sentences.append(AnswerSentence(text, (p.n,), True, 1.0))
            parts.append(f"{text} [{p.n}]")
        return Answer(question, " ".join(parts), tuple(citations), tuple(sentences), reader=self.name)


NOT_IN_COLLECTION = "The collection does not say."


def abstain(question: str, reader: str) -> Answer:
    return Answer(question, NOT_IN_COLLECTION, abstained=True, reader=reader)
