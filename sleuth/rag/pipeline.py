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
from sleuth.rag.context import Passage
from sleuth.rag.extractive import ExtractiveReader, abstain
from sleuth.rag.filter import keep_relevant
from sleuth.rag.rewrite import rewrites
from sleuth.retrieve import get_pipeline
from sleuth.retrieve.fusion import rrf
from sleuth.store.collection import check_query
from sleuth.types import Answer

if TYPE_CHECKING:
    from sleuth.rag.backends import Generator
    from sleuth.store.collection import Collection

ABSTAIN_BELOW = 0.47
"""Abstain when no retrieved passage has a dense relevance (cosine to the question) of at least this.

Calibrated without test data: the threshold with the best balanced accuracy between SciFact's *train*
claims (answer) and CISI's questions asked of SciFact (decline) is 0.47 (92.7% / 96.4%). Checked on
other data (benchmarks/README.md, "Cited answers"): SciFact *test* claims answered 90.3%, Cranfield's
questions declined 99.6%. The command: ``python benchmarks/calibrate_abstention.py``."""

FILTER_FLOOR = 0.30
"""The knowledge filter never keeps a passage below this relevance (see :mod:`sleuth.rag.filter`)."""


@dataclass(frozen=True)
class AskOptions:
    k: int = 5
    """Passages given to the reader."""
    rewrite: bool = False
    filter: bool = True
    memory: bool = True
    abstain_below: float = ABSTAIN_BELOW
    mode: str | None = None
    """Retrieval pipeline (default: the collection's default mode)."""
    where: tuple[str, ...] = ()
    """Metadata filters (``year>=2020``, ``author:Karpukhin``; see :mod:`sleuth.retrieve.where`)."""


class Asker:
    """Answers questions over one collection; holds the loaded models between questions."""

    def __init__(self, col: Collection, generator: Generator | None = None, options: AskOptions | None = None) -> None:
        self.col = col
        self.generator = generator
        self.options = options or AskOptions()
        self._memory = None
        if generator is None:
            self.reader = ExtractiveReader(col.analyzer, col.encoder)
        else:
            from sleuth.rag.reader import GenerativeReader

            self.reader = GenerativeReader(generator, col.analyzer)

    @property
    def memory(self):  # noqa: ANN201 - sleuth.rag.memory.Memory, imported lazily
        if self._memory is None:
            from sleuth.rag.memory import Memory

            self._memory = Memory(self.col.directory / "memory.sqlite", self.col.analyzer, self.col.store)
        return self._memory

    def _vector(self, question: str) -> np.ndarray | None:
        enc = self.col.encoder
        return None if enc is None else enc.encode_queries([question])[0]

    def retrieve(self, question: str, queries: list[str], qvec: np.ndarray | None) -> list[Passage]:
        pipe = get_pipeline(self.options.mode or self.col.default_mode)
        depth = max(self.options.k * 4, 20)
        runs = [self.col.ranked(lambda d, q=q: pipe(self.col, q, d), depth, self.options.where) for q in queries]
        chunk_of = {d: c for run in reversed(runs) for d, _, c in run}
        fused = runs[0] if len(runs) == 1 else [(d, s, chunk_of[d]) for d, s in rrf([[(d, s) for d, s, _ in r] for r in runs])]
        passages = []
        head = fused[: self.options.k]
        info = self.col.store.chunk_info([int(c) for _, _, c in head]) if hasattr(self.col.store, "chunk_info") else {}
        for doc_id, score, chunk_id in head:
            found = self.col.store.get_chunk(int(chunk_id))
            if found is None:
                continue
            chunk, title = found
            passages.append(Passage(len(passages) + 1, chunk, title, score, row=int(chunk_id), info=info.get(int(chunk_id))))
        if qvec is not None and passages:
            rel = self.col.dense.vectors_for([p.row for p in passages]) @ qvec
            passages = [replace(p, relevance=float(r)) for p, r in zip(passages, rel)]
        return passages

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
        passages = self.retrieve(question, queries, qvec)
        lap("retrieve")
        if qvec is not None and (not passages or max(p.relevance for p in passages) < o.abstain_below):
            return replace(abstain(question, self.reader.name), timings_ms=t)
        if o.filter and qvec is not None:
            passages = keep_relevant(passages, floor=FILTER_FLOOR)
        lap("filter")
        answer = self.reader.read(question, passages, on_token) if on_token and self.generator else self.reader.read(question, passages)
        lap("read")
        if o.memory and qvec is not None and not answer.abstained:
            self.memory.add(question, qvec, answer)
            lap("remember")
        return replace(answer, timings_ms=t)

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()


def ask(col: Collection, question: str, generator: Generator | None = None, **options: object) -> Answer:
    """One-off convenience: ``ask(Collection.open(dir), "question")``."""
    if not isinstance(question, str):
        raise InputError("The question must be text.", "Pass a string.")
    asker = Asker(col, generator, AskOptions(**options))  # type: ignore[arg-type]
    try:
        return asker.ask(question)
    finally:
        asker.close()
