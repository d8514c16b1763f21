"""``sleuth eval retrieval`` as a function: where the index lives, the runs, per-query scores and curves.

:func:`evaluate_retrieval` builds one index for all pipelines (a scratch one unless a collection is
named), runs and scores every pipeline (:func:`sleuth.evaluate.experiment.run_pipelines`), and, when
details are asked for (``--compare`` or ``--report``), reads the run files back for per-query scores,
recall-precision curves over the cutoff k and the paired comparison (:mod:`sleuth.evaluate.comparison`).

Per label and cutoff k, the curve point is the mean over the judged queries of P@k and recall@k
(trec_eval's ``P_k`` and ``recall_k``, via :func:`sleuth.evaluate.metrics.per_query_all`).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sleuth.config import Settings
from sleuth.errors import InputError
from sleuth.evaluate.comparison import ALPHA, DEFAULT_TEST, compare
from sleuth.evaluate.experiment import run_pipelines
from sleuth.evaluate.report import CURVE_KS, QUALITY
from sleuth.retrieve import get_pipeline

PerQuery = dict[str, dict[str, dict[str, float]]]
"""``{label: {metric: {query id: value}}}``."""
Curves = dict[str, dict[str, dict[str, float]]]
"""``{label: {str(k): {"precision": mean P@k, "recall": mean recall@k}}}``."""


@dataclass
class RetrievalEvaluation:
    """What one ``sleuth eval retrieval`` measured (JSON shapes as :func:`run_pipelines` returns them)."""

    labels: list[str]
    """One per pipeline, unique (``bm25``, ``bm25-2`` for a repeated one)."""
    results: list[dict[str, Any]]
    build: dict[str, Any]
    judged: str
    random_ndcg: float
    warnings: list[str]
    per_query: PerQuery | None = None
    """Only with details (``compare`` or ``details=True``), as are ``curves``."""
    curves: Curves | None = None
    comparison: dict[str, Any] | None = None

    def extra(self) -> dict[str, Any]:
        """The keys ``--json`` prints beside the results."""
        return {"build": self.build, "judged": self.judged, "random_ndcg@10": self.random_ndcg,
                "warnings": self.warnings}

    def labelled_results(self) -> list[dict[str, Any]]:
        """The results with their ``label``, as :func:`sleuth.evaluate.report.retrieval_report` takes them."""
        return [{**r, "label": label} for r, label in zip(self.results, self.labels)]


def unique_labels(names: Sequence[str]) -> list[str]:
    """Names made unique by suffixing repeats: ``[a, b, a] -> [a, b, a-2]``."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}-{seen[n]}")
    return out


def run_file_paths(labels: Sequence[str], run_file: Path | None, scratch: Path | None) -> list[Path | None]:
    """Where each pipeline's TREC run goes: ``run_file`` (suffixed ``.LABEL`` with several pipelines),
    else ``scratch/LABEL.trec`` when a scratch directory is given (details need the runs), else nowhere."""
    files: list[Path | None] = []
    for label in labels:
        rf = run_file
        if run_file is not None and len(labels) > 1:
            rf = run_file.with_name(f"{run_file.stem}.{label}{run_file.suffix}")
        if rf is None and scratch is not None:
            rf = scratch / f"{label}.trec"
        files.append(rf)
    return files


def _mean(values: Mapping[str, float]) -> float:
    return sum(values.values()) / len(values) if values else 0.0


def per_query_curves(qrels: Mapping[str, Mapping[str, int]], runs: Mapping[str, Path],
                     depth: int) -> tuple[PerQuery, Curves]:
    """Per-query :data:`QUALITY` scores and the recall-precision curve (module docstring) of each run file."""
    from sleuth.evaluate.metrics import per_query_all
    from sleuth.evaluate.runfile import read_trec_run

    ks = [k for k in CURVE_KS if k <= depth]
    curve_metrics = [f"precision@{k}" for k in ks] + [f"recall@{k}" for k in ks]
    per_query: PerQuery = {}
    curves: Curves = {}
    for label, path in runs.items():
        scores = per_query_all(dict(qrels), read_trec_run(path), [*QUALITY, *curve_metrics])
        per_query[label] = {m: scores[m] for m in QUALITY}
        curves[label] = {str(k): {"precision": _mean(scores[f"precision@{k}"]), "recall": _mean(scores[f"recall@{k}"])}
                         for k in ks}
    return per_query, curves


