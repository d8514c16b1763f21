"""Questions from one passage (sleuth.evaluate.synth_questions): generator replies, their filters, answer spans."""

from __future__ import annotations

import pytest

from sleuth.chunking.splitters import sentence_spans
from sleuth.evaluate.synth_questions import check_generated, locate_answer, parse_reply
from sleuth.text import Analyzer
from sleuth.types import Document


DOC = Document("w", "The Fresnel lens was invented in 1822. It focuses the light of one lamp into a beam. "
                    "Keepers have gone from most lighthouses.", "Lighthouses")
PASSAGE = sentence_spans(DOC.text)


def test_passage_fixture_is_sentences():
    assert [DOC.text[a:b] for a, b in PASSAGE] == [
        "The Fresnel lens was invented in 1822.", "It focuses the light of one lamp into a beam.",
        "Keepers have gone from most lighthouses."]


@pytest.mark.parametrize(("reply", "expected"), [
    ("Question: When was the Fresnel lens invented?\nAnswer: 1822", ("When was the Fresnel lens invented?", "1822")),
    ("**Question:** What does it focus\n**Answer:** the light of one lamp.", ("What does it focus?", "the light of one lamp")),
    ("question 1: Who left?\n\nanswer 1: Keepers", ("Who left?", "Keepers")),
    ("The lens is nice.", None),
    ("Question: What?", None),
    ("", None),
])
def test_parse_reply(reply, expected):
    assert parse_reply(reply) == expected


@pytest.mark.parametrize(("reply", "reason"), [
    ("I cannot help with that.", "unparsable"),
    ("Question: Lens?\nAnswer: 1822", "malformed"),
    ("Question: 1822 1822 1822 1822?\nAnswer: 1822", "malformed"),
    ("Question: What does the lens do to the light?\nAnswer: up to 2x up to 2x up to 2x", "malformed"),
    ("Question: What is the answer is the answer is the answer?\nAnswer: a beam", "malformed"),
    ("Question: What does the lens do?\nAnswer: " + "it focuses the light of one lamp " * 6, "malformed"),
    ("Question: The Fresnel lens was invented in 1822\nAnswer: 1822", "copied"),
    ("Question: When was the telescope invented by Galileo?\nAnswer: in 1609", "unsupported"),
    ("Question: What does the lens focus into a beam?\nAnswer: light lamps", "unsupported"),  # 2 terms: too few to fuzz
    ("Question: Was the Fresnel lens invented in 1822?\nAnswer: invented in 1822", "leaked"),
    ("Question: What is the number you remember here?\nAnswer: 1822", "off-topic"),
])
def test_junk_replies_are_filtered_with_a_reason(reply, reason):
    q, why = check_generated(reply, DOC, PASSAGE, Analyzer())
    assert q is None and why == reason


def test_a_good_reply_gets_the_sentence_holding_its_answer_as_excerpt():
    q, why = check_generated("Question: What does the lens focus into a beam?\nAnswer: the light of one lamp",
                             DOC, PASSAGE, Analyzer())
    assert why is None and q is not None
    assert [r.content for r in q.references] == ["It focuses the light of one lamp into a beam."]
    assert q.answer == "the light of one lamp" and q.method == "generator"


def test_answer_across_two_sentences_yields_both():
    where = locate_answer("beam. Keepers have gone", DOC.text, PASSAGE, Analyzer())
    assert where == [PASSAGE[1], PASSAGE[2]]


def test_answer_found_by_terms_when_not_verbatim():
    assert locate_answer("lamp light focused", DOC.text, PASSAGE, Analyzer()) == [PASSAGE[1]]
    assert locate_answer("purple elephants", DOC.text, PASSAGE, Analyzer()) is None
