"""Check effectiveness regressions: re-run every pipeline/dataset in benchmarks/regressions/*.yaml.

    python benchmarks/check_regressions.py [--data-root ../shared/data] [--only bm25] [--update]

Each YAML file names a qrels split, a tolerance and, per dataset, the expected figures of each
pipeline; the pipelines of one dataset share one index (built once, and tuned first with
``sleuth tune`` when the file has a ``tune:`` section of TuneOptions). A figure below
expected - tolerance fails the check (exit status 1). Datasets missing under --data-root are
reported as skipped. A file with ``kind: answers`` holds the five columns of ``sleuth eval-answers`` on QA
folders (qa.jsonl beside the documents) instead. ``--update`` rewrites the expected figures from this run (review the diff).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED  # noqa: E402

from sleuth.config import Settings  # noqa: E402
from sleuth.evaluate.experiment import run_beir  # noqa: E402
from sleuth.retrieve import get_pipeline  # noqa: E402

HERE = Path(__file__).resolve().parent / "regressions"


def tune_collection(data: Path, directory: Path, options: dict) -> None:
    """Index ``data`` and run ``sleuth tune`` on it (``train: true`` adds qrels/train.tsv when present)."""
    from sleuth.ingest import read_paths
    from sleuth.store.embedded.collection import Collection
    from sleuth.tune.runner import TuneOptions, tune

    options = dict(options)
    train = options.pop("train", False) and (data / "qrels" / "train.tsv").is_file()
    with Collection.open_or_create(directory) as col:
        col.ingest(read_paths([data], fmt="beir"))
        tune(col, TuneOptions(train_data=data if train else None, **options))


def measure_answers(data: Path, reader: str) -> dict[str, float]:
    """The five columns of ``sleuth eval-answers`` on a QA folder (``reader``: ``extractive`` only)."""
    from sleuth.evaluate.qa import evaluate_qa

    if reader != "extractive":
        raise ValueError(f"answers regressions cover the extractive reader, not {reader!r}")
    return evaluate_qa(data, ablation=False)


def compare(rows: list[list[str]], name: str, dataset: str, got: dict, expected: dict, tolerance: float,
            update: bool) -> int:
    """Add a table row per expected metric; the number below expected - tolerance. ``update`` records ``got``."""
    failures = 0
    for metric, want in expected.items():
        ok = got[metric] >= want - tolerance
        failures += not ok
        rows.append([name, dataset, metric, f"{want:.4f}", f"{got[metric]:.4f}", "ok" if ok else "REGRESSION"])
        if update:
            expected[metric] = round(got[metric], 4)
    return failures


def check_file(path: Path, data_root: Path, update: bool) -> tuple[list[list[str]], int]:
    spec = yaml.safe_load(path.read_text())
    rows, failures = [], 0
    if spec.get("kind") == "answers":
        for dataset, by_reader in spec["datasets"].items():
            data = data_root / dataset
            if not (data / "qa.jsonl").exists():
                rows.append(["-", dataset, "-", "-", "-", "skipped (no data)"])
                continue
            for reader, expected in by_reader.items():
                failures += compare(rows, reader, dataset, measure_answers(data, reader), expected, spec["tolerance"], update)
        _rewrite(path, spec, update)
        return rows, failures
    for dataset, by_pipeline in spec["datasets"].items():
        data = data_root / dataset
        if not (data / "corpus.jsonl").exists():
            rows.append(["-", dataset, "-", "-", "-", "skipped (no data)"])
            continue
        dense = any(get_pipeline(p).dense for p in by_pipeline)
        with tempfile.TemporaryDirectory(prefix="sleuth-regress-") as tmp:
            if "tune" in spec:
                tune_collection(data, Path(tmp) / "c", spec["tune"])
            for pipeline, expected in by_pipeline.items():
                got = run_beir(data, pipeline, split=spec.get("split", "test"), metrics=tuple(expected),
                               collection_dir=Path(tmp) / "c", settings=None if dense else Settings(encoder="none"))
                failures += compare(rows, pipeline, dataset, got, expected, spec["tolerance"], update)
    _rewrite(path, spec, update)
    return rows, failures


def _rewrite(path: Path, spec: dict, update: bool) -> None:
    if update:
        header = "".join(line + "\n" for line in path.read_text().splitlines() if line.startswith("#"))
        path.write_text(header + yaml.safe_dump(spec, sort_keys=False))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, default=SHARED, help="folder holding the BEIR datasets (default: %(default)s)")
    ap.add_argument("--regressions", type=Path, default=HERE, help="folder of *.yaml expectations (default: %(default)s)")
    ap.add_argument("--only", help="check only this YAML file stem (e.g. bm25)")
    ap.add_argument("--update", action="store_true", help="rewrite the expected figures from this run")
    a = ap.parse_args(argv)
    files = sorted(a.regressions.glob("*.yaml"))
    if a.only:
        files = [f for f in files if f.stem == a.only]
    if not files:
        print(f"error: no regression files in {a.regressions}", file=sys.stderr)
        return 2
    failures = 0
    print("| pipeline | dataset | metric | expected | measured | status |\n|---|---|---|---|---|---|")
    for f in files:
        rows, n = check_file(f, a.data_root, a.update)
        failures += n
        for r in rows:
            print("| " + " | ".join(r) + " |", flush=True)
    print(f"\n{failures} regression(s)." if failures else "\nNo regression.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
