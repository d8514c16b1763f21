"""Does a cited passage support an answer sentence? A transparent lexical test.

support(s, P) = |terms(s) ∩ terms(P)| / |terms(s)|, over the analyzer's content terms (lower-cased,
stemmed, stop words removed), with terms(P) the union over the cited passages. It is the "token
recall of the claim in its evidence" used as a cheap attribution check in ALCE (Gao et al., 2023,
"Enabling Large Language Models to Generate Text with Citations") before an NLI model; a sentence is
supported when support >= SUPPORTED. Extractive sentences are verbatim, so they score 1.
"""

from __future__ import annotations

from sleuth.text import Analyzer

SUPPORTED = 0.6


def support(sentence: str, passages: list[str], analyzer: Analyzer) -> float:
    terms = set(analyzer.terms(sentence))
    if not terms:
        return 1.0  # nothing to support ("Yes.", a bare number): judged by its neighbours
    evidence: set[str] = set()
    for p in passages:
        evidence.update(analyzer.terms(p))
    return len(terms & evidence) / len(terms)
