"""TREC run files: exact output, round trip, and malformed input."""

from __future__ import annotations

import pytest

from sleuth.errors import FormatError, InputError
from sleuth.evaluate.metrics import evaluate_run
from sleuth.evaluate.runfile import read_trec_run, write_trec_run

RUN = {
    "q2": {"b": 0.5, "a": 0.5, "c": 1e-05},
    "q10": {"x": 3.0, "y": -1.25, "z": 0.1 + 0.2},
}


def test_written_format(tmp_path):
    path = tmp_path / "runs" / "bm25.trec"
    write_trec_run(RUN, path, tag="bm25")
    # Queries in sorted id order; ranks from 1; the a/b tie goes by doc id descending as trec_eval.
    assert path.read_text(encoding="utf-8") == (
        "q10 Q0 x 1 3.0 bm25\n"
        "q10 Q0 z 2 0.30000000000000004 bm25\n"
        "q10 Q0 y 3 -1.25 bm25\n"
        "q2 Q0 b 1 0.5 bm25\n"
        "q2 Q0 a 2 0.5 bm25\n"
        "q2 Q0 c 3 1e-05 bm25\n"
    )


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "run.trec"
    write_trec_run(RUN, path)
    assert read_trec_run(path) == RUN
    qrels = {"q2": {"a": 1}, "q10": {"y": 2, "z": 0}}
    assert evaluate_run(qrels, read_trec_run(path)) == evaluate_run(qrels, RUN)


def test_depth_keeps_the_top_documents(tmp_path):
    path = tmp_path / "run.trec"
    write_trec_run(RUN, path, depth=1)
    assert read_trec_run(path) == {"q10": {"x": 3.0}, "q2": {"b": 0.5}}


@pytest.mark.parametrize(
    ("run", "tag", "depth", "message"),
    [
        ({"q": {"a": 1.0}}, "my run", 10, "The run tag 'my run' is empty or contains whitespace."),
        ({"q": {"a b": 1.0}}, "t", 10, "The document id 'a b' is empty or contains whitespace."),
        ({"": {"a": 1.0}}, "t", 10, "The query id '' is empty or contains whitespace."),
        ({"q": {"a": 1.0}}, "t", 0, "Run depth must be at least 1, got 0."),
    ],
)
def test_unwritable_runs(tmp_path, run, tag, depth, message):
    with pytest.raises(InputError) as info:
        write_trec_run(run, tmp_path / "run.trec", tag=tag, depth=depth)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("content", "line", "what"),
    [
        ("q1 Q0 d1 1 0.5 t\nq1 Q0 d2 2 0.4\n", 2, "expected 6 columns, found 5."),
        ("q1 Q0 d1 1 high t\n", 1, "score 'high' is not a number."),
        ("q1 Q0 d1 0.93 1 t\n", 1, "rank '0.93' is not an integer."),
        ("q1 Q0 d1 1 nan t\n", 1, "score is NaN."),
        ("q1 Q0 d1 1 0.5 t\n\nq1 Q0 d1 2 0.4 t\n", 3, "document 'd1' appears twice for query 'q1'."),
    ],
)
def test_malformed_run_file(tmp_path, content, line, what):
    path = tmp_path / "run.trec"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_trec_run(path)
    assert str(info.value).startswith(f"{path}:{line}: {what}")


def test_missing_run_file(tmp_path):
    with pytest.raises(InputError, match="No run file: .*nope.trec does not exist"):
        read_trec_run(tmp_path / "nope.trec")
