"""Query rewriting: several queries for one question, whose rankings are fused.

Without a generator: pseudo-relevance feedback in the style of RM3 (Abdul-Jaleel et al., "UMass at
TREC 2004", and Lavrenko & Croft's relevance models): from the top ``fb_docs`` lexical passages, weight
each term t by  w(t) = sum_d  score(d) / sum(score) * tf(t, d) / |d|  * idf(t), take the ``fb_terms``
heaviest terms not in the question, and append them to it. With a generator: ask it for ``n``
paraphrases (multi-query rewriting, as in RAG-Fusion / Ma et al. 2023, "Query Rewriting for
Retrieval-Augmented LLMs"). Either way the original question is always one of the queries.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sleuth.rag.generators import Generator
    from sleuth.store.embedded.collection import Collection


def prf_expansion(col: Collection, question: str, fb_docs: int = 3, fb_terms: int = 8) -> str:
    """The question followed by its RM3-style expansion terms (stems, as the index stores them)."""
    col.require("term-statistics", "On Milvus, leave --rewrite off, or pass --generator to rewrite with a model.")
    lx = col.lexical
    res = lx.search(question, fb_docs)
    if not res.doc_ids:
        return question
    q_terms = set(col.analyzer.terms(question))
    weights: Counter[str] = Counter()
    total = float(res.scores.sum()) or 1.0
    n = max(lx.n_chunks, 1)
    for score, chunk_id in zip(res.scores.tolist(), res.chunk_ids.tolist()):
        found = col.store.get_chunk(int(chunk_id))
        if found is None:
            continue
        terms = col.analyzer.terms(found[0].text)
        for t, tf in Counter(terms).items():
            df = 0 if t in q_terms else lx.document_frequency(t)
            if df:
                weights[t] += score / total * tf / max(len(terms), 1) * float(np.log(1 + n / df))
    extra = [t for t, _ in weights.most_common(fb_terms)]
    return question + (" " + " ".join(extra) if extra else "")


def generated_queries(generator: Generator, question: str, n: int = 3) -> list[str]:
    """Up to ``n`` paraphrases of the question written by the generator (junk lines dropped)."""
    raw = generator.generate([
        {"role": "system", "content": "Rewrite the user's question as different search queries, one per line, no numbering."},
        {"role": "user", "content": question},
    ], max_tokens=96, temperature=0.0)
    lines = [ln.strip(" -*0123456789.)\t") for ln in raw.splitlines()]
    out = []
    for ln in lines:
        if 3 <= len(ln.split()) <= 30 and ln.lower() != question.lower() and ln not in out:
            out.append(ln)
    return out[:n]


def rewrites(col: Collection, question: str, generator: Generator | None = None) -> list[str]:
    """The queries to run for ``question``: itself first, then the rewrites."""
    if generator is not None:
        return [question, *generated_queries(generator, question)]
    expanded = prf_expansion(col, question)
    return [question] if expanded == question else [question, expanded]
