"""Token-level chunking metrics against hand-computed examples, and against Chroma's algorithm.

Spans below are (doc, start, end) in units (word indices) unless a test goes through :class:`Units`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sleuth.errors import ConfigError
from sleuth.evaluate.chunking_metrics import (
    CHROMA_KEYS,
    Units,
    intersect,
    measure,
    precision_omega,
    retrieval_scores,
    summarize,
    union,
)


def approx(d: dict[str, float]) -> dict[str, object]:
    return {k: pytest.approx(v) for k, v in d.items()}


# -- interval helpers ----------------------------------------------------------------------------


def test_union_merges_overlapping_and_touching_ranges_and_drops_empty_ones():
    assert union([(5, 8), (0, 3), (2, 4), (8, 9), (10, 10)]) == [(0, 4), (5, 9)]
    assert measure([(0, 10), (5, 15)]) == 15


def test_intersect_of_unions():
    assert intersect([(0, 4), (6, 10)], [(2, 7), (9, 12)]) == [(2, 4), (6, 7), (9, 10)]
    assert intersect([(0, 2)], [(2, 4)]) == []  # touching is not overlapping


# -- recall, precision, IoU: hand-computed -------------------------------------------------------


def test_one_excerpt_two_adjacent_chunks():
    # E = words 10..19 (10 words); chunks 0..14 and 15..29 (15 words each) hold all of it.
    s = retrieval_scores([("d", 10, 20)], [("d", 0, 15), ("d", 15, 30)])
    assert s == approx({"recall": 1.0, "precision": 10 / 30, "iou": 10 / 30})


def test_overlapping_retrieved_chunks_count_their_shared_words_twice_in_the_denominators():
    # Chunks 0..11 and 8..19 share words 8..11: |R| = 12 + 12 = 24 although they cover 20 words.
    s = retrieval_scores([("d", 10, 20)], [("d", 0, 12), ("d", 8, 20)])
    assert s == approx({"recall": 1.0, "precision": 10 / 24, "iou": 10 / 24})
    # The same chunk retrieved twice pays twice, gains nothing.
    s = retrieval_scores([("d", 0, 10)], [("d", 0, 10), ("d", 0, 10)])
    assert s == approx({"recall": 1.0, "precision": 0.5, "iou": 0.5})


def test_discontinuous_excerpt_half_found():
    # E = words 0..4 and 20..24 (10 words); the chunk 0..9 holds the first half only.
    s = retrieval_scores([("d", 0, 5), ("d", 20, 25)], [("d", 0, 10)])
    # |E ∩ U| = 5, |R| = 10, |E \ U| = 5
    assert s == approx({"recall": 0.5, "precision": 0.5, "iou": 5 / 15})


def test_excerpts_in_two_documents_and_an_irrelevant_chunk():
    excerpts = [("a", 0, 4), ("b", 0, 6)]  # 10 words
    s = retrieval_scores(excerpts, [("a", 0, 4), ("c", 0, 6)])  # finds a's 4 words, wastes 6 on doc c
    assert s == approx({"recall": 0.4, "precision": 0.4, "iou": 4 / (10 + 6)})


def test_same_offsets_in_another_document_do_not_count():
    s = retrieval_scores([("a", 0, 10)], [("b", 0, 10)])
    assert s == {"recall": 0.0, "precision": 0.0, "iou": 0.0}


def test_overlapping_excerpts_are_counted_once():
    # E = 0..9 ∪ 5..14 = 15 words (Chroma would sum 20: recall could not reach 1).
    s = retrieval_scores([("d", 0, 10), ("d", 5, 15)], [("d", 0, 15)])
    assert s == approx({"recall": 1.0, "precision": 1.0, "iou": 1.0})


def test_iou_equals_set_iou_when_chunks_do_not_overlap():
    e, r = [("d", 3, 9)], [("d", 0, 5), ("d", 7, 12)]
    s = retrieval_scores(e, r)
    inter, uni = {3, 4, 7, 8}, set(range(0, 5)) | set(range(7, 12)) | set(range(3, 9))
    assert s["iou"] == pytest.approx(len(inter) / len(uni))


def test_nothing_retrieved_or_nothing_to_find_scores_zero():
    assert retrieval_scores([("d", 0, 5)], []) == {"recall": 0.0, "precision": 0.0, "iou": 0.0}
    assert retrieval_scores([], [("d", 0, 5)]) == {"recall": 0.0, "precision": 0.0, "iou": 0.0}


# -- Precision-Omega: hand-computed -------------------------------------------------------------


def test_precision_omega_takes_every_chunk_holding_excerpt_words():
    chunks = [("d", 0, 10), ("d", 10, 20), ("d", 20, 30), ("e", 0, 10)]
    # E = 12..14 and 25..26 (5 words) lies in chunks 2 and 3: H = 10..29 (20 words).
    omega, count = precision_omega([("d", 12, 15), ("d", 25, 27)], chunks)
    assert (omega, count) == (pytest.approx(5 / 20), 2)


def test_precision_omega_with_a_gap_between_chunks():
    # Chunks leave words 10 and 11 out; E = 8..13. H = 0..9 ∪ 12..19 (18 words); E ∩ H = 4 words;
    # the denominator H ∪ E = 0..19 = 20 words (the uncovered excerpt words count, as in Chroma).
    omega, count = precision_omega([("d", 8, 14)], [("d", 0, 10), ("d", 12, 20)])
    assert (omega, count) == (pytest.approx(4 / 20), 2)


def test_precision_omega_ignores_chunks_that_only_touch_the_excerpt():
    omega, count = precision_omega([("d", 8, 14)], [("d", 0, 8), ("d", 8, 14), ("d", 14, 20)])
    assert (omega, count) == (1.0, 1)


def test_precision_omega_with_overlapping_chunks_uses_their_union():
    omega, count = precision_omega([("d", 4, 6)], [("d", 0, 6), ("d", 3, 9)])
    assert (omega, count) == (pytest.approx(2 / 9), 2)


def test_precision_omega_is_an_upper_bound_of_precision_at_the_same_chunks():
    chunks = [("d", i, i + 7) for i in range(0, 70, 7)]
    e = [("d", 10, 18), ("d", 40, 44)]
    omega, _ = precision_omega(e, chunks)
    for k in range(1, len(chunks) + 1):
        assert retrieval_scores(e, chunks[:k])["precision"] <= omega + 1e-12


# -- units -------------------------------------------------------------------------------------


def test_word_units_map_character_spans_to_the_words_they_touch():
    text = "alpha beta  gamma\ndelta"  # words: alpha 0-5, beta 6-10, gamma 12-17, delta 18-23
    u = Units({"d": text})
    assert u.span("d", 0, 5) == ("d", 0, 1)
    assert u.span("d", 0, 3) == ("d", 0, 1)  # a part of a word counts as the word
    assert u.span("d", 8, 13) == ("d", 1, 3)  # "ta  g": beta and gamma
    assert u.span("d", 10, 12) == ("d", 2, 2)  # only spaces: no word
    assert u.span("d", 0, len(text)) == ("d", 0, 4)
    assert u.count("d", 6, 23) == 3


def test_char_units_are_offsets():
    assert Units({"d": "abc def"}, "char").span("d", 2, 5) == ("d", 2, 5)


def test_unknown_unit_is_a_config_error():
    with pytest.raises(ConfigError, match="word, char"):
        Units({}, "token")


def test_metrics_through_word_units_end_to_end():
    text = "one two three four five six seven eight nine ten"
    u = Units({"d": text})
    excerpt = u.span("d", text.index("three"), text.index("five") + 4)  # three four five
    chunk_a = u.span("d", 0, text.index("four") + 4)  # one .. four
    chunk_b = u.span("d", text.index("five"), len(text))  # five .. ten
    s = retrieval_scores([excerpt], [chunk_a])
    assert s == approx({"recall": 2 / 3, "precision": 2 / 4, "iou": 2 / (4 + 1)})
    omega, count = precision_omega([excerpt], [chunk_a, chunk_b])
    assert (omega, count) == (pytest.approx(3 / 10), 2)


# -- summaries ---------------------------------------------------------------------------------


def test_summary_has_chromas_keys_and_population_std():
    rows = [{"iou": 0.2, "recall": 1.0, "precision": 0.1, "omega": 0.5},
            {"iou": 0.4, "recall": 0.0, "precision": 0.3, "omega": 0.5}]
    s = summarize(rows)
    assert tuple(s) == CHROMA_KEYS
    assert s["iou_mean"] == pytest.approx(0.3) and s["iou_std"] == pytest.approx(0.1)
    assert s["recall_std"] == pytest.approx(0.5) and s["omega_std"] == 0.0


# -- differential: Chroma's algorithm, transcribed -------------------------------------------------
#
# A transcription of chunking_evaluation's BaseEvaluation._scores_from_dataset_and_retrievals and
# _full_precision_score (github.com/brandonstarxel/chunking_evaluation, evaluation_utils.py), character
# offsets, one corpus per question. sleuth's unit="char" must agree wherever the two differ by design
# neither (disjoint excerpts, no chunk merely touching an excerpt).


def _c_union(ranges):
    if not ranges:
        return []
    rs = sorted(ranges, key=lambda x: x[0])
    out = [rs[0]]
    for s, e in rs[1:]:
        ls, le = out[-1]
        if s <= le:
            out[-1] = (ls, max(le, e))
        else:
            out.append((s, e))
    return out


def _c_sum(ranges):
    return sum(e - s for s, e in ranges)


def _c_intersect(r1, r2):
    s, e = max(r1[0], r2[0]), min(r1[1], r2[1])
    return (s, e) if s <= e else None


def _c_difference(ranges, target):
    out = []
    ts, te = target
    for s, e in ranges:
        if e < ts or s > te:
            out.append((s, e))
        elif s < ts and e > te:
            out += [(s, ts), (te, e)]
        elif s < ts:
            out.append((s, ts))
        elif e > te:
            out.append((te, e))
    return out


def chroma_scores(refs, corpus_id, retrieved):
    numerator, unused = [], list(refs)
    for cs, ce, cid in retrieved:
        if cid != corpus_id:
            continue
        for rs, re_ in refs:
            inter = _c_intersect((cs, ce), (rs, re_))
            if inter is not None:
                unused = _c_difference(unused, inter)
                numerator = _c_union([inter] + numerator)
    num = _c_sum(numerator) if numerator else 0
    rec_d = _c_sum(refs)
    prec_d = _c_sum([(s, e) for s, e, _ in retrieved])
    iou_d = prec_d + _c_sum(unused)
    return {"recall": num / rec_d if rec_d else 0, "precision": num / prec_d if prec_d else 0,
            "iou": num / iou_d if iou_d else 0}


def chroma_omega(refs, corpus_id, chunks):
    numerator, denominator, unused = [], [], list(refs)
    for cs, ce, cid in chunks:
        if cid != corpus_id:
            continue
        for rs, re_ in refs:
            inter = _c_intersect((cs, ce), (rs, re_))
            if inter is not None:
                unused = _c_difference(unused, inter)
                numerator = _c_union([inter] + numerator)
                denominator = _c_union([(cs, ce)] + denominator)
    den = _c_union(denominator + unused)
    return _c_sum(numerator) / _c_sum(den) if numerator else 0


@st.composite
def cases(draw):
    n = 120
    cuts = sorted(set(draw(st.lists(st.integers(1, n - 1), min_size=1, max_size=12))))
    bounds = [0, *cuts, n]
    chunks_a = [(a, b, "a") for a, b in zip(bounds, bounds[1:])]
    chunks_b = [(a, b, "b") for a, b in zip(bounds, bounds[1:])]
    # disjoint excerpts whose ends avoid every chunk boundary (so nothing merely touches)
    inner = [x for x in range(1, n) if x not in bounds]
    pts = sorted(set(draw(st.lists(st.sampled_from(inner), min_size=2, max_size=6))))
    if len(pts) % 2:
        pts = pts[:-1]
    refs = [(pts[i], pts[i + 1]) for i in range(0, len(pts), 2) if pts[i + 1] - pts[i] > 1]
    refs = [r for i, r in enumerate(refs) if i == 0 or r[0] > refs[i - 1][1] + 1]
    pool = chunks_a + chunks_b
    retrieved = draw(st.lists(st.sampled_from(pool), max_size=6))
    return refs, chunks_a + chunks_b, retrieved


@settings(max_examples=300, deadline=None)
@given(cases())
def test_char_unit_metrics_agree_with_chromas_algorithm(case):
    refs, chunks, retrieved = case
    if not refs:
        return
    mine = retrieval_scores([("a", s, e) for s, e in refs], [(cid, s, e) for s, e, cid in retrieved])
    theirs = chroma_scores(refs, "a", retrieved)
    for key in ("recall", "precision", "iou"):
        assert math.isclose(mine[key], theirs[key], abs_tol=1e-12), (key, mine, theirs)
    omega, _ = precision_omega([("a", s, e) for s, e in refs], [(cid, s, e) for s, e, cid in chunks])
    assert math.isclose(omega, chroma_omega(refs, "a", chunks), abs_tol=1e-12)
