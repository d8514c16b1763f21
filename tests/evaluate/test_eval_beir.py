"""Loading BEIR queries and qrels: the fixture in tests/data/evaluate/mini, errors, and SciFact."""

from __future__ import annotations

from pathlib import Path

import pytest

from sleuth.errors import EvaluationError, FormatError
from sleuth.evaluate.beir import available_splits, check_consistency, load_qrels, load_queries
from sleuth.evaluate.metrics import evaluate_run

REPO_ROOT = Path(__file__).resolve().parents[2]
MINI = REPO_ROOT / "tests" / "data" / "evaluate" / "mini"
SCIFACT = REPO_ROOT.parent / "shared" / "data" / "scifact"


def test_load_queries():
    assert load_queries(MINI) == {
        "1": "what causes rust on iron",
        "2": "boiling point of water at altitude",
        "3": "numeric ids are read as strings",
        "4": "a query nobody judged",
    }


def test_load_qrels_keeps_score_zero_rows():
    assert load_qrels(MINI) == {"1": {"docA": 2, "docB": 0}, "2": {"docC": 1}, "3": {"docA": 1, "docD": 1}}
    assert load_qrels(MINI, "dev") == {"1": {"docB": 1}, "9": {"docZ": 0}}


def test_available_splits(tmp_path):
    assert available_splits(MINI) == ["dev", "test"]
    assert available_splits(tmp_path) == []


def test_qrels_without_header(tmp_path):
    _write(tmp_path / "qrels" / "test.tsv", "1\tdocA\t1\r\n2\tdocB\t0\r\n")
    assert load_qrels(tmp_path) == {"1": {"docA": 1}, "2": {"docB": 0}}


def test_check_consistency():
    assert check_consistency(load_queries(MINI), load_qrels(MINI)) == []
    assert check_consistency(load_queries(MINI), load_qrels(MINI, "dev")) == [
        "1 judged query has no text in the queries (e.g. '9'); they cannot be run and score 0.",
        "1 judged query has no relevant document (e.g. '9'); they score 0 on every metric.",
    ]
    many = {f"q{i}": {"d": 1} for i in range(12)}
    assert check_consistency({}, many)[0].startswith(
        "12 judged queries have no text in the queries (e.g. 'q0', 'q1', 'q10')"
    )
    assert check_consistency({}, {}) == ["The qrels hold no judgments: there is nothing to evaluate."]


def test_missing_qrels_split_lists_available_ones():
    with pytest.raises(EvaluationError) as info:
        load_qrels(MINI, "train")
    assert str(info.value) == (
        f"No qrels for split 'train': {MINI / 'qrels' / 'train.tsv'} does not exist. Available splits: dev, test."
    )


def test_missing_qrels_directory(tmp_path):
    with pytest.raises(EvaluationError) as info:
        load_qrels(tmp_path)
    assert str(info.value) == (
        f"No qrels for split 'test': {tmp_path / 'qrels' / 'test.tsv'} does not exist. "
        f"{tmp_path / 'qrels'} holds no <split>.tsv file."
    )


def test_missing_queries_file(tmp_path):
    with pytest.raises(EvaluationError, match="No queries file: .*queries.jsonl does not exist"):
        load_queries(tmp_path)


@pytest.mark.parametrize(
    ("content", "line", "what"),
    [
        ("query-id\tcorpus-id\tscore\n1\tdocA\t1\n1 docB 1\n", 3, "expected 3 tab-separated fields, found 1."),
        ("1\tdocA\t1\n2\tdocB\t1\textra\n", 2, "expected 3 tab-separated fields, found 4."),
        ("1\tdocA\thigh\n", 1, "score 'high' is not an integer."),
        ("1\tdocA\t1.0\n", 1, "score '1.0' is not an integer."),
        ("qid\tdocid\trel\n", 1, "score 'rel' is not an integer."),
        ("1\t\t1\n", 1, "empty query id or corpus id."),
        ("1\tdocA\t1\n1\tdocA\t0\n", 2, "query '1', document 'docA' is judged twice."),
    ],
)
def test_malformed_qrels(tmp_path, content, line, what):
    path = tmp_path / "qrels" / "test.tsv"
    _write(path, content)
    with pytest.raises(FormatError) as info:
        load_qrels(tmp_path)
    assert (info.value.path, info.value.line) == (str(path), line)
    assert str(info.value).startswith(f"{path}:{line}: {what}")


@pytest.mark.parametrize(
    ("content", "line", "what"),
    [
        ('{"_id": "1", "text": "ok"}\n{"_id": "2", "text": \n', 2, "not valid JSON"),
        ('["1", "text"]\n', 1, "not a JSON object."),
        ('{"text": "no id"}\n', 1, 'missing or empty "_id".'),
        ('{"_id": "", "text": "empty id"}\n', 1, 'missing or empty "_id".'),
        ('{"_id": "1", "title": "no text"}\n', 1, 'query 1 has no string "text".'),
        ('{"_id": "1", "text": "a"}\n\n{"_id": "1", "text": "b"}\n', 3, "duplicate query id '1'."),
    ],
)
def test_malformed_queries(tmp_path, content, line, what):
    path = tmp_path / "queries.jsonl"
    _write(path, content)
    with pytest.raises(FormatError) as info:
        load_queries(tmp_path)
    assert (info.value.path, info.value.line) == (str(path), line)
    assert str(info.value).startswith(f"{path}:{line}: {what}")


@pytest.mark.shared
def test_scifact_counts():
    if not (SCIFACT / "queries.jsonl").is_file():
        pytest.skip(f"{SCIFACT} is absent")
    queries = load_queries(SCIFACT)
    qrels = load_qrels(SCIFACT, "test")
    assert len(queries) == 1109
    assert len(qrels) == 300
    assert sum(len(judged) for judged in qrels.values()) == 339
    assert available_splits(SCIFACT) == ["test", "train"]
    assert check_consistency(queries, qrels) == []
    oracle = {qid: {doc: float(grade) for doc, grade in judged.items()} for qid, judged in qrels.items()}
    assert evaluate_run(qrels, oracle) == pytest.approx({"ndcg@10": 1.0, "recall@100": 1.0, "mrr@10": 1.0, "map": 1.0})


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8"))
