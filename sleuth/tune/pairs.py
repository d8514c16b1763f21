"""Training pairs mined from a collection alone (plus a train split when the user gives one).

Three label-free tasks, each a well-known way to adapt a retriever to a corpus without annotations:

* ``title``: a document's title is the query, its first passage the positive (title-body pre-training,
  Chang et al. 2020, "Pre-training Tasks for Embedding-based Large-scale Retrieval").
* ``ict``: a random sentence is the query and the rest of its passage is the positive (Inverse Cloze Task,
  Lee et al. 2019, "Latent Retrieval for Weakly Supervised Open Domain QA"; the sentence is left in the
  passage with probability ``ICT_KEEP`` = 0.1 as in that paper, so the model still learns lexical matches).
* ``question``: a generated question whose answer is in the passage (GPL, Wang et al. 2022), when a
  generator is configured.

Pairs from a ``train`` qrels file (``kind="train"``) may be added. Test qrels are never read here: the
builder takes a split name and refuses ``test`` (see :func:`train_split_pairs`).

Hard negatives come from the collection's current hybrid retriever (:func:`mine_negatives`), minus the
likely false negatives: the positive document itself, the top ``SKIP_TOP`` ranks (often unlabelled
positives, RocketQA's observation), any passage scoring at least the positive's score, and near-copies of
the positive (word Jaccard >= ``DUPLICATE_JACCARD``).
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleuth.chunking.splitters import sentence_spans
from sleuth.errors import InputError
from sleuth.index.vectors import passage_text

if TYPE_CHECKING:
    from sleuth.store.embedded.collection import Collection

ICT_KEEP = 0.1
SKIP_TOP = 2
MINE_DEPTH = 30
DUPLICATE_JACCARD = 0.6
MIN_QUERY_WORDS = 4
MIN_PASSAGE_WORDS = 12
QUESTION_TRIES = 3
QUESTION_SHOWN_CHARS = 1500
QUESTION_MAX_TOKENS = 48

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class TrainingPassage:
    doc_id: str
    text: str
    """What the encoders see: title, then the passage (``sleuth.index.vectors.passage_text``)."""


@dataclass(frozen=True)
class Pair:
    query: str
    positive: TrainingPassage
    kind: str
    negatives: tuple[TrainingPassage, ...] = field(default=())


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def jaccard(a: str, b: str) -> float:
    """|A ∩ B| / |A ∪ B| over lower-cased word sets; 0 when both are empty."""
    sa, sb = set(_words(a)), set(_words(b))
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def title_pairs(docs: Iterable[tuple[str, str, str]]) -> list[Pair]:
    """(doc_id, title, first passage) -> title → passage pairs; the positive omits the title it is asked by."""
    out = []
    for doc_id, title, text in docs:
        if len(_words(title)) >= MIN_QUERY_WORDS and len(_words(text)) >= MIN_PASSAGE_WORDS:
            out.append(Pair(title.strip(), TrainingPassage(doc_id, text.strip()), "title"))
    return out


def ict_pair(doc_id: str, title: str, text: str, rng: random.Random) -> Pair | None:
    """One inverse-cloze pair from a passage: a random sentence → the passage without it (usually)."""
    spans = [(a, b) for a, b in sentence_spans(text) if len(_words(text[a:b])) >= MIN_QUERY_WORDS]
    if len(spans) < 2:
        return None
    a, b = spans[rng.randrange(len(spans))]
    rest = text if rng.random() < ICT_KEEP else (text[:a] + text[b:])
    rest = " ".join(rest.split())
    if len(_words(rest)) < MIN_PASSAGE_WORDS:
        return None
    return Pair(text[a:b].strip(), TrainingPassage(doc_id, passage_text(title, rest)), "ict")


def train_split_pairs(data_dir: Path | str, passages: dict[str, str], split: str = "train") -> list[Pair]:
    """Judged (query, relevant document) pairs from ``data_dir/qrels/<split>.tsv``; never the test split.

    ``passages`` maps doc id → the text the encoder sees for the document's first passage.
    """
    from sleuth.evaluate.beir import load_qrels, load_queries

    if split == "test":
        raise InputError(
            "Tuning on the test split would leak the answers into the model that is then evaluated on them.",
            "Pass a training split (qrels/train.tsv), or tune on the corpus alone.",
        )
    data_dir = Path(data_dir)
    queries = load_queries(data_dir)
    qrels = load_qrels(data_dir, split)
    out = []
    for qid in sorted(qrels):
        if qid not in queries:
            continue
        for doc_id, grade in sorted(qrels[qid].items()):
            if grade > 0 and doc_id in passages:
                out.append(Pair(queries[qid], TrainingPassage(doc_id, passages[doc_id]), "train"))
    return out


def held_out(key: str, fraction: float, seed: int) -> bool:
    """Whether pairs with this key belong to the held-out slice: a stable hash, so a re-run agrees."""
    h = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < fraction


def split_pairs(pairs: Sequence[Pair], fraction: float, seed: int,
                judged_fraction: float | None = None) -> tuple[list[Pair], list[Pair]]:
    """(train, held-out). Corpus pairs are split by positive document, so no held-out document's title
    or sentence was trained on; judged pairs by query (``judged_fraction``, default ``fraction``), which
    is the situation a tuned collection meets: new queries over the same documents."""
    train, held = [], []
    for p in pairs:
        judged = p.kind == "train"
        key = p.query if judged else p.positive.doc_id
        frac = judged_fraction if judged and judged_fraction is not None else fraction
        (held if held_out(key, frac, seed) else train).append(p)
    return train, held


def filter_negatives(
    positive: TrainingPassage,
    candidates: Sequence[tuple[TrainingPassage, float]],
    positive_score: float | None,
    n: int,
    rng: random.Random,
) -> tuple[TrainingPassage, ...]:
    """Up to ``n`` negatives drawn from ranked ``(passage, score)`` candidates, false negatives removed.

    Dropped: the positive's own document, ranks below ``SKIP_TOP``, anything scoring at least the positive
    (when it was retrieved), and near-copies of the positive (word Jaccard >= ``DUPLICATE_JACCARD``).
    """
    pool = []
    for rank, (p, score) in enumerate(candidates):
        if p.doc_id == positive.doc_id or rank < SKIP_TOP:
            continue
        if positive_score is not None and score >= positive_score:
            continue
        if jaccard(p.text, positive.text) >= DUPLICATE_JACCARD:
            continue
        pool.append(p)
    if len(pool) <= n:
        return tuple(pool)
    return tuple(rng.sample(pool, n))


def mine_negatives(
    col: Collection,
    pairs: Sequence[Pair],
    n: int = 1,
    *,
    seed: int = 0,
    mode: str = "hybrid",
    on_progress: Callable[[int], None] | None = None,
) -> list[Pair]:
    """Each pair with ``n`` hard negatives from ``mode``'s top ``MINE_DEPTH`` (see :func:`filter_negatives`)."""
    from sleuth.retrieve import get_pipeline

    pipe = get_pipeline(mode)
    pipe.prepare(col)
    rng = random.Random(seed)
    texts: dict[int, TrainingPassage] = {}
    out = []
    for i, pair in enumerate(pairs):
        ranked = pipe(col, pair.query, MINE_DEPTH)
        cands = []
        pos_score = None
        for doc_id, score, chunk_id in ranked:
            if doc_id == pair.positive.doc_id:
                pos_score = score
            if chunk_id not in texts:
                found = col.store.get_chunk(int(chunk_id))
                if found is None:  # deleted since the index was loaded
                    continue
                texts[chunk_id] = TrainingPassage(doc_id, passage_text(found[1], found[0].text))
            cands.append((texts[chunk_id], score))
        out.append(replace(pair, negatives=filter_negatives(pair.positive, cands, pos_score, n, rng)))
        if on_progress:
            on_progress(i + 1)
    return out


