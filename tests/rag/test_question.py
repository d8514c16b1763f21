"""What a question asks for: kinds, focus words, names, and whether a document mentions a name."""

import pytest

from sleuth.rag.question import analyze, compact, entities, is_question, mentions


@pytest.mark.parametrize(("question", "kind", "focus"), [
    ("How many passages does the corpus contain?", "number", ("passages",)),
    ("What batch size was used to train the model?", "number", ("batch", "size")),
    ("By what factor does the system raise throughput?", "number", ("factor",)),
    ("How long an input, in tokens, do code models take?", "number", ("input",)),
    ("Which similarity-search library indexes the embeddings?", "name", ("similarity-search", "library", "indexes")),
    ("What kind of syntax-based splitting does SEA use?", "name", ("syntax-based", "splitting")),
    ("Who proposed the method?", "name", ()),
    ("Why does BM25 win on SQuAD?", "reason", ()),
    ("How does the cache get smaller?", "means", ()),
    ("How can a model be aligned without a reward model?", "means", ()),
    ("Compare the datasets used by retrieval papers", "compare", ("datasets", "retrieval")),
    ("Which papers report speedups from speculative decoding?", "compare", ("speedups",)),
    ("What is SimPO?", "other", ()),
    ("Aspirin lowers the risk of stroke.", "other", ()),
])
def test_kinds_and_focus(question, kind, focus):
    q = analyze(question)
    assert (q.kind, q.focus) == (kind, focus)


def test_a_subordinate_when_does_not_make_a_date_question():
    # "When X is done, what accuracy ..." asks for a number with the focus "accuracy", not a year.
    q = analyze("When the model is fine-tuned, what accuracy does it reach?")
    assert (q.kind, q.focus) == ("number", ("accuracy",))
    assert analyze("When was BERT released?").focus == ("year",)


def test_what_a_comparison_asks_each_paper_for():
    assert analyze("Which papers report speedups from speculative decoding?").asks == "number"
    assert analyze("Compare the datasets used by retrieval papers").asks == "name"
    assert analyze("How many passages are there?").asks == "number"


def test_entities():
    assert entities("What ROUGE-1 score does GPT-3 get on Multi-LexSum?") == ("ROUGE-1", "GPT-3", "Multi-LexSum")
    assert entities("How many judgements from the U.S. Supreme Court are there?") == ("U.S. Supreme Court",)
    assert entities("How do LLM-written summaries compare?") == ("LLM",)  # the lower-case half is not a name
    assert entities("What happened in 2013 at ICDAR?") == ("2013", "ICDAR")
    assert entities("Which optimizer does it replace?") == ()  # the opening capital is not a name
    assert entities("What is the US rate?") == ()  # names under 3 letters are too ambiguous


def test_mentions_survives_split_small_caps_and_plurals():
    assert mentions("We use S CIENCE P ARSE to extract titles.", "Science Parse")
    assert mentions("Several LLMs were asked.", "LLM")
    assert not mentions("The adprox tool.", "DPR")  # 3-letter names must stand alone
    assert mentions("DeepSeekMoE scales to 16B parameters.", "DeepSeekMoE 16B")  # every word, anywhere
    assert not mentions("The European Court of Human Rights.", "Supreme Court")
    assert compact("Multi-LexSum") == "multilexsum"


def test_is_question():
    assert is_question("What is it?") and is_question("how does it work") and is_question("Compare the two")
    assert not is_question("4-PBA treatment decreases stress.")
