"""The text-quality checks behind ``sleuth synth``: made-up extraction junk and reference lists never
become questions (the shared PDFs' junk may be gone once extraction improves; these cases stay)."""

from __future__ import annotations

import random

import pytest

from sleuth.evaluate.quality import (
    body_sentence,
    dictionary_like,
    dictionary_share,
    looks_like_reference,
    query_problem,
    reference_start,
)
from sleuth.evaluate.synth import synthesize
from sleuth.types import Document


@pytest.mark.parametrize("word", ["retrieval", "Retrieval", "state-of-the-art", "(dense),", "Überprüfung",
                                  "самое", "naïve", "“quoted”"])
def test_dictionary_like_words(word: str) -> None:
    assert dictionary_like(word)


@pytest.mark.parametrize("word", ["REm", "nodeRNN", "RVp", "ΨEm", "LSTM", "LSTM-3LR", "BM25", "β0", "understud-",
                                  "x", "g(K21", "SQuAD", "grrrt", "αβc", "−∆Vth", "q1:t"])
def test_not_dictionary_like(word: str) -> None:
    assert not dictionary_like(word)


def test_queries_must_be_mostly_words() -> None:
    assert query_problem("REm nodeRNN RVp ΨEm ERD LSTM-3LR struggle") == "junk"  # the example
    assert query_problem("NQ TriviaQA WQ SQuAD Question Passage BM25") == "junk"  # a table header
    assert query_problem("β0 g(K21 K91,σ)(−∆Vth 2(Vov,9)2") == "junk"          # an equation
    assert query_problem("retrieval") == "junk"                                 # one word is not a query
    assert query_problem("contrastive learning for dense retrieval") is None
    assert query_problem("dense passage retriever BM25 top-k baselines") is None  # 2/3 words is enough
    assert dictionary_share("") == 0.0


def test_reference_entries_and_body_citations() -> None:
    assert looks_like_reference("Karpukhin, V., Oguz, B. 2020. Dense passage retrieval. In Proceedings of EMNLP.")
    assert looks_like_reference("Vladimir Karpukhin and Barlas Oguz. 2020. Dense passage retrieval. arXiv preprint.")
    assert not looks_like_reference("Smith et al. (2020) showed that dense retrieval beats sparse retrieval.")
    assert not looks_like_reference("We trained the model for 2020 steps on the new corpus.")
    assert body_sentence("Smith et al. (2020) showed that dense retrieval beats sparse retrieval.")
    assert not body_sentence("REm nodeRNN RVp ΨEm ERD LSTM-3LR struggle with the inputs xT3 yQ7 zR9.")
    text = "Body text here.\n\nReferences\nA. Author. 2020. A paper. In Proceedings.\n"
    assert text[reference_start(text):].startswith("References")
    assert reference_start("No heading in this one.") == len("No heading in this one.")


_WORDS = ("glacier meltwater slides faster summer basal sliding ice sheet flow velocity measured radar "
          "survey bedrock friction drainage channels seasonal acceleration thickness").split()


def _junky_paper(i: int, rng: random.Random) -> Document:
    """Body sentences of words, a symbol-soup 'equation' of rare tokens in every paragraph, and a
    reference list: the rare tokens make the junk the most salient text by IDF."""
    body = []
    for j in range(6):
        body.append(" ".join(rng.choice(_WORDS) for _ in range(14)).capitalize() + f" paper{i}x{j}.")
        body.append(f"REm{i}{j} nodeRNN{j} RVp{i} ΨEm{j} ERD{i}{j} LSTM-3LR{j} K{i}{j}β0 g(K2{j},σ) Vth{i}{j} qX{j}.")
    refs = [f"Author{i}{k}, J. 20{10 + k}. Glacier sliding paper number {k}. In Proceedings of the Ice Conference."
            for k in range(5)]
    text = "\n".join(body) + "\n\nReferences\n" + "\n".join(refs)
    return Document(f"p{i}", text, f"Paper {i}")


def test_synth_makes_no_question_from_junk_or_references() -> None:
    rng = random.Random(3)
    docs = [_junky_paper(i, rng) for i in range(12)]
    result = synthesize(docs, 30, seed=0)
    assert result.questions, "some body sentences must still make questions"
    texts = {d.doc_id: d.text for d in docs}
    for q in result.questions:
        assert query_problem(q.question) is None, q.question
        for r in q.references:
            assert r.start < reference_start(texts[r.doc_id]), r.content  # never from the reference list
            assert body_sentence(r.content), r.content
