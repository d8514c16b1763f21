"""eval-answers on the fixture: every figure is computed and the memory never serves a wrong answer."""

from support import ROOT

from sleuth.evaluate.answers import evaluate_answers, paraphrases

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"
OOD = ROOT / "tests" / "data" / "answers" / "ood"


def test_paraphrases_keep_the_claim():
    assert paraphrases("Bees make honey.") == [
        "bees make honey", "Is it true that bees make honey?", "What does the literature say about this: Bees make honey."]


def test_eval_answers_on_the_fixture(tmp_path):
    r = evaluate_answers(BEIR, ood_dir=OOD, collection_dir=tmp_path / "c", memory_stream=5)
    assert r["queries"] == 7
    assert r["cited_recall@3"] >= 0.7 and r["cited_precision"] >= 0.8
    assert r["abstention_accuracy"] == 1.0 and r["answered"] >= 0.7  # "the queen" is too vague to answer
    assert r["support_rate"] == 1.0  # extractive sentences are quotes
    assert set(r["ablation"]) >= {"retrieval only", "+ rewriter (PRF)", "+ filter", "full pipeline (rewriter + filter + reader)"}
    m = r["memory"]
    assert m["false_hits"] == 0 and m["hits"] >= 5  # every verbatim repeat at least
    assert m["repeat_ms_median"] is not None  # speed itself is reported by the benchmark, not asserted
