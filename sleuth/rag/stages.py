"""The stages of ``ask``, registered by name; :data:`DEFAULT_RECIPE` is the order ``ask`` runs them in.

Each stage reads and writes one :class:`AskState` and may end the question early (``state.done``: a memory
hit, a decline). A stage is on unless an option of :class:`~sleuth.rag.pipeline.AskOptions` switches it
off (``on``); the answer ablation (:mod:`sleuth.evaluate.answers`) runs a prefix of the same stage objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from sleuth.rag.context import Passage, cite
from sleuth.rag.evidence import table
from sleuth.rag.extractive import Evidence, abstain
from sleuth.rag.filter import keep_relevant
from sleuth.rag.question import analyze
from sleuth.rag.retrieval import with_neighbours
from sleuth.rag.rewrite import rewrites
from sleuth.registry import Registry
from sleuth.types import Abstention, Answer

if TYPE_CHECKING:
    from sleuth.rag.pipeline import Asker, AskOptions

SIGNAL_PASSAGES = 3
"""The relevance a question is declined on is that of the best sentence of its top passages."""

FILTER_FLOOR = 0.30
"""The knowledge filter never keeps a passage below this relevance (see :mod:`sleuth.rag.filter`)."""


@dataclass
class AskState:
    """One question on its way through the stages."""

    question: str
    on_token: Callable[[str], None] | None = None
    qvec: np.ndarray | None = None
    queries: list[str] = field(default_factory=list)
    tabular: bool = False
    """A comparative question answered as an evidence table (extractive reader only)."""
    passages: list[Passage] = field(default_factory=list)
    evidence: Evidence | None = None
    why: Abstention | None = None
    answer: Answer | None = None
    done: bool = False
    """Set with ``answer`` by a stage that ends the question early (a memory hit, a decline): no later stage runs."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    _clock: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        """Time since the last lap, recorded under ``stage``."""
        now = time.perf_counter()
        self.timings_ms[stage] = round((now - self._clock) * 1e3, 3)
        self._clock = now


class AskStage:
    name = ""

    def on(self, options: AskOptions) -> bool:
        return True

    def __call__(self, asker: Asker, state: AskState) -> None:
        raise NotImplementedError


ASK_STAGES: Registry[AskStage] = Registry("ask stage")


def _stage(cls: type[AskStage]) -> type[AskStage]:
    ASK_STAGES.add(cls.name, cls())
    return cls


@_stage
class ExactMemory(AskStage):
    """A question asked before, word for word: its stored answer."""

    name = "exact-memory"

    def on(self, options: AskOptions) -> bool:
        return options.memory

    def __call__(self, asker: Asker, state: AskState) -> None:
        if asker.col.encoder is None:
            return
        hit = asker.memory.lookup_exact(state.question)
        if hit is not None:
            state.lap("memory")
            state.answer, state.done = replace(hit, question=state.question), True


@_stage
class Encode(AskStage):
    name = "encode"

    def __call__(self, asker: Asker, state: AskState) -> None:
        state.qvec = asker.vector(state.question)
        state.queries = [state.question]
        state.lap("encode")


@_stage
class Memory(AskStage):
    """A question close in meaning to one answered before (sleuth.rag.memory)."""

    name = "memory"

    def on(self, options: AskOptions) -> bool:
        return options.memory

    def __call__(self, asker: Asker, state: AskState) -> None:
        if state.qvec is None:
            return
        hit = asker.memory.lookup(state.question, state.qvec)
        state.lap("memory")
        if hit is not None:
            state.answer, state.done = replace(hit, question=state.question), True


@_stage
class Rewrite(AskStage):
    """More queries for the same question (sleuth.rag.rewrite: PRF, or the generator's rewordings)."""

    name = "rewrite"

    def on(self, options: AskOptions) -> bool:
        return options.rewrite

    def __call__(self, asker: Asker, state: AskState) -> None:
        state.queries = rewrites(asker.col, state.question, asker.generator)
        state.lap("rewrite")


@_stage
class Retrieve(AskStage):
    name = "retrieve"

    def __call__(self, asker: Asker, state: AskState) -> None:
        state.tabular = asker.generator is None and analyze(state.question).kind == "compare"
        state.passages = asker.retrieve(state.question, state.queries, state.qvec, tabular=state.tabular)
        state.lap("retrieve")


@_stage
class Abstain(AskStage):
    """Decline when no sentence of the top passages is close enough to the question (calibrated threshold)."""

    name = "abstain"

    def __call__(self, asker: Asker, state: AskState) -> None:
        state.evidence = asker.extractive.gather(state.question, state.passages[:SIGNAL_PASSAGES], state.qvec)
        state.lap("evidence")
        state.why = asker.declined(state.passages, state.evidence, state.qvec)
        if state.why is not None:
            state.answer, state.done = _declined(asker, state), True


@_stage
class Mentions(AskStage):
    """Answer only from documents that mention every name the question mentions (Asker.mentioning)."""

    name = "mentions"

    def on(self, options: AskOptions) -> bool:
        return options.mentions

    def __call__(self, asker: Asker, state: AskState) -> None:
        state.passages, why = asker.mentioning(state.question, state.passages)
        ev = state.evidence
        if why is not None:
            if ev is not None and ev.best is not None:
                why = replace(why, best_relevance=round(ev.relevance, 4), threshold=asker.threshold,
                              closest=cite(ev.best.passage, ev.best.start, ev.best.end))
            state.why = why
            state.answer, state.done = _declined(asker, state), True


@_stage
class Filter(AskStage):
    """The knowledge filter: drop passages far below the best one's relevance (sleuth.rag.filter)."""

    name = "filter"

    def on(self, options: AskOptions) -> bool:
        return options.filter

    def __call__(self, asker: Asker, state: AskState) -> None:
        if state.qvec is not None and not state.tabular:
            state.passages = keep_relevant(state.passages, floor=FILTER_FLOOR)
        state.lap("filter")


@_stage
class Gather(AskStage):
    """Number the passages kept from 1, and (extractive) score the sentences of those not yet scored."""

    name = "gather"

    def __call__(self, asker: Asker, state: AskState) -> None:
        state.passages = [replace(p, n=i) for i, p in enumerate(state.passages, start=1)]
        if asker.generator is not None and not state.tabular:
            return
        ev = state.evidence
        assert ev is not None  # set by Abstain
        seen = {c.passage.row for c in ev.candidates}
        rest = [p for p in state.passages if p.row not in seen]
        state.evidence = _restrict(asker.extractive.gather(state.question, rest, state.qvec, ev), state.passages)


@_stage
class Neighbours(AskStage):
    """(Extractive) also read the passage before and after each one, across passage boundaries."""

    name = "neighbours"

    def on(self, options: AskOptions) -> bool:
        return options.neighbours

    def __call__(self, asker: Asker, state: AskState) -> None:
        if asker.generator is not None or state.tabular:
            return
        extra = with_neighbours(asker.col, state.passages, state.qvec)[len(state.passages):]
        state.evidence = asker.extractive.gather(state.question, extra, state.qvec, state.evidence)
        state.passages = state.passages + extra


@_stage
class Read(AskStage):
    """The reader's answer (extractive quotes or the generator's); an evidence table for a comparison."""

    name = "read"

    def __call__(self, asker: Asker, state: AskState) -> None:
        if state.tabular:
            threshold = asker.threshold if state.qvec is not None else -1.0
            state.answer = table(asker.extractive, state.question, state.passages, state.evidence, threshold)
        else:
            state.answer = asker.reader.read(state.question, state.passages, state.evidence, state.on_token)
        state.lap("read")


@_stage
class Remember(AskStage):
    name = "remember"

    def on(self, options: AskOptions) -> bool:
        return options.memory

    def __call__(self, asker: Asker, state: AskState) -> None:
        if state.qvec is not None and state.answer is not None and not state.answer.abstained:
            asker.memory.add(state.question, state.qvec, state.answer)
            state.lap("remember")


DEFAULT_RECIPE = ("exact-memory", "encode", "memory", "rewrite", "retrieve", "abstain", "mentions", "filter",
                  "gather", "neighbours", "read", "remember")
"""The stages of ``ask``, in order."""

RETRIEVAL_RECIPE = ("encode", "rewrite", "retrieve", "filter")
"""The stages up to the reader with no abstention: what the answer ablation scores before reading."""


def _declined(asker: Asker, state: AskState) -> Answer:
    return replace(abstain(state.question, asker.reader.name), abstention=state.why)


def _restrict(ev: Evidence, passages: list[Passage]) -> Evidence:
    """The evidence of the passages kept (renumbered), in their new numbering."""
    by_row = {p.row: p for p in passages}
    keep = [i for i, c in enumerate(ev.candidates) if c.passage.row in by_row]
    cands = [replace(ev.candidates[i], passage=by_row[ev.candidates[i].passage.row]) for i in keep]
    return ev.subset(keep, cands)
