"""The extractive reader: an answer made of the sentences that hold the answer, each cited exactly.

No language model: every sentence is quoted verbatim from a context passage, so each citation is the
exact character span of that sentence in its document and support is complete by construction.

Candidates are the sentences of the context passages and of their neighbours
(:mod:`sleuth.rag.candidates`). What the question asks for is read first (:mod:`sleuth.rag.question`):
a number, a name, a reason, or nothing in particular. Each candidate ``s`` then scores

    score(s) = w_sem * sem(s) + w_lex * coverage(q, s) + w_pass * prior(s) + w_type * type(q, s)

- ``sem``: the larger of cos(e(s), e(q)) and the cosine of ``s`` read with the sentence before it
  (:func:`in_context`: an answer sentence often leaves its subject to its predecessor);
- ``coverage``: the share of the question's content terms (question words such as "how", "does"
  left out) that occur in ``s``;
- ``prior``: the dense relevance of ``s``'s passage relative to the best passage (an answer is
  likelier in the passage that matches the question best); 0.9x for a neighbour passage;
- ``type``: how well ``s`` holds the kind of thing asked (:func:`sleuth.rag.spans.answer_span`):
  a sentence with the number, name or reason asked for beats one that only shares the question's
  words;

then is multiplied by two penalties: a sentence that only restates the question (fewer than
:data:`MIN_NEW` of its terms are new) by :data:`RESTATE`, and a caption, table row or footnote that
does not hold the asked-for thing, or any bibliography entry, by :data:`BLOCK_PENALTY`. The best
sentence leads; up to two more within ``keep`` x its score follow (distinct sentences only). A
sentence that opens by referring back ("This method ...", "It ...") is quoted with the sentence
before it, so that the answer names what it is about. The answer span (the number, the name, the reason) is marked ``**like this**`` in the answer text and
given as offsets in :attr:`sleuth.types.AnswerSentence.span`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from sleuth.index.encoders import Encoder
from sleuth.rag.candidates import Candidate, passage_candidates, sentences
from sleuth.rag.context import Passage, cite
from sleuth.rag.question import QUESTION_WORDS, Question, analyze
from sleuth.rag.spans import answer_span
from sleuth.text import Analyzer
from sleuth.types import Answer, AnswerSentence

WEIGHTS = {"sem": 0.4, "lex": 0.3, "pass": 0.15, "type": 0.25}
"""Weights of the score's parts when the question asks for a kind of thing (chosen on the dev set
benchmarks/data/papers-qa, see benchmarks/README.md)."""
REASON_TYPE = 0.15
"""The type weight for "why": a connective ("because", "since") says less than a number, a name or a means."""
UNTYPED = {"sem": 0.45, "lex": 0.4, "pass": 0.15, "type": 0.0}
"""Weights for a question that asks for nothing in particular (a claim, "what is X")."""
MIN_NEW = 0.25
RESTATE = 0.6
BLOCK_PENALTY = {"caption": 0.8, "table": 0.8, "footnote": 0.8, "heading": 0.5, "reference": 0.4}
NEIGHBOUR_PRIOR = 0.9

NOT_IN_COLLECTION = "The collection does not say."


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    span: tuple[int, int] | None


@dataclass
class Evidence:
    """The candidate sentences of a question's passages and each one's cosine to the question."""

    question: Question
    candidates: list[Candidate]
    sem: np.ndarray
    context: np.ndarray
    """Each sentence's cosine to the question read with the sentence before it (:func:`in_context`);
    ``sem`` where it has none. What the ranking uses; ``relevance`` stays the single sentence's."""

    def subset(self, keep: list[int], candidates: list[Candidate]) -> Evidence:
        """The evidence of the candidates at ``keep`` (given anew as ``candidates``)."""
        return Evidence(self.question, candidates, self.sem[keep], self.context[keep])

    @property
    def best(self) -> Candidate | None:
        return self.candidates[int(np.argmax(self.sem))] if self.candidates else None

    @property
    def relevance(self) -> float:
        """The best sentence's cosine to the question (how close the collection comes to the question)."""
        return float(self.sem.max()) if len(self.sem) else 0.0