def corpus_pairs(col: Collection, *, seed: int = 0, tasks: Sequence[str] = ("title", "ict")) -> list[Pair]:
    """Title and inverse-cloze pairs from every document's first passage, in a seeded order."""
    rng = random.Random(seed)
    firsts: dict[str, tuple[str, str]] = {}
    for batch in col.store.iter_chunks():
        for row in batch:
            firsts.setdefault(row.doc_id, (row.title, row.text))
    out: list[Pair] = []
    if "title" in tasks:
        out += title_pairs((d, t, x) for d, (t, x) in firsts.items())
    if "ict" in tasks:
        for doc_id, (title, text) in firsts.items():
            p = ict_pair(doc_id, title, text, rng)
            if p is not None:
                out.append(p)
    rng.shuffle(out)
    return out


def question_pairs(col: Collection, generator: Any, n: int, *, seed: int = 0, deadline: float | None = None,
                   on_progress: Callable[[int, int], None] | None = None) -> list[Pair]:
    """Generated question → the passage it was written about (GPL's synthetic queries, Wang et al. 2022).

    Passages are visited in a seeded order; the generator is shown one (its first ``QUESTION_SHOWN_CHARS``
    characters, with the title) with ``sleuth synth``'s prompt, and its reply is cut after the question.
    Kept: questions that pass :func:`sleuth.evaluate.synth_questions.question_problem`, share a term with the
    passage, and are not near-copies (word Jaccard >= ``DUPLICATE_JACCARD``) of one kept before. Unlike
    ``sleuth synth``, the answer is not checked: a training pair needs a question about the passage, not
    an exact answer span, and SmolLM2's answers are mostly paraphrases. At most ``QUESTION_TRIES`` x
    ``n`` replies are asked for, none after ``deadline`` (a ``time.monotonic()`` value).
    """
    from sleuth.evaluate.synth_questions import parse_question, prompt_messages, question_problem
    from sleuth.text import Analyzer

    analyzer = Analyzer()
    ids = col.store.live_chunk_ids().tolist()  # ids only: a try reads one chunk, not the whole collection
    random.Random(seed).shuffle(ids)
    out: list[Pair] = []
    for chunk_id in ids[: QUESTION_TRIES * n]:
        if len(out) >= n or (deadline is not None and time.monotonic() >= deadline):
            break
        found = col.store.get_chunk(chunk_id)
        if found is None:
            continue
        chunk, title = found
        shown = chunk.text[:QUESTION_SHOWN_CHARS]
        reply = generator.generate(prompt_messages(shown, title), max_tokens=QUESTION_MAX_TOKENS,
                                   temperature=0.0, stop=["Answer:", "TrainingPassage:"])
        q = parse_question(reply or "")
        if (q is None or question_problem(q, shown) is not None
                or not set(analyzer.terms(q)) & set(analyzer.terms(shown))
                or any(jaccard(q, p.query) >= DUPLICATE_JACCARD for p in out)):
            continue
        out.append(Pair(q, TrainingPassage(chunk.doc_id, passage_text(title, chunk.text)), "question"))
        if on_progress:
            on_progress(len(out), n)
    return out


def first_passages(col: Collection) -> dict[str, str]:
    """doc id → what the encoder sees for the document's first passage."""
    out: dict[str, str] = {}
    for batch in col.store.iter_chunks():
        for row in batch:
            out.setdefault(row.doc_id, passage_text(row.title, row.text))
    return out