def evaluate_retrieval(
    data_dir: Path,
    pipelines: Sequence[str],
    *,
    split: str = "test",
    depth: int = 100,
    collection: Path | None = None,
    run_file: Path | None = None,
    judge: str = "auto",
    details: bool = False,
    compare_systems: bool = False,
    test: str = DEFAULT_TEST,
    alpha: float = ALPHA,
    remote: Callable[[Path | None, str], Any] | None = None,
    remote_name: str | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    on_interrupt: Callable[[str], None] | None = None,
) -> RetrievalEvaluation:
    """Evaluate ``pipelines`` on the BEIR-layout ``data_dir`` over one shared index.

    The index lives in ``collection`` (kept, re-used by the next run), or else in a scratch directory
    removed at the end. ``remote(collection, name)`` opens a collection of another storage engine
    (Milvus) named ``remote_name``, or a scratch one (``sleuth_eval_<random>``, dropped at the end)
    when no name is given. ``details`` (implied by ``compare_systems``) adds per-query scores and
    curves; ``compare_systems`` the paired tests of every pipeline against the first.
    ``on_interrupt(note)`` is told what Ctrl-C would leave behind.
    """
    if compare_systems and len(pipelines) < 2:
        raise InputError("--compare needs at least two pipelines to compare.",
                         "Pass --pipeline twice or more, e.g. --pipeline bm25 --pipeline hybrid.")
    details = details or compare_systems
    note = on_interrupt or (lambda _: None)
    labels = unique_labels(pipelines)
    tmp = tempfile.TemporaryDirectory(prefix="sleuth-eval-") if collection is None or details else None
    settings = None
    # Explicit either way for a temporary index: left to run_pipelines, a lexical first pipeline would
    # create the shared index without vectors, and a dense pipeline after it would fail.
    fresh = Settings() if any(get_pipeline(p).dense for p in pipelines) else Settings(encoder="none")
    where, scratch = None, None
    if remote is not None:
        name = remote_name
        if name is None:  # a temporary collection, dropped at the end
            name = f"sleuth_eval_{uuid.uuid4().hex[:12]}"
            settings = fresh
        where = remote(collection, name)
        scratch = where if settings is not None else None
        note("The temporary Milvus collection is dropped; nothing was kept." if scratch is not None else
             f"The Milvus collection {name} keeps what was indexed; the same command reuses it.")
    elif collection is None:  # one index for all pipelines of this run, embedded only if one needs it
        assert tmp is not None
        collection = Path(tmp.name) / "collection"
        settings = fresh
        note("The temporary index was removed; nothing was kept. Run the same command again.")
    else:
        note(f"The index in {collection} keeps what was built; the same command reuses it.")
    files = run_file_paths(labels, run_file, Path(tmp.name) if details and tmp is not None else None)
    try:
        run = run_pipelines(data_dir, list(pipelines), split=split, depth=depth, collection_dir=collection,
                            settings=settings, run_files=files, target=where, judge=judge, on_progress=on_progress)
        ev = RetrievalEvaluation(labels, run["results"], run["build"], run["judged"], run["random_ndcg@10"],
                                 run["warnings"])
        if details:
            runs = {label: f for label, f in zip(labels, files) if f is not None}
            ev.per_query, ev.curves = per_query_curves(run["qrels"], runs, depth)
            if compare_systems:
                ev.comparison = compare(ev.per_query, QUALITY, method=test, alpha=alpha)
    finally:
        if tmp is not None:
            tmp.cleanup()
        if scratch is not None and scratch.exists():
            scratch.remove()
    return ev
