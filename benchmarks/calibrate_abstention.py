"""Calibrate the abstention threshold without test data, then check it on other data.

    python benchmarks/calibrate_abstention.py [--data-root ../shared/data]

For each question, the best dense relevance (cosine of the question and a retrieved passage) is
computed against SciFact's corpus. The threshold with the best balanced accuracy between SciFact's
*train* claims (should be answered) and CISI's questions (should be declined) is printed, then
checked on SciFact's *test* claims and Cranfield's questions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, machine  # noqa: E402

from sleuth.evaluate.beir import load_qrels, load_queries  # noqa: E402
from sleuth.ingest import read_paths  # noqa: E402
from sleuth.rag.pipeline import Asker, AskOptions  # noqa: E402
from sleuth.store.embedded.collection import Collection  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, default=SHARED)
    ap.add_argument("--collection", type=Path, help="reuse (or keep) the SciFact index here")
    a = ap.parse_args()
    root = a.data_root
    tmp = tempfile.TemporaryDirectory() if a.collection is None else None
    col = Collection.open_or_create(Path(tmp.name) / "c" if tmp else a.collection)
    col.ingest(read_paths([root / "scifact"], fmt="beir"))
    asker = Asker(col, options=AskOptions(memory=False))

    def best(texts: list[str]) -> np.ndarray:
        return np.array([max(p.relevance for p in asker.retrieve(t, [t], asker.vector(t))) for t in texts])

    sq = load_queries(root / "scifact")
    train = best([sq[q] for q in load_qrels(root / "scifact", "train") if q in sq][:300])
    cisi = best(list(load_queries(root / "cisi").values()))
    test = best([sq[q] for q in load_qrels(root / "scifact", "test") if q in sq])
    cran = best(list(load_queries(root / "cranfield").values()))
    grid = np.round(np.arange(0.20, 0.60, 0.01), 2)
    bal = [((train >= t).mean() + (cisi < t).mean()) / 2 for t in grid]
    th = float(grid[int(np.argmax(bal))])
    print(f"machine: {machine()}")
    print(f"calibrated on SciFact train (answer) vs CISI (decline): threshold {th:.2f}, "
          f"answered {(train >= th).mean():.3f}, declined {(cisi < th).mean():.3f}")
    print(f"checked on SciFact test (answer) vs Cranfield (decline): answered {(test >= th).mean():.3f}, "
          f"declined {(cran < th).mean():.3f}")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
