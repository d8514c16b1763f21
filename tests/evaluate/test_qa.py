"""The PDF QA format of `sleuth eval-answers`: term matching, the five columns, a small end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sleuth.errors import FormatError
from sleuth.evaluate.qa import columns, evaluate_qa, has_term, load_qa, normalize


def test_terms_match_through_marks_ligatures_dashes_and_thousands() -> None:
    assert has_term("a total of **40** minutes of reading", ("40 minutes",))
    assert has_term("the ﬁrst release", ("first release",))  # NFKC undoes the ligature
    assert has_term("trained on 1,000,000 pairs", ("1000000",))
    assert has_term("a GPT\u20112 model", ("gpt-2",))
    assert not has_term("forty minutes", ("40 minutes",))
    assert normalize("  Two\n  LINES ") == "two lines"


def test_columns_by_hand() -> None:
    answerable = [
        {"answer_term": 1, "right_paper": 1, "answered": 1, "page": 1, "evidence_page": 3},
        {"answer_term": 0, "right_paper": 1, "answered": 1, "page": 0, "evidence_page": 5},
        {"answer_term": 0, "right_paper": 0, "answered": 0, "page": 0, "evidence_page": None},
        {"answer_term": 1, "right_paper": 1, "answered": 1, "page": 1, "evidence_page": 2},
    ]
    got = columns(answerable, [{"declined": 1}, {"declined": 0}])
    assert got == {"answer_term": 0.5, "right_paper": 0.75, "answered": 0.75, "declined": 0.5, "page": 0.6667}
    assert columns([], [])["declined"] is None


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    p = tmp_path / "qa.jsonl"
    p.write_text(json.dumps({"id": "q1", "question": "How hot?", "file": "a.md"}) + "\n")
    with pytest.raises(FormatError, match="answer_terms"):
        load_qa(p)


def test_evaluate_qa_end_to_end(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "oven.md").write_text("# Baking bread\n\nThe dough rises for two hours. The oven then reaches 250 degrees "
                                  "Celsius, and the loaf bakes for forty minutes until the crust is dark.\n")
    (docs / "tides.md").write_text("# Tides\n\nThe moon pulls the oceans, so the tides rise and fall twice a day.\n")
    with (tmp_path / "qa.jsonl").open("w") as f:
        f.write(json.dumps({"id": "q1", "question": "What temperature does the oven reach when baking bread?",
                            "file": "oven.md", "answer_terms": ["250 degrees"], "page": None, "kind": "number"}) + "\n")
        f.write(json.dumps({"id": "q2", "question": "How often do the tides rise and fall?",
                            "file": "tides.md", "answer_terms": ["twice a day"], "kind": "how"}) + "\n")
    (tmp_path / "unanswerable.jsonl").write_text(json.dumps({"id": "u1", "question": "Who painted the Mona Lisa?"}) + "\n")
    r = evaluate_qa(tmp_path, docs=docs, ablation=False)
    assert (r["documents"], r["answerable"], r["unanswerable"]) == (2, 2, 1)
    assert r["answer_term"] == 1.0 and r["right_paper"] == 1.0 and r["answered"] == 1.0, r["questions"]
    assert r["declined"] == 1.0, r["questions"]
    assert r["page"] is None  # no question gives a page
    assert set(r["by_kind"]) == {"number", "how"}
