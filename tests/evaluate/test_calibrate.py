"""Per-collection abstention: the threshold rule by hand, and `sleuth index` choosing and storing it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sleuth.cli.main import cli
from sleuth.evaluate.calibrate import MIN_PASSAGES, choose_threshold, foreign_questions, needs_calibration
from sleuth.store.embedded.collection import Collection
from sleuth.store.embedded.meta import read_meta, write_key


def test_threshold_is_the_lower_of_the_two_quantiles() -> None:
    foreign = np.linspace(0.0, 1.0, 101)  # 95th percentile: 0.95
    synthetic = np.linspace(0.5, 1.5, 101)  # 2nd percentile: 0.52
    assert choose_threshold(foreign, synthetic) == 0.52
    assert choose_threshold(foreign * 0.5, synthetic) == 0.475  # foreign questions now bind


def test_shipped_foreign_questions_are_questions() -> None:
    qs = foreign_questions()
    assert len(qs) >= 100 and len(set(qs)) == len(qs)
    assert all(q.endswith("?") for q in qs)


def test_write_key_keeps_meta_checksummed_and_refuses_other_keys(tmp_path: Path) -> None:
    with Collection.create(tmp_path / "c") as col:
        pass
    write_key(col.directory, "abstention", {"threshold": 0.4})
    assert read_meta(col.directory)["abstention"] == {"threshold": 0.4}  # read_meta verifies the checksum
    with pytest.raises(ValueError, match="settings"):
        write_key(col.directory, "settings", {})


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cal")
    topics = ["volcanic eruptions and lava flows", "honeybee colonies and nectar", "tidal forces of the moon",
              "sourdough bread fermentation", "chess openings and endgames", "glacier retreat in the alps"]
    with (root / "docs.jsonl").open("w") as f:
        for i in range(30):
            t = topics[i % len(topics)]
            f.write(json.dumps({"_id": f"d{i}", "title": f"Notes on {t} ({i})",
                                "text": f"This note {i} is about {t}. It explains {t} with example number {i * 7}, "
                                        f"and how {t.split()[0]} changes over the years {1990 + i} to {2000 + i}."}) + "\n")
    r = CliRunner().invoke(cli, ["index", str(root / "docs.jsonl"), "-c", str(root / "col"), "--no-progress"])
    assert r.exit_code == 0, r.output
    return root / "col"


def test_index_calibrates_a_new_collection_and_stats_shows_it(calibrated: Path) -> None:
    meta = read_meta(calibrated)
    a = meta["abstention"]
    assert a["passages"] >= MIN_PASSAGES and 0 < a["foreign"]["questions"] and 0 < a["synthetic"]["questions"]
    assert -1.0 <= a["threshold"] <= 1.0
    r = CliRunner().invoke(cli, ["stats", "-c", str(calibrated)])
    assert f"abstains   below relevance {a['threshold']:.3f}" in r.output
    with Collection.open(calibrated, readonly=True) as col:
        assert not needs_calibration(col)  # re-checked only when it grows or shrinks by half


def test_ask_declines_a_foreign_question_and_says_why(calibrated: Path) -> None:
    r = CliRunner().invoke(cli, ["ask", "Who won the football world cup in 1998?", "-c", str(calibrated), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["abstained"], out["text"]
    why = out["abstention"]
    assert why["reason"] in ("low-relevance", "not-mentioned"), why
    r = CliRunner().invoke(cli, ["ask", "Who won the football world cup in 1998?", "-c", str(calibrated), "--json",
                                 "--min-relevance", "-1", "--no-memory"])
    forced = json.loads(r.output)
    assert forced["abstention"] is None or forced["abstention"]["reason"] != "low-relevance"


def test_index_keeps_the_default_when_no_synthetic_question_can_be_made(tmp_path: Path) -> None:
    lines = [json.dumps({"_id": f"d{i}", "text": f"glaciers and tides {i}"}) for i in range(30)]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(cli, ["index", str(tmp_path / "docs.jsonl"), "-c", str(tmp_path / "c"), "--no-progress",
                                 "--chunk-size", "50"])
    assert r.exit_code == 0, r.output
    assert "abstention" not in read_meta(tmp_path / "c")
