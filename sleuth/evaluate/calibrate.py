"""The abstention threshold of one collection, chosen without labels, and re-checked as it grows.

``ask`` declines when no sentence of the retrieved passages is close enough to the question
(:attr:`sleuth.rag.extractive.Evidence.relevance`: the best sentence's cosine to it). How close is
close enough differs between collections: abstracts that paraphrase a claim score higher than the
body of a paper asked about in other words, and a collection near everyday topics scores higher
against any question. So the threshold is chosen per collection from two sets of questions:

- *questions from elsewhere*: :data:`FOREIGN` (general questions on ~150 everyday subjects, shipped
  with sleuth); the threshold declines :data:`FOREIGN_DECLINED` (95%) of them asked of this
  collection: ``t_f = quantile(foreign relevances, 0.95)``;
- *the collection's own synthetic questions* (``sleuth synth``'s heuristic keyword questions, one
  per passage of a seeded sample of passages): the threshold must still answer
  :data:`SYNTHETIC_ANSWERED` (98%) of them: ``t_s = quantile(synthetic relevances, 0.02)``;

    threshold = min(t_f, t_s)

The 95% / 98% were chosen on SciFact *train* claims and CISI's and Cranfield's questions, and on the
demo corpus's dev questions (benchmarks/data/papers-qa), never on a test set; figures in
benchmarks/README.md ("Abstention"). The choice is stored in meta.json under ``abstention`` with the
collection's size; :func:`needs_calibration` asks for a new one when the number of passages has
changed by half or the encoder has changed. ``--min-relevance`` overrides it per question.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from sleuth.errors import EvaluationError
from sleuth.types import Document

if TYPE_CHECKING:
    from sleuth.store.embedded.collection import Collection

FOREIGN_DECLINED = 0.95
SYNTHETIC_ANSWERED = 0.98
SYNTHETIC_QUESTIONS = 100
"""How many synthetic questions are asked (one per sampled passage)."""
MIN_PASSAGES = 20
"""Below this many passages there are too few synthetic questions to trust; the default stays."""
REGROWTH = 0.5
"""Re-calibrate when the number of passages has grown or shrunk by this fraction."""
VERSION = 1
META_KEY = "abstention"


def foreign_questions() -> list[str]:
    """The shipped questions from elsewhere (sleuth/evaluate/data/foreign_questions.txt)."""
    text = resources.files("sleuth.evaluate").joinpath("data/foreign_questions.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def synthetic_questions(col: Collection, n: int = SYNTHETIC_QUESTIONS, seed: int = 0) -> list[str]:
    """Heuristic questions from ``n`` passages drawn with ``seed`` (each passage is one "document")."""
    from sleuth.evaluate.synth import synthesize

    ids = col.store.live_chunk_ids().tolist()
    picked = random.Random(seed).sample(ids, min(len(ids), 3 * n))
    found = col.store.get_chunks(picked)
    docs = [Document(f"{c.doc_id}#{row}", c.text, title) for row, (c, title) in sorted(found.items())
            if c.text.strip()]
    if not docs:
        return []
    return [q.question for q in synthesize(docs, n, seed=seed).questions]


def choose_threshold(foreign: np.ndarray, synthetic: np.ndarray) -> float:
    """min(quantile(foreign, FOREIGN_DECLINED), quantile(synthetic, 1 - SYNTHETIC_ANSWERED))."""
    t_f = float(np.quantile(foreign, FOREIGN_DECLINED))
    t_s = float(np.quantile(synthetic, 1.0 - SYNTHETIC_ANSWERED))
    return round(min(t_f, t_s), 4)


def _encoder_id(col: Collection) -> str:
    return f"{col.settings.encoder}+{col.tuned.get('query_encoder', '')}"


def needs_calibration(col: Collection) -> bool:
    """No threshold yet, or the collection has changed by :data:`REGROWTH` or its encoder changed."""
    if col.encoder is None:
        return False
    chunks = col.store.count_chunks()
    if chunks < MIN_PASSAGES:
        return False
    got = col.meta.get(META_KEY)
    if not isinstance(got, dict) or got.get("version") != VERSION or got.get("encoder") != _encoder_id(col):
        return True
    before = max(int(got.get("passages", 0)), 1)
    return abs(chunks - before) / before >= REGROWTH


def calibrate(col: Collection, *, seed: int = 0, foreign: list[str] | None = None,
              synthetic: int = SYNTHETIC_QUESTIONS, on_progress: Callable[[int, int], None] | None = None,
              ) -> dict[str, Any]:
    """Measure both question sets against ``col`` and return the abstention record (not stored).

    ``foreign`` replaces the shipped questions from elsewhere and ``synthetic`` sets how many of the
    collection's own are made (tests use a few of each)."""
    from sleuth.rag.pipeline import Asker, AskOptions

    asker = Asker(col, options=AskOptions(memory=False, min_relevance=-1.0))
    foreign = foreign if foreign is not None else foreign_questions()
    synth = synthetic_questions(col, synthetic, seed=seed)
    if not synth:
        raise EvaluationError("No synthetic question could be made from this collection's passages.",
                              "Calibrate after indexing documents with text, or pass --min-relevance.")
    total, done = len(foreign) + len(synth), 0

    def relevance(questions: list[str]) -> np.ndarray:
        nonlocal done
        out = []
        for q in questions:
            out.append(asker.relevance(q))
            done += 1
            if on_progress:
                on_progress(done, total)
        return np.array(out)

    f, s = relevance(foreign), relevance(synth)
    return {
        "version": VERSION, "threshold": choose_threshold(f, s), "encoder": _encoder_id(col),
        "passages": col.store.count_chunks(), "documents": col.store.count_documents(),
        "foreign": {"questions": len(f), f"q{int(FOREIGN_DECLINED * 100)}": round(float(np.quantile(f, FOREIGN_DECLINED)), 4)},
        "synthetic": {"questions": len(s), "seed": seed,
                      f"q{int(round((1 - SYNTHETIC_ANSWERED) * 100)):02d}": round(float(np.quantile(s, 1 - SYNTHETIC_ANSWERED)), 4)},
    }


def ensure_calibrated(col: Collection, *, force: bool = False,
                      on_progress: Callable[[int, int], None] | None = None, **calibration: Any) -> dict[str, Any] | None:
    """Calibrate and store the threshold in meta.json when :func:`needs_calibration` (or ``force``);
    returns the new record, or None when nothing was done (``calibration``: see :func:`calibrate`)."""
    from sleuth.store.embedded.lock import WriteLock
    from sleuth.store.embedded.meta import write_key

    if not (force or needs_calibration(col)) or col.encoder is None or col.store.count_chunks() < MIN_PASSAGES:
        return None
    try:
        record = calibrate(col, on_progress=on_progress, **calibration)
    except EvaluationError:
        return None  # no synthetic question could be made (passages too short): the default stays
    with WriteLock(col.directory):
        col.meta = write_key(col.directory, META_KEY, record)
    return record
