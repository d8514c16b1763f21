"""``ask``: memory -> rewrite -> retrieve -> (abstain?) -> filter -> read -> remember.

Every stage can be switched off (:class:`AskOptions`), and each one's time is recorded in
``Answer.timings_ms``. Which stages are on by default is decided by the ablation in
``benchmarks/bench_answers.py`` (see benchmarks/README.md): a stage stays on only if it helps or is free.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from sleuth.errors import InputError
from sleuth.rag.context import Passage, cite
from sleuth.rag.extractive import Evidence, ExtractiveReader, abstain
from sleuth.rag.evidence import ROWS, table
from sleuth.rag.filter import keep_relevant
from sleuth.rag.question import analyze, compact, is_question, mentions
from sleuth.rag.retrieval import retrieve_passages, with_neighbours
from sleuth.rag.rewrite import rewrites
from sleuth.store.base import check_query
from sleuth.types import Abstention, Answer

if TYPE_CHECKING:
    from sleuth.rag.generators import Generator
    from sleuth.store.embedded.collection import Collection

ABSTAIN_BELOW = 0.47
"""The abstention threshold of a collection not yet calibrated (evaluate/calibrate.py chooses one per collection).

Calibrated without test data: the threshold with the best balanced accuracy between SciFact's *train*
claims (answer) and CISI's questions asked of SciFact (decline) is 0.47 (92.7% / 96.4%). Checked on
other data (benchmarks/README.md, "Cited answers"): SciFact *test* claims answered 90.3%, Cranfield's
questions declined 99.6%. The command: ``python benchmarks/calibrate_abstention.py``."""

SIGNAL_PASSAGES = 3
"""The relevance a question is declined on is that of the best sentence of its top passages."""

FILTER_FLOOR = 0.30
"""The knowledge filter never keeps a passage below this relevance (see :mod:`sleuth.rag.filter`)."""


@dataclass(frozen=True)
class AskOptions:
    k: int = 5
    """Passages given to the reader."""
    rewrite: bool = False
    filter: bool = True
    memory: bool = True
    min_relevance: float | None = None
    """Abstain below this dense relevance; None: the collection's calibrated threshold."""
    mode: str | None = None
    """Retrieval pipeline (default: the collection's default mode)."""
    neighbours: bool = True
    """Also read the passages next to the retrieved ones (extractive reader)."""
    mentions: bool = True
    """Answer only from documents that mention every name the question mentions."""
    typed: bool = True
    """Read what the question asks for (a number, a name, a reason); off: question-blind sentence scores."""
    passages: bool = True
    """Read the best passages of the collection; off: the best passage of each of the best documents."""
    where: tuple[str, ...] = ()
    """Metadata filters (``year>=2020``, ``author:Karpukhin``; see :mod:`sleuth.docstore.where`)."""