@dataclass
class ExtractiveReader:
    analyzer: Analyzer
    encoder: Encoder | None = None
    max_sentences: int = 3
    keep: float = 0.75
    """A further sentence is kept only if it scores at least ``keep`` x the best sentence's score."""
    name: str = "extractive"
    typed: bool = True
    """Read what the question asks for (off: the question-blind scoring, for the ablation)."""
    context: bool = True
    """Score a sentence also as read with the one before it (off: alone, for the ablation)."""

    def content_terms(self, text: str) -> set[str]:
        stems = set(self.analyzer.terms(" ".join(QUESTION_WORDS)))
        return set(self.analyzer.terms(text)) - stems

    def gather(self, question: str, passages: list[Passage], qvec: np.ndarray | None = None,
               evidence: Evidence | None = None) -> Evidence:
        """Candidates of ``passages`` with their cosine to the question, added to ``evidence`` if given."""
        cands = [c for p in passages for c in passage_candidates(p, self.analyzer.terms)]
        if self.encoder is not None and cands:
            q = qvec if qvec is not None else self.encoder.encode_queries([question])[0]
            vecs = np.asarray(self.encoder.encode_passages([c.clean for c in cands]), dtype=np.float64)
            sem, context = vecs @ q, in_context(vecs, q, follows(cands))
        else:
            sem = context = np.zeros(len(cands))
        if evidence is None:
            return Evidence(analyze(question), cands, sem, context)
        return Evidence(evidence.question, evidence.candidates + cands, np.concatenate([evidence.sem, sem]),
                        np.concatenate([evidence.context, context]))

    def rank(self, ev: Evidence) -> list[Scored]:
        """Every candidate scored (module docstring), best first."""
        q = ev.question
        typed = self.typed and q.asks in ("number", "name", "reason", "means")
        w = WEIGHTS if typed else UNTYPED
        if q.asks == "reason":
            w = {**w, "type": REASON_TYPE}
        if self.encoder is None:
            w = {**w, "lex": w["lex"] + w["sem"], "sem": 0.0}
        q_terms = self.content_terms(q.text)
        best_rel = max((c.passage.relevance for c in ev.candidates), default=0.0)
        term_sets = [set(self.analyzer.terms(c.clean)) for c in ev.candidates]
        idf = local_idf(q_terms, term_sets) if IDF else dict.fromkeys(q_terms, 1.0)
        total = sum(idf.values()) or 1.0
        out = []
        sems = np.maximum(ev.sem, ev.context) if self.context else ev.sem
        for c, sem, terms in zip(ev.candidates, sems.tolist(), term_sets):
            lexical = sum(idf[t] for t in q_terms & terms) / total
            prior = c.passage.relevance / best_rel if best_rel > 0 else 1.0
            prior *= NEIGHBOUR_PRIOR if c.passage.neighbour else 1.0
            strength, span = answer_span(q, c.text, self.analyzer) if typed else (0.0, None)
            s = w["sem"] * sem + w["lex"] * lexical + w["pass"] * prior + w["type"] * strength
            if terms and len(terms - q_terms) / len(terms) < MIN_NEW:
                s *= RESTATE
            if c.block == "reference" or (c.block != "body" and strength < 1.0):
                s *= BLOCK_PENALTY.get(c.block, 1.0)
            out.append(Scored(c, float(s), span))
        return sorted(out, key=lambda x: -x.score)

    def read(self, question: str, passages: list[Passage], evidence: Evidence | None = None,
             on_token: Callable[[str], None] | None = None) -> Answer:
        """Quote the best sentences of ``passages`` (scored from ``evidence`` when given). The answer is
        exact quotes chosen at once, so ``on_token`` is not called: the caller shows the whole answer."""
        ev = evidence if evidence is not None else self.gather(question, passages)
        if not ev.candidates:
            return abstain(question, self.name)
        scored = self.rank(ev)
        best = scored[0].score
        chosen: list[Scored] = []
        seen: set[str] = set()
        for s in scored:
            if len(chosen) == self.max_sentences or s.score < self.keep * best:
                break
            key = " ".join(self.analyzer.terms(s.candidate.clean))
            if key in seen:  # the same sentence from two copies of a document
                continue
            seen.add(key)
            chosen.append(s)
        return self.assemble(question, chosen, passages)

    def assemble(self, question: str, chosen: list[Scored], passages: list[Passage]) -> Answer:
        """The answer from chosen sentences; neighbour passages that are cited are numbered on."""
        numbers = {p.row: p.n for p in passages if not p.neighbour}
        citations, sentences, parts = [], [], []
        quoted = {(s.candidate.passage.row, s.candidate.start) for s in chosen}
        for s in chosen:
            c = s.candidate
            p = c.passage
            if p.row not in numbers:
                numbers[p.row] = len(numbers) + 1
            n = numbers[p.row]
            start, span = c.start, s.span
            before = antecedent(c)
            if before is not None and (p.row, before) not in quoted:
                span = None if span is None else (span[0] + c.start - before, span[1] + c.start - before)
                start = before
            text = p.chunk.text[start - p.chunk.start : c.end - p.chunk.start]
            citations.append(cite(replace(p, n=n), start, c.end))
            sentences.append(AnswerSentence(text, (n,), True, 1.0, span))
            parts.append(f"{marked(text, span)} [{n}]")
        return Answer(question, " ".join(parts), tuple(citations), tuple(sentences), reader=self.name)


