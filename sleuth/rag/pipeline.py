"""``ask``: memory -> rewrite -> retrieve -> (abstain?) -> filter -> read -> remember.

The stages are objects in :mod:`sleuth.rag.stages`, run in the order of its ``DEFAULT_RECIPE``; options
(:class:`AskOptions`) switch them off, and each one's time is recorded in ``Answer.timings_ms``. Which stages are on by default is decided by the ablation in
``benchmarks/bench_answers.py`` (see benchmarks/README.md): a stage stays on only if it helps or is free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from sleuth.errors import InputError
from sleuth.rag.context import Passage, cite
from sleuth.rag.extractive import Evidence, ExtractiveReader
from sleuth.rag.evidence import ROWS
from sleuth.rag.question import analyze, compact, is_question, mentions
from sleuth.rag.retrieval import retrieve_passages
from sleuth.rag.stages import ASK_STAGES, DEFAULT_RECIPE, SIGNAL_PASSAGES, AskState
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
    context: bool = True
    """Score each sentence also as read with the one before it (off: each sentence alone)."""
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
        self.extractive = ExtractiveReader(col.analyzer, col.encoder, typed=self.options.typed,
                                          context=self.options.context)
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
        calibrated = (self.col.meta.get("abstention") or {}) if "abstention" in self.col.capabilities else {}
        return float(calibrated.get("threshold", ABSTAIN_BELOW))

    def vector(self, question: str) -> np.ndarray | None:
        """The question's embedding (None for a lexical-only collection)."""
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
        qvec = self.vector(question)
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
        if not names:
            return passages, None
        asked = is_question(question)
        df = self.col.lexical.document_frequency if "term-statistics" in self.col.capabilities else None
        if asked and df is not None:
            unknown = [n for n in names if any(df(t) == 0 for t in self.col.analyzer.terms(n))]
            if unknown:
                return [], Abstention("not-mentioned", f"The collection never mentions {_quoted(unknown)}.")
        texts: dict[str, str] = {}
        for p in passages:
            if p.chunk.doc_id not in texts:
                doc = self.col.store.get_document(p.chunk.doc_id) if "documents" in self.col.capabilities else None
                texts[p.chunk.doc_id] = f"{p.title}\n{doc.text if doc else p.chunk.text}"
        has = {d: {n for n in names if mentions(t, n, compact(t))} for d, t in texts.items()}
        kept = [p for p in passages if len(has[p.chunk.doc_id]) == len(names)]
        if kept or not asked:
            return kept or passages, None
        missing = [n for n in names if not any(n in h for h in has.values())] or list(names)
        return [], Abstention("not-mentioned", f"No retrieved document mentions {_quoted(missing)}.")

    def run(self, question: str, recipe: tuple[str, ...] = DEFAULT_RECIPE,
            on_token: Callable[[str], None] | None = None) -> AskState:
        """Run the stages named in ``recipe`` (those the options leave on) until one ends the question."""
        check_query(question)
        state = AskState(question, on_token)
        for name in recipe:
            stage = ASK_STAGES.get(name)
            if stage.on(self.options):
                stage(self, state)
                if state.done:
                    break
        return state

    def ask(self, question: str, on_token: Callable[[str], None] | None = None) -> Answer:
        state = self.run(question, DEFAULT_RECIPE, on_token)
        assert state.answer is not None  # the recipe ends with a reader
        return replace(state.answer, timings_ms=state.timings_ms)

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()


def _quoted(names: list[str]) -> str:
    return ", ".join(f"“{n}”" for n in names)



def ask(col: Collection, question: str, generator: Generator | None = None, **options: object) -> Answer:
    """One-off convenience: ``ask(Collection.open(dir), "question")``."""
    if not isinstance(question, str):
        raise InputError("The question must be text.", "Pass a string.")
    asker = Asker(col, generator, AskOptions(**options))  # type: ignore[arg-type]
    try:
        return asker.ask(question)
    finally:
        asker.close()