class Asker:
    """Answers questions over one collection; holds the loaded models between questions."""

    def __init__(self, col: Collection, generator: Generator | None = None, options: AskOptions | None = None) -> None:
        self.col = col
        self.generator = generator
        self.options = options or AskOptions()
        self._memory = None
        self.extractive = ExtractiveReader(col.analyzer, col.encoder, typed=self.options.typed)
        """Reads the passages' sentences: the answer without a generator, the evidence to abstain on always."""
        if generator is None:
            self.reader = self.extractive
        else:
            from sleuth.rag.reader import GenerativeReader

            self.reader = GenerativeReader(generator, col.analyzer)

    @property
    def memory(self):  # noqa: ANN201 - sleuth.rag.memory.Memory, imported lazily
        if self._memory is None:
            from sleuth.rag.memory import Memory

            self._memory = Memory(self.col.directory / "memory.sqlite", self.col.analyzer, self.col.store)
        return self._memory

    @property
    def threshold(self) -> float:
        """The dense relevance below which this collection's questions are declined."""
        if self.options.min_relevance is not None:
            return self.options.min_relevance
        calibrated = (getattr(self.col, "meta", None) or {}).get("abstention") or {}
        return float(calibrated.get("threshold", ABSTAIN_BELOW))

    def _vector(self, question: str) -> np.ndarray | None:
        enc = self.col.encoder
        return None if enc is None else enc.encode_queries([question])[0]

    def retrieve(self, question: str, queries: list[str], qvec: np.ndarray | None, *,
                 tabular: bool = False) -> list[Passage]:
        """The context passages (for an evidence table: the best passage of each of the best documents)."""
        o = self.options
        return retrieve_passages(self.col, queries, qvec, max(o.k, ROWS) if tabular else o.k,
                                 o.mode or self.col.default_mode, by_passage=o.passages and not tabular,
                                 where=o.where)

    def relevance(self, question: str) -> float:
        """How close the collection comes to ``question``: the best cosine of a sentence of its top
        :data:`SIGNAL_PASSAGES` passages (what evaluate/calibrate.py calibrates)."""
        qvec = self._vector(question)
        passages = self.retrieve(question, [question], qvec)
        return self.extractive.gather(question, passages[:SIGNAL_PASSAGES], qvec).relevance

    def declined(self, passages: list[Passage], ev: Evidence, qvec: np.ndarray | None) -> Abstention | None:
        """Why the collection cannot answer, or None: no sentence of the passages is close enough to the
        question (relevance = the best sentence's cosine to it)."""
        best = ev.best
        if not passages or best is None:
            return Abstention("no-passages", "No passage matched the question.")
        if qvec is not None and ev.relevance < self.threshold:
            return Abstention("low-relevance", f"The closest sentence has relevance {ev.relevance:.2f}, below this "
                              f"collection's threshold {self.threshold:.2f}.", round(ev.relevance, 4),
                              self.threshold, cite(best.passage, best.start, best.end))
        return None

    def mentioning(self, question: str, passages: list[Passage]) -> tuple[list[Passage], Abstention | None]:
        """The passages to answer from, given the names the question mentions (:func:`analyze`):

        - a question (ends with "?" or opens with a question word) presupposes what it names: if a
          name's words are missing from the collection's vocabulary altogether, decline (nothing in
          the collection is about it); otherwise only documents that mention every name
          (:func:`mentions`) can answer it, and if none of the retrieved ones does, decline;
        - a statement (a claim to check) may abbreviate what a paper spells out ("4-PBA" for
          4-phenylbutyric acid): documents that mention every name come first, but when none does
          all are kept, and it is never declined for a name.
        """
        names = analyze(question).entities
        if not names or not self.options.mentions:
            return passages, None
        asked = is_question(question)
        df = getattr(getattr(self.col, "lexical", None), "document_frequency", None)  # a remote store may not say
        if asked and df is not None:
            unknown = [n for n in names if any(df(t) == 0 for t in self.col.analyzer.terms(n))]
            if unknown:
                return [], Abstention("not-mentioned", f"The collection never mentions {_quoted(unknown)}.")
        texts: dict[str, str] = {}
        for p in passages:
            if p.chunk.doc_id not in texts:
                doc = self.col.store.get_document(p.chunk.doc_id) if hasattr(self.col.store, "get_document") else None
                texts[p.chunk.doc_id] = f"{p.title}\n{doc.text if doc else p.chunk.text}"
        has = {d: {n for n in names if mentions(t, n, compact(t))} for d, t in texts.items()}
        kept = [p for p in passages if len(has[p.chunk.doc_id]) == len(names)]
        if kept or not asked:
            return kept or passages, None
        missing = [n for n in names if not any(n in h for h in has.values())] or list(names)
        return [], Abstention("not-mentioned", f"No retrieved document mentions {_quoted(missing)}.")

    def ask(self, question: str, on_token: Callable[[str], None] | None = None) -> Answer:
        check_query(question)
        o, t = self.options, {}
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            t[stage] = round((now - clock) * 1e3, 3)
            clock = now

        if o.memory and self.col.encoder is not None:
            hit = self.memory.lookup_exact(question)
            if hit is not None:
                lap("memory")
                return replace(hit, question=question, timings_ms=t)
        qvec = self._vector(question)
        lap("encode")
        if o.memory and qvec is not None:
            hit = self.memory.lookup(question, qvec)
            lap("memory")
            if hit is not None:
                return replace(hit, question=question, timings_ms=t)
        queries = rewrites(self.col, question, self.generator) if o.rewrite else [question]
        lap("rewrite")
        tabular = self.generator is None and analyze(question).kind == "compare"
        passages = self.retrieve(question, queries, qvec, tabular=tabular)
        lap("retrieve")
        ev = self.extractive.gather(question, passages[:SIGNAL_PASSAGES], qvec)
        lap("evidence")
        why = self.declined(passages, ev, qvec)
        if why is None:
            passages, why = self.mentioning(question, passages)
            if why is not None and ev.best is not None:
                best = ev.best
                why = replace(why, best_relevance=round(ev.relevance, 4), threshold=self.threshold,
                              closest=cite(best.passage, best.start, best.end))
        if why is not None:
            return replace(abstain(question, self.reader.name), abstention=why, timings_ms=t)
        if o.filter and qvec is not None and not tabular:
            passages = keep_relevant(passages, floor=FILTER_FLOOR)
        lap("filter")
        passages = [replace(p, n=i) for i, p in enumerate(passages, start=1)]
        if tabular:
            rest = [p for p in passages if p.row not in {c.passage.row for c in ev.candidates}]
            ev = _restrict(self.extractive.gather(question, rest, qvec, ev), passages)
            answer = table(self.extractive, question, passages, ev, self.threshold if qvec is not None else -1.0)
        elif self.generator is None:
            rest = [p for p in passages if p.row not in {c.passage.row for c in ev.candidates}]
            ev = _restrict(self.extractive.gather(question, rest, qvec, ev), passages)
            if o.neighbours:
                extra = with_neighbours(self.col, passages, qvec)[len(passages) :]
                ev = self.extractive.gather(question, extra, qvec, ev)
                passages += extra
            answer = self.reader.read(question, passages, ev)
        else:
            answer = self.reader.read(question, passages, on_token)
        lap("read")
        if o.memory and qvec is not None and not answer.abstained:
            self.memory.add(question, qvec, answer)
            lap("remember")
        return replace(answer, timings_ms=t)

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()


def _quoted(names: list[str]) -> str:
    return ", ".join(f"“{n}”" for n in names)


def _restrict(ev: Evidence, passages: list[Passage]) -> Evidence:
    """The evidence of the passages kept (renumbered), in their new numbering."""
    by_row = {p.row: p for p in passages}
    keep = [i for i, c in enumerate(ev.candidates) if c.passage.row in by_row]
    cands = [replace(ev.candidates[i], passage=by_row[ev.candidates[i].passage.row]) for i in keep]
    return Evidence(ev.question, cands, ev.sem[keep])


def ask(col: Collection, question: str, generator: Generator | None = None, **options: object) -> Answer:
    """One-off convenience: ``ask(Collection.open(dir), "question")``."""
    if not isinstance(question, str):
        raise InputError("The question must be text.", "Pass a string.")
    asker = Asker(col, generator, AskOptions(**options))  # type: ignore[arg-type]
    try:
        return asker.ask(question)
    finally:
        asker.close()