IDF = True
_ANAPHOR = re.compile(r"^\s*(?:This|These|That|Those|It|Its|They|Their|Such|Both|The latter|The former)\b")


def antecedent(c: Candidate) -> int | None:
    """Where the sentence before ``c`` starts, when ``c`` opens with a pronoun or "This ..." that
    refers back to it ("This reward formulation ..."), and both are in the same passage."""
    if not _ANAPHOR.match(c.text):
        return None
    base = c.passage.chunk.start
    before = [a for a, b in sentences(c.passage.chunk.text) if base + b <= c.start]
    return base + before[-1] if before else None


ADJACENT = 3
"""Characters of whitespace at most between a sentence and the one before it (same document)."""


def follows(cands: list[Candidate]) -> list[bool]:
    """Whether each candidate is the sentence right after the one before it in the list."""
    return [i > 0 and cands[i - 1].passage.chunk.doc_id == c.passage.chunk.doc_id
            and 0 <= c.start - cands[i - 1].end <= ADJACENT for i, c in enumerate(cands)]


def in_context(vecs: np.ndarray, q: np.ndarray, after_previous: list[bool]) -> np.ndarray:
    """cos(q, e(s_{i-1}) + e(s_i)) for a sentence that follows another, else cos(q, e(s_i)).

    A sentence that states the answer often leaves its subject to the sentence before ("Table 2
    lists the Fleiss' kappa scores ... The agreement across all action terms is 0.83."): alone it is
    far from the question, read with its predecessor it is close. The sum of the two unit vectors
    stands for the pair's embedding (no second encoder pass); it is renormalised to unit length."""
    out = vecs @ q
    at = np.flatnonzero(after_previous)
    pairs = vecs[at - 1] + vecs[at]
    norms = np.linalg.norm(pairs, axis=1)
    ok = norms > 0
    out[at[ok]] = (pairs[ok] @ q) / norms[ok]
    return out


def local_idf(terms: set[str], contexts: list[set[str]]) -> dict[str, float]:
    """idf(t) = ln((N + 1) / (n_t + 0.5)) over the N candidate sentences, n_t of which contain t: a
    question word that every sentence of the context shares ("paper", the paper's own name) says
    little about which sentence answers."""
    n = len(contexts)
    return {t: float(np.log((n + 1) / (sum(t in c for c in contexts) + 0.5))) for t in terms}


def marked(text: str, span: tuple[int, int] | None) -> str:
    """``text`` with ``span`` wrapped in ``**`` (one line: line breaks of the source become spaces)."""
    if span is not None:
        a, b = span
        text = f"{text[:a]}**{text[a:b]}**{text[b:]}"
    return " ".join(text.split())


def abstain(question: str, reader: str) -> Answer:
    return Answer(question, NOT_IN_COLLECTION, abstained=True, reader=reader)
