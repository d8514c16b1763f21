"""The issue's quality floors for PDF papers, on the hand-checked truth of the 14 shared PDFs.

Scored by ``benchmarks/bench_pdf.py`` itself (one definition of every measure); skipped without
../shared. Speed is measured by that script against its peers, never asserted here.
"""

import json
import sys

import pytest
from support import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_pdf  # noqa: E402


def _count(cell: str) -> tuple[int, int]:
    got, of = cell.split("/")
    return int(got), int(of)


@pytest.mark.shared
@pytest.mark.timeout(900)
def test_sleuth_reaches_the_floors_on_the_shared_pdfs(shared_data):
    truth_file = shared_data / "pdfs" / "truth.jsonl"
    truth = [json.loads(line) for line in truth_file.open(encoding="utf-8") if line.strip()]
    root = truth_file.parent
    results = {str(root / t["file"]): bench_pdf._sleuth(root / t["file"]) for t in truth}
    row = bench_pdf.score(truth, results, root)
    title, n = _count(row["title"])
    assert n == 14 and title >= 13 and _count(row["first author"])[0] >= 12 and _count(row["year"])[0] >= 13
    arxiv, printed = _count(row["arXiv id"])
    assert arxiv == printed
    assert row["furniture absent"] >= 0.90 and row["order pairs"] >= 0.95
    assert row["hyphenated whole"] >= 0.95 and row["ligature words plain"] == 1.0
