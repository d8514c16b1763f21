"""How the hits of an evaluation are judged: by document (qrels), or by passage (reference excerpts).

**Passages.** A synthetic evaluation set (``sleuth synth``) knows, for every question, the exact
excerpt(s) it was made from (``spans.jsonl``). Judging only the document then says little on a small
collection: finding the right one of 19 papers from words copied out of it is easy. Judged by passage,
a hit counts only when the passage the search shows for that document holds the excerpt, which is
what a reader of the results needs. A passage is relevant to a question when it holds at least half of
the characters of one of the question's excerpts (:data:`PASSAGE_SHARE`), or more of it than any other
passage does: an excerpt split across two passages makes the one holding most of it relevant (both at
exactly half), and an excerpt spread over many small passages still has one. The run and the qrels
then name passages ``DOC_ID#CHUNK_ID``, so the usual metrics (nDCG@10, ...) apply unchanged.

**Too few documents.** :func:`random_ndcg` is the nDCG@k a ranking in random order scores in
expectation on binary document judgments. With ``N`` documents of which ``R`` are relevant, each
relevant document sits at rank ``r`` with probability ``1/N``, so by linearity of expectation

    E[DCG@k] = (R / N) * sum_{r=1..min(k, N)} 1 / log2(r + 1),      IDCG@k = sum_{i=1..min(R, k)} 1 / log2(i + 1)

and the expected nDCG@k is taken as E[DCG@k] / IDCG@k (IDCG is fixed per query). For one relevant
document among 19 it is 0.239; among 5,000, 0.0009. When the mean over the questions reaches
:data:`RANDOM_NDCG_WARN`, document-level figures cannot tell good retrieval from bad by much, and the
evaluation says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sleuth.evaluate.beir import Qrels

PASSAGE_SHARE = 0.5
RANDOM_NDCG_WARN = 0.05
SEPARATOR = "#"


def passage_id(doc_id: str, chunk_id: int) -> str:
    return f"{doc_id}{SEPARATOR}{int(chunk_id)}"


def overlap(chunk: tuple[int, int], excerpt: tuple[int, int]) -> int:
    """Characters of the excerpt ``[s, e)`` inside the passage ``[a, b)``."""
    (a, b), (s, e) = chunk, excerpt
    return max(0, min(b, e) - max(a, s))


def passage_qrels(references: Mapping[str, Sequence[tuple[str, int, int]]],
                  chunks: Iterable[tuple[int, str, int, int]]) -> Qrels:
    """Qrels over passages: ``{query id: {DOC#CHUNK: 1}}`` for every passage holding one of the query's
    excerpts. ``references`` maps a query id to its excerpts ``(doc_id, start, end)``; ``chunks`` yields
    the collection's passages as ``(chunk_id, doc_id, start, end)``."""
    by_doc: dict[str, list[tuple[int, int, int]]] = {}
    for cid, doc, a, b in chunks:
        by_doc.setdefault(doc, []).append((cid, a, b))
    qrels: Qrels = {}
    for qid, refs in references.items():
        judged = qrels.setdefault(qid, {})
        for doc, s, e in refs:
            held = [(overlap((a, b), (s, e)), cid) for cid, a, b in by_doc.get(doc, [])]
            most = max((h for h, _ in held), default=0)
            for h, cid in held:
                if h > 0 and (h >= PASSAGE_SHARE * (e - s) or h == most):
                    judged[passage_id(doc, cid)] = 1
    return qrels


def load_references(data_dir: Path) -> dict[str, list[tuple[str, int, int]]] | None:
    """The reference excerpts of a ``sleuth synth`` set (``spans.jsonl``), by query id; None without one."""
    from sleuth.evaluate.chunking import SPANS_FILE, load_eval_set

    if not (Path(data_dir) / SPANS_FILE).is_file():
        return None
    return {q.query_id: list(q.references) for q in load_eval_set(data_dir).questions}


def random_ndcg(relevant: int, documents: int, k: int = 10) -> float:
    """Expected nDCG@k of a random ordering of ``documents`` with ``relevant`` binary-relevant ones
    (module docstring); 0 when there is nothing relevant."""
    if relevant <= 0 or documents <= 0:
        return 0.0
    relevant = min(relevant, documents)
    dcg = relevant / documents * sum(1.0 / math.log2(r + 1) for r in range(1, min(k, documents) + 1))
    idcg = sum(1.0 / math.log2(i + 1) for i in range(1, min(relevant, k) + 1))
    return dcg / idcg


def mean_random_ndcg(qrels: Qrels, documents: int, k: int = 10) -> float:
    values = [random_ndcg(sum(g >= 1 for g in judged.values()), documents, k) for judged in qrels.values()]
    return sum(values) / len(values) if values else 0.0


def small_collection_warning(random_score: float, documents: int) -> str | None:
    """The warning printed when document judgments cannot discriminate; None when they can."""
    if random_score < RANDOM_NDCG_WARN:
        return None
    return (f"Only {documents:,} documents: a random ranking already scores nDCG@10 = {random_score:.3f} on "
            "these document judgments, so they say little about the search. Judge passages instead (an "
            "evaluation set made by `sleuth synth` carries them), or evaluate on a larger collection.")
