"""Reports (Markdown, self-contained HTML, JSON, plots); the comparison itself: tests/evaluate/test_comparison.py.

The HTML report is opened in a real headless Chromium (tests/browser.py): every plot must load and be
drawn, and the page must make no request outside itself.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from browser import image_report, open_page, screenshot

from sleuth.errors import InputError
from sleuth.evaluate.chunking import ChunkConfig, evaluate_chunkers, load_eval_set
from sleuth.evaluate.comparison import MARK, chunk_per_query, compare
from sleuth.evaluate.report import (
    Figure,
    Report,
    Table,
    chunking_report,
    render_html,
    render_markdown,
    retrieval_report,
    write_report,
)
from sleuth.evaluate.synth import synthesize, write_eval_set
from sleuth.ingest import read_paths
from sleuth.types import Document

WORKBENCH = Path(__file__).resolve().parents[1] / "data" / "workbench"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def chunk_result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    docs = [d for d in read_paths([WORKBENCH / "corpus.jsonl"], fmt="beir") if isinstance(d, Document)]
    out = tmp_path_factory.mktemp("set")
    write_eval_set(out, docs, synthesize(docs, 12, seed=0))
    configs = [ChunkConfig("fixed", s) for s in (8, 16, 32)] + [ChunkConfig("sentence", 16), ChunkConfig("fixed", 16, 8)]
    return evaluate_chunkers(load_eval_set(out), configs, retriever="bm25", k=3)


# -- rendering ---------------------------------------------------------------------------------


def test_markdown_and_html_escape_and_embed():
    rep = Report("A <b> & c", ["para | with pipe"], [Table("T", ["a", "b|c"], [["<x>", "1"]], "note")],
                 [Figure("fig", "Fig", PNG_MAGIC + b"rest", "cap")], {"x": 1}, "sleuth eval x")
    md = render_markdown(rep)
    assert "| a | b\\|c |" in md and "![Fig](figures/fig.png)" in md and "sleuth eval x" in md
    page = render_html(rep)
    assert "<title>A &lt;b&gt; &amp; c</title>" in page and "&lt;x&gt;" in page
    assert 'src="data:image/png;base64,' + base64.b64encode(PNG_MAGIC + b"rest").decode() in page
    assert not re.search(r"(src|href)=\"(http|//)", page)


def test_chunking_report_files(chunk_result, tmp_path):
    cmp = compare(chunk_per_query(chunk_result), ["iou", "recall"])
    paths = write_report(chunking_report(chunk_result, cmp, "sleuth eval chunking X"), tmp_path / "rep")
    assert {p.name for p in (tmp_path / "rep").iterdir()} == {"report.md", "report.html", "report.json", "figures"}
    figs = sorted((tmp_path / "rep" / "figures").iterdir())
    assert [f.name for f in figs] == ["distributions.png", "metric_vs_size.png", "recall_precision.png"]
    assert all(f.read_bytes().startswith(PNG_MAGIC) for f in figs)
    md = paths["markdown"].read_text()
    for label in ("fixed-8", "fixed-16", "fixed-32", "sentence-16", "fixed-16/8"):
        assert f"| {label} |" in md
    assert "Precision-Ω" in md and "no correction for multiple comparisons" in md
    data = json.loads(paths["json"].read_text())
    assert data["kind"] == "chunking" and data["command"] == "sleuth eval chunking X"
    first = data["result"]["results"][0]
    assert {"iou_mean", "iou_std", "recall_mean", "recall_std", "precision_mean", "precision_std",
            "omega_mean", "omega_std"} == set(first["stats"])
    assert len(first["scores"]["iou_scores"]) == data["result"]["questions"]
    page = paths["html"].read_text()
    assert page.count('src="data:image/png;base64,') == 3


def test_retrieval_report_files(tmp_path):
    base = {"data": "/x/beir", "split": "test", "queries": 3, "documents": 10, "ndcg@10": 0.5, "recall@100": 0.9,
            "mrr@10": 0.4, "map": 0.3, "build_s": 0.1, "qps": 100.0, "p50_ms": 1.0, "p95_ms": 2.0,
            "index_bytes": 1000, "peak_rss_mb": 50.0}
    results = [{**base, "label": "bm25"}, {**base, "label": "dense", "ndcg@10": 0.7}]
    pq = {"bm25": {m: {"q1": 0.2, "q2": 0.5, "q3": 0.8} for m in ("ndcg@10", "recall@100", "mrr@10", "map")},
          "dense": {m: {"q1": 0.4, "q2": 0.7, "q3": 1.0} for m in ("ndcg@10", "recall@100", "mrr@10", "map")}}
    curves = {lab: {str(k): {"precision": 1 / k, "recall": min(1.0, k / 10)} for k in (1, 5, 10)} for lab in pq}
    cmp = compare(pq, ["ndcg@10"], method="ttest")
    paths = write_report(retrieval_report(results, pq, curves, cmp, "sleuth eval x"), tmp_path / "r")
    md = paths["markdown"].read_text()
    assert "| ndcg@10 | 0.5000 | 0.7000 " + MARK in md  # constant +0.2 on every query: significant
    assert json.loads(paths["json"].read_text())["comparison"]["rows"][0]["significant"] is True


def test_report_dir_must_not_be_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        write_report(Report("t"), tmp_path / "f")


# -- in a real browser ---------------------------------------------------------------------------


def test_html_report_renders_in_headless_chromium(chunk_result, tmp_path):
    paths = write_report(chunking_report(chunk_result, None, "sleuth eval chunking X"), tmp_path / "rep")
    # Move the page away from its figures folder: it must not need it.
    alone = tmp_path / "alone.html"
    alone.write_text(paths["html"].read_text(encoding="utf-8"), encoding="utf-8")
    with open_page(alone.as_uri()) as page:
        images = image_report(page)
        assert len(images) == 3
        for img in images:
            assert img["src"].startswith("data:image/png;base64,")
            assert img["complete"] and img["width"] > 300 and img["height"] > 100 and img["shown"] > 100, img
        assert page.blocked_requests == [] and page.console_errors == []
        assert page.title().startswith("Chunking evaluation")
        header = page.locator("table").first.locator("th").all_inner_texts()
        assert header[:2] == ["config", "chunker"] and "Precision-Ω" in header
        shot = screenshot(page, "chunking-report")
    assert shot.stat().st_size > 10_000
