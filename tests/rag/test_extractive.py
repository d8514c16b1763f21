"""The extractive reader's sentence context and the knowledge filter, on numbers worked out by hand."""

import numpy as np
import pytest

from sleuth.rag.candidates import Candidate
from sleuth.rag.context import Passage
from sleuth.rag.extractive import follows, in_context
from sleuth.rag.filter import keep_relevant
from sleuth.types import Chunk


def _cand(doc: str, start: int, end: int) -> Candidate:
    p = Passage(1, Chunk(doc, 0, 100, "x" * 100, f"{doc}#0"), doc, 1.0)
    return Candidate(p, start, end, "x", "x")


def test_a_sentence_follows_the_one_right_before_it_in_the_same_document():
    cands = [_cand("a", 0, 10), _cand("a", 11, 20), _cand("a", 40, 50), _cand("b", 51, 60)]
    assert follows(cands) == [False, True, False, False]  # 20 chars apart; another document


def test_in_context_is_the_cosine_of_the_summed_pair():
    vecs = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    q = np.array([1.0, 0.0])
    got = in_context(vecs, q, [False, True, False])
    # (e0 + e1) / |e0 + e1| = (1, 1) / sqrt(2): cosine with q is 1 / sqrt(2); the others are their own.
    assert got == pytest.approx([1.0, 1 / np.sqrt(2), 0.6])


def _p(n: int, rel: float) -> Passage:
    return Passage(n, Chunk(f"d{n}", 0, 1, "x", f"d{n}#0"), "t", 1.0, relevance=rel)


def test_the_filter_keeps_the_retrievers_first_and_the_most_relevant_passage():
    first, best, near, far = _p(1, 0.28), _p(2, 0.50), _p(3, 0.40), _p(4, 0.31)
    # cut = max(0.30, 0.50 - 0.15) = 0.35: the first stays though below it; 0.31 goes.
    assert keep_relevant([first, best, near, far], floor=0.30) == [first, best, near]
    assert keep_relevant([_p(1, 0.1), _p(2, 0.2)], floor=0.30) == [_p(1, 0.1), _p(2, 0.2)]
    assert keep_relevant([], floor=0.30) == []


def test_context_lifts_a_sentence_whose_subject_is_in_the_one_before():
    from sleuth.rag.extractive import UNTYPED, Evidence, ExtractiveReader
    from sleuth.rag.question import analyze
    from sleuth.text import Analyzer

    text = "Table 2 lists the kappa scores of the experts. The agreement over all terms is high. Birds sing songs."
    p = Passage(1, Chunk("d", 0, len(text), text, "d#0"), "d", 1.0, relevance=0.5)
    cands = [Candidate(p, a, b, text[a:b], text[a:b]) for a, b in [(0, 46), (47, 83), (84, len(text))]]
    q = analyze("Is the agreement of the kappa scores high?")
    assert q.asks not in ("number", "name", "reason", "means")  # scored with the UNTYPED weights
    ev = Evidence(q, cands, np.array([0.6, 0.2, 0.3]), np.array([0.6, 0.55, 0.25]))
    reader = ExtractiveReader(Analyzer())
    reader.encoder = object()  # type: ignore[assignment]  # the cosines above stand for an encoder's
    on = {s.candidate.start: s.score for s in reader.rank(ev)}
    reader.context = False
    off = {s.candidate.start: s.score for s in reader.rank(ev)}
    # Only the middle sentence's semantic part changes: max(0.2, 0.55) instead of 0.2.
    assert on[47] - off[47] == pytest.approx(UNTYPED["sem"] * (0.55 - 0.2))
    assert on[0] == pytest.approx(off[0]) and on[84] == pytest.approx(off[84])  # 0.25 < 0.3: its own
    assert ev.relevance == 0.6  # what abstention reads stays the single sentences' cosine
