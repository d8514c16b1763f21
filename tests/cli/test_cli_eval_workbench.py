"""The evaluation workbench through the CLI: ``sleuth synth``, ``sleuth eval chunking``, ``--report``
and ``--compare`` (and that ``sleuth eval DATA_DIR`` still works as before)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from browser import image_report, open_page, screenshot
from click.testing import CliRunner, Result

from sleuth.cli.main import cli

DATA = Path(__file__).resolve().parents[1] / "data"
BEIR = DATA / "cli" / "beir-mini"
WORKBENCH = DATA / "workbench"
CHROMA_KEYS = {"iou_mean", "iou_std", "recall_mean", "recall_std", "precision_mean", "precision_std",
               "omega_mean", "omega_std"}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLEUTH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLEUTH_COLLECTION", raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: Any, ok: bool = True) -> Result:
    result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def run_json(runner: CliRunner, *args: Any) -> Any:
    return json.loads(run(runner, *args, "--json").stdout)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def synth_set(runner: CliRunner, tmp_path: Path) -> Path:
    out = tmp_path / "set"
    run(runner, "synth", WORKBENCH / "corpus.jsonl", "--out", out, "-n", "12", "--seed", "1", "--no-progress")
    return out


# -- synth ---------------------------------------------------------------------------------------


def test_synth_from_paths_json(runner: CliRunner, tmp_path: Path) -> None:
    out = run_json(runner, "synth", WORKBENCH / "corpus.jsonl", "--out", tmp_path / "s", "-n", "5", "--seed", "2")
    assert out["questions"] == 5 and out["method"] == "heuristic" and out["seed"] == 2
    assert set(out["paths"]) == {"corpus", "queries", "qrels", "spans", "manifest"}
    for line in (tmp_path / "s" / "spans.jsonl").read_text().splitlines():
        rec = json.loads(line)
        assert {"query_id", "question", "answer", "method", "references"} <= rec.keys()
        assert {"doc_id", "start_index", "end_index", "content"} == rec["references"][0].keys()


def test_synth_from_a_collection(runner: CliRunner, tmp_path: Path) -> None:
    col = tmp_path / "col"
    run(runner, "index", WORKBENCH / "corpus.jsonl", "-c", col, "--no-progress", "--json")
    from_col = run_json(runner, "synth", "-c", col, "--out", tmp_path / "a", "-n", "6")
    run_json(runner, "synth", WORKBENCH / "corpus.jsonl", "--out", tmp_path / "b", "-n", "6")
    assert from_col["documents"] == 10
    # the same documents give the same questions, whether read from files or from the collection
    assert (tmp_path / "a" / "spans.jsonl").read_text() == (tmp_path / "b" / "spans.jsonl").read_text()


def test_synth_output_is_a_beir_dataset_for_sleuth_eval(runner: CliRunner, synth_set: Path) -> None:
    out = run_json(runner, "eval", synth_set)
    assert out["queries"] == 12 and out["documents"] == 10
    assert out["recall@100"] == 1.0 and out["ndcg@10"] > 0.8  # keyword queries find their document


def test_synth_refuses_to_overwrite_other_data(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "beir"
    shutil.copytree(BEIR, target)
    result = run(runner, "synth", WORKBENCH / "corpus.jsonl", "--out", target, ok=False)
    assert result.exit_code == 1 and "not written by sleuth synth" in flat(result.stderr)
    assert (target / "queries.jsonl").read_text() == (BEIR / "queries.jsonl").read_text()


def test_synth_unknown_generator_is_a_friendly_error(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "synth", WORKBENCH / "corpus.jsonl", "--out", tmp_path / "s", "--generator", "smollm", ok=False)
    assert result.exit_code == 1 and "error:" in result.stderr and "Traceback" not in result.output


# -- eval chunking -------------------------------------------------------------------------------


def test_eval_chunking_json_has_chromas_keys(runner: CliRunner, synth_set: Path) -> None:
    out = run_json(runner, "eval", "chunking", synth_set, "--retriever", "bm25", "--chunker", "fixed",
                   "--chunker", "recursive", "--size", "10", "--size", "40", "-k", "3")
    assert (out["questions"], out["documents"], out["k"], out["retriever"], out["unit"]) == (12, 10, 3, "bm25", "word")
    labels = [r["label"] for r in out["results"]]
    assert labels == ["fixed-10", "fixed-40", "recursive-10", "recursive-40"]
    for r in out["results"]:
        assert CHROMA_KEYS <= r.keys() and CHROMA_KEYS == set(r["stats"])
        assert all(0.0 <= r[k] <= 1.0 for k in CHROMA_KEYS)
    by = {r["label"]: r for r in out["results"]}
    # the direction the literature reports: smaller chunks, higher precision and IoU, lower recall
    assert by["fixed-10"]["precision_mean"] > by["fixed-40"]["precision_mean"]
    assert by["fixed-10"]["iou_mean"] > by["fixed-40"]["iou_mean"]
    assert by["fixed-10"]["recall_mean"] < by["fixed-40"]["recall_mean"]


def test_eval_chunking_dense_with_overlap_and_config(runner: CliRunner, synth_set: Path) -> None:
    out = run_json(runner, "eval", "chunking", synth_set, "--chunker", "fixed", "--size", "20",
                   "--overlap", "0", "--overlap", "0.5", "--config", "semantic:30", "-k", "2")
    assert [r["label"] for r in out["results"]] == ["fixed-20", "fixed-20/10", "semantic-30"]
    assert out["encoder"].startswith("sentence-transformers/all-MiniLM-L6-v2")
    assert out["results"][1]["chunks"] > out["results"][0]["chunks"]


def test_eval_chunking_report_and_compare(runner: CliRunner, synth_set: Path, tmp_path: Path) -> None:
    rep = tmp_path / "rep"
    result = run(runner, "eval", "chunking", synth_set, "--retriever", "bm25", "--chunker", "fixed",
                 "--size", "8", "--size", "64", "--compare", "--report", rep, "--no-progress")
    text = flat(result.stdout)
    assert "fixed-8" in text and "fixed-64" in text and "no correction for multiple comparisons" in text
    assert (rep / "report.html").is_file() and (rep / "report.md").is_file() and (rep / "report.json").is_file()
    data = json.loads((rep / "report.json").read_text())
    assert data["comparison"]["baseline"] == "fixed-8" and data["command"].startswith("sleuth ")
    with open_page((rep / "report.html").as_uri()) as page:
        imgs = image_report(page)
        assert len(imgs) == 3 and all(i["complete"] and i["width"] > 0 for i in imgs)
        assert page.blocked_requests == []
        screenshot(page, "eval-chunking-report")


def test_eval_chunking_needs_spans(runner: CliRunner) -> None:
    result = run(runner, "eval", "chunking", BEIR, ok=False)
    assert result.exit_code == 1
    err = flat(result.stderr)
    assert "No spans.jsonl" in err and "sleuth synth" in err


def test_eval_chunking_bad_config(runner: CliRunner, synth_set: Path) -> None:
    result = run(runner, "eval", "chunking", synth_set, "--config", "fixed-100", ok=False)
    assert result.exit_code == 1 and "NAME:SIZE[:OVERLAP]" in flat(result.stderr)
    result = run(runner, "eval", "chunking", synth_set, "--chunker", "sentense", ok=False)
    assert result.exit_code == 1 and "Did you mean 'sentence'" in flat(result.stderr)


def test_eval_chunking_rejects_a_spans_file_that_does_not_match(runner: CliRunner, synth_set: Path) -> None:
    spans = synth_set / "spans.jsonl"
    rec = json.loads(spans.read_text().splitlines()[0])
    rec["references"][0]["start_index"] += 1
    spans.write_text(json.dumps(rec) + "\n")
    result = run(runner, "eval", "chunking", synth_set, ok=False)
    assert result.exit_code == 1 and "does not hold its content" in flat(result.stderr)


# -- eval (retrieval): unchanged default, --compare, --report ------------------------------------


def test_eval_default_subcommand_is_retrieval(runner: CliRunner) -> None:
    a, b = run_json(runner, "eval", BEIR), run_json(runner, "eval", "retrieval", BEIR)
    quality = ("ndcg@10", "recall@100", "mrr@10", "map", "queries", "documents", "pipeline", "split")
    assert {k: a[k] for k in quality} == {k: b[k] for k in quality}
    assert set(a) == set(b)


def test_eval_help_mentions_both_evaluations(runner: CliRunner) -> None:
    text = run(runner, "eval", "--help").stdout
    for opt in ("--pipeline", "--split", "--depth", "--run-file", "--json", "--report", "--compare", "chunking"):
        assert opt in text
    chunk_help = run(runner, "eval", "chunking", "--help").stdout
    for opt in ("--chunker", "--size", "--overlap", "--config", "-k", "--retriever", "--unit", "--report"):
        assert opt in chunk_help
    assert "synth" in run(runner, "--help").stdout
    assert "--generator" in run(runner, "synth", "--help").stdout


def test_compare_identical_pipelines_finds_no_difference(runner: CliRunner) -> None:
    out = run_json(runner, "eval", BEIR, "--pipeline", "bm25", "--pipeline", "bm25", "--compare")
    assert [r["pipeline"] for r in out["results"]] == ["bm25", "bm25"]
    cmp = out["comparison"]
    assert cmp["baseline"] == "bm25" and cmp["test"] == "randomization" and cmp["alpha"] == 0.05
    assert {r["system"] for r in cmp["rows"]} == {"bm25-2"}
    assert all(r["delta"] == 0 and r["p_value"] == 1.0 and not r["significant"] for r in cmp["rows"])


def test_compare_needs_two_pipelines(runner: CliRunner) -> None:
    result = run(runner, "eval", BEIR, "--compare", ok=False)
    assert result.exit_code == 1 and "at least two pipelines" in flat(result.stderr)


def test_eval_report_with_compare(runner: CliRunner, tmp_path: Path) -> None:
    rep = tmp_path / "rep"
    result = run(runner, "eval", BEIR, "--pipeline", "bm25", "--pipeline", "dense", "--compare", "--test", "ttest",
                 "--report", rep)
    assert "nDCG@10" in result.stdout and "paired t-test" in flat(result.stdout)
    data = json.loads((rep / "report.json").read_text())
    assert data["kind"] == "retrieval" and [r["label"] for r in data["results"]] == ["bm25", "dense"]
    assert set(data["per_query"]["dense"]["ndcg@10"]) == {f"q{i}" for i in range(1, 8)}
    assert data["curves"]["bm25"]["1"]["precision"] >= data["curves"]["bm25"]["100"]["precision"]
    md = (rep / "report.md").read_text()
    assert "Paired tests against bm25" in md and "![Recall-precision curves](figures/recall_precision.png)" in md
    with open_page((rep / "report.html").as_uri()) as page:
        imgs = image_report(page)
        assert len(imgs) == 3 and all(i["complete"] and i["width"] > 0 for i in imgs)
        assert page.blocked_requests == [] and page.console_errors == []
        screenshot(page, "eval-retrieval-report")


def test_eval_json_unchanged_without_new_options(runner: CliRunner) -> None:
    out = run_json(runner, "eval", BEIR, "--pipeline", "bm25")
    assert "comparison" not in out and "results" not in out and out["pipeline"] == "bm25"
    two = run_json(runner, "eval", BEIR, "--pipeline", "bm25", "--pipeline", "bm25")
    assert set(two) == {"results", "build", "judged", "random_ndcg@10", "warnings"}


def test_eval_reports_the_build_once_not_charged_to_the_first_pipeline(runner: CliRunner) -> None:
    # Before: the first pipeline's build_s held the whole ingest (60.4 s on 19 PDFs), the second ~0.
    two = run_json(runner, "eval", BEIR, "--pipeline", "bm25", "--pipeline", "dense")
    first, second = two["results"]
    assert first["build_s"] == second["build_s"] == two["build"]["build_s"] > 0
    assert two["build"]["documents"] == 15 and two["build"]["chunks"] >= 15
    plain = run(runner, "eval", BEIR, "--pipeline", "bm25", "--pipeline", "dense", "--no-progress").stdout
    assert flat(plain).count("built in") == 1 and "shared by the 2 pipelines" in flat(plain)
    assert "build s" not in plain  # no per-pipeline build row


def test_eval_on_a_synthetic_set_judges_passages_and_says_so(runner: CliRunner, synth_set: Path) -> None:
    doc = run_json(runner, "eval", synth_set, "--judge", "document")
    passage = run_json(runner, "eval", synth_set)
    assert doc["judged"] == "document" and passage["judged"] == "passage"
    # Finding the right passage is harder than finding the right document; never easier.
    assert passage["ndcg@10"] <= doc["ndcg@10"] and passage["recall@100"] <= doc["recall@100"]
    plain = flat(run(runner, "eval", synth_set, "--no-progress").stdout)
    assert "judged by passage" in plain


def test_eval_warns_when_document_judgments_cannot_discriminate(runner: CliRunner, synth_set: Path) -> None:
    result = run(runner, "eval", synth_set, "--judge", "document", "--no-progress")
    documents = len((synth_set / "corpus.jsonl").read_text().splitlines())
    assert f"Only {documents} documents: a random ranking already scores nDCG@10 =" in flat(result.stderr)
    out = run_json(runner, "eval", synth_set, "--judge", "document")
    assert out["warnings"] and out["random_ndcg@10"] > 0.05
    # The 15-document fixture is small too; a large collection is not flagged (tests/evaluate/test_judging.py).
    assert run_json(runner, "eval", BEIR)["random_ndcg@10"] > 0


def test_passage_judging_needs_reference_excerpts(runner: CliRunner) -> None:
    result = run(runner, "eval", BEIR, "--judge", "passage", ok=False)
    assert result.exit_code == 1 and "no reference excerpts" in flat(result.stderr)


# -- the shared corpora --------------------------------------------------------------------------


def _assert_smaller_chunks_are_more_precise(results: list[dict], sizes: tuple[int, ...]) -> None:
    by = {r["size"]: r for r in results}
    for small, large in zip(sizes, sizes[1:]):
        assert by[small]["precision_mean"] > by[large]["precision_mean"]
        assert by[small]["iou_mean"] > by[large]["iou_mean"]
        assert by[small]["omega_mean"] > by[large]["omega_mean"]
    assert by[sizes[0]]["recall_mean"] < by[sizes[-1]]["recall_mean"]


@pytest.mark.shared
@pytest.mark.parametrize("name", ["papers", pytest.param("scifact", marks=pytest.mark.slow)])
def test_chunking_effect_with_bm25(runner: CliRunner, shared_data: Path, tmp_path: Path, name: str) -> None:
    """The qualitative result of the literature (smaller chunks: higher precision and IoU, lower recall)."""
    out_dir = tmp_path / name
    run(runner, "synth", shared_data / name, "--out", out_dir, "-n", "60", "--seed", "0", "--no-progress")
    sizes = (25, 50, 100, 200)
    out = run_json(runner, "eval", "chunking", out_dir, "--retriever", "bm25", "--chunker", "fixed",
                   *(x for s in sizes for x in ("--size", s)), "-k", "5")
    _assert_smaller_chunks_are_more_precise(out["results"], sizes)


@pytest.mark.slow
@pytest.mark.shared
def test_chunking_effect_on_the_papers_corpus(runner: CliRunner, shared_data: Path, tmp_path: Path) -> None:
    """The qualitative result of the literature on the 490-paper corpus, dense retrieval as in Chroma."""
    out_dir = tmp_path / "papers"
    run(runner, "synth", shared_data / "papers", "--out", out_dir, "-n", "100", "--seed", "0", "--no-progress")
    sizes = (25, 50, 100, 200)
    out = run_json(runner, "eval", "chunking", out_dir, "--chunker", "fixed", *(x for s in sizes for x in ("--size", s)),
                   "-k", "5")
    _assert_smaller_chunks_are_more_precise(out["results"], sizes)


def test_chunking_default_grid_is_small_and_the_full_grid_is_an_option(runner: CliRunner, synth_set: Path) -> None:
    # The old default (4 chunkers x 4 sizes with semantic, dense) ran over 10 minutes on 19 PDFs.
    default = run_json(runner, "eval", "chunking", synth_set, "--retriever", "bm25")
    assert [r["label"] for r in default["results"]] == [
        f"{c}-{s}" for c in ("fixed", "sentence", "recursive") for s in (100, 200)]
    full = run_json(runner, "eval", "chunking", synth_set, "--retriever", "bm25", "--full-grid")
    assert len(full["results"]) == 16 and {r["chunker"] for r in full["results"]} >= {"semantic"}


def test_chunking_progress_counts_passages_with_time_left(tmp_path: Path, synth_set: Path) -> None:
    from terminal import run_in_terminal

    r = run_in_terminal(["eval", "chunking", str(synth_set), "--retriever", "bm25"], cwd=tmp_path)
    assert r.returncode == 0, r.screen
    assert "configurations" in r.screen and "passages" in r.screen and "left" in r.screen
    assert "recursive-200" in r.screen  # the configuration being scored
