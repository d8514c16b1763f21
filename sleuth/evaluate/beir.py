"""Load BEIR-layout evaluation data: ``queries.jsonl`` and ``qrels/<split>.tsv``.

Layout (Thakur et al., "BEIR", NeurIPS 2021 Datasets and Benchmarks; github.com/beir-cellar/beir)::

    <data_dir>/queries.jsonl     one JSON object a line: {"_id": str, "text": str, ...}
    <data_dir>/qrels/<split>.tsv header "query-id<TAB>corpus-id<TAB>score", integer score

A score of 0 means judged *not* relevant; such rows are kept, because "judged non-relevant"
and "never judged" differ for the metrics and for error analysis.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sleuth.errors import EvaluationError, FormatError

Qrels = dict[str, dict[str, int]]
"""query id -> {doc id: relevance grade}; grade >= 1 is relevant."""

QRELS_HEADER = ["query-id", "corpus-id", "score"]
_QRELS_FIX = "Each line is 'query-id<TAB>corpus-id<TAB>score' with an integer score (BEIR layout)."
_QUERIES_FIX = 'Each line must be one JSON object such as {"_id": "1", "text": "..."} (BEIR layout).'
_EXAMPLES = 3


def available_splits(data_dir: Path) -> list[str]:
    """The splits with a qrels file, e.g. ``["test", "train"]``; empty when there is none."""
    qrels_dir = Path(data_dir) / "qrels"
    if not qrels_dir.is_dir():
        return []
    return sorted(p.stem for p in qrels_dir.glob("*.tsv") if p.is_file())


def json_objects(path: Path, fix: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line of a JSONL file; a line that is not a JSON object
    raises FormatError naming it (``fix``: what to do about it)."""
    # utf-8-sig: files saved by some Windows editors start with a byte-order mark.
    with Path(path).open(encoding="utf-8-sig") as lines:
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FormatError(str(path), lineno, f"not valid JSON ({exc.msg}).", fix) from None
            if not isinstance(record, dict):
                raise FormatError(str(path), lineno, "not a JSON object.", fix)
            yield lineno, record


def load_queries(data_dir: Path) -> dict[str, str]:
    """Read ``queries.jsonl`` into ``{query id: text}``; blank lines are skipped."""
    path = Path(data_dir) / "queries.jsonl"
    if not path.is_file():
        raise EvaluationError(
            f"No queries file: {path} does not exist.",
            "A BEIR dataset directory holds queries.jsonl, corpus.jsonl and qrels/<split>.tsv.",
        )
    queries: dict[str, str] = {}
    for lineno, record in json_objects(path, _QUERIES_FIX):
        qid = record.get("_id")
        text = record.get("text")
        # Some converters write numeric ids; they name the same query as their string form.
        if isinstance(qid, bool) or not isinstance(qid, (str, int)) or str(qid) == "":
            raise FormatError(str(path), lineno, "missing or empty \"_id\".", _QUERIES_FIX)
        if not isinstance(text, str):
            raise FormatError(str(path), lineno, f"query {qid!s} has no string \"text\".", _QUERIES_FIX)
        qid = str(qid)
        if qid in queries:
            raise FormatError(str(path), lineno, f"duplicate query id {qid!r}.", "Query ids must be unique.")
        queries[qid] = text
    return queries


def load_qrels(data_dir: Path, split: str = "test") -> Qrels:
    """Read ``qrels/<split>.tsv`` into ``{query id: {doc id: grade}}``, score-0 rows included.

    The header line is optional; blank lines are skipped. A (query, document) pair judged twice
    is an error rather than silently overwritten, since the two grades may disagree.
    """
    path = Path(data_dir) / "qrels" / f"{split}.tsv"
    if not path.is_file():
        splits = available_splits(data_dir)
        fix = (
            f"Available splits: {', '.join(splits)}."
            if splits
            else f"{Path(data_dir) / 'qrels'} holds no <split>.tsv file."
        )
        raise EvaluationError(f"No qrels for split {split!r}: {path} does not exist.", fix)
    qrels: Qrels = {}
    with path.open(encoding="utf-8-sig") as lines:
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t")
            if lineno == 1 and [f.strip() for f in fields] == QRELS_HEADER:
                continue
            if len(fields) != 3:
                raise FormatError(
                    str(path), lineno, f"expected 3 tab-separated fields, found {len(fields)}.", _QRELS_FIX
                )
            qid, doc_id, score = (f.strip() for f in fields)
            if not qid or not doc_id:
                raise FormatError(str(path), lineno, "empty query id or corpus id.", _QRELS_FIX)
            try:
                grade = int(score)
            except ValueError:
                raise FormatError(str(path), lineno, f"score {score!r} is not an integer.", _QRELS_FIX) from None
            judged = qrels.setdefault(qid, {})
            if doc_id in judged:
                raise FormatError(
                    str(path), lineno, f"query {qid!r}, document {doc_id!r} is judged twice.", "Keep one line per pair."
                )
            judged[doc_id] = grade
    return qrels


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """One JSON object per line, UTF-8, as BEIR's files are."""
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def write_beir(out: Path, corpus: Iterable[dict[str, Any]], queries: Iterable[dict[str, Any]],
               qrels: Iterable[tuple[str, str, int]], split: str = "test") -> dict[str, Path]:
    """``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` (with its header) in ``out``; what
    :func:`load_queries` and :func:`load_qrels` read back."""
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    paths = {"corpus": out / "corpus.jsonl", "queries": out / "queries.jsonl", "qrels": out / "qrels" / f"{split}.tsv"}
    write_jsonl(paths["corpus"], corpus)
    write_jsonl(paths["queries"], queries)
    with paths["qrels"].open("w", encoding="utf-8", newline="\n") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for qid, doc_id, grade in qrels:
            f.write(f"{qid}\t{doc_id}\t{grade}\n")
    return paths


def check_consistency(queries: dict[str, str], qrels: Qrels) -> list[str]:
    """Warnings about queries and qrels that load fine but will skew the evaluation.

    Not errors: a judged query without text cannot be run and scores 0, which an evaluation
    should report rather than refuse; a query with only non-relevant judgments scores 0 too.
    """
    if not qrels:
        return ["The qrels hold no judgments: there is nothing to evaluate."]
    warnings = []
    no_text = sorted(qid for qid in qrels if qid not in queries)
    if no_text:
        warnings.append(
            f"{_count(no_text, 'judged query has', 'judged queries have')} no text in the queries "
            f"(e.g. {_examples(no_text)}); they cannot be run and score 0."
        )
    no_relevant = sorted(qid for qid, judged in qrels.items() if not any(g >= 1 for g in judged.values()))
    if no_relevant:
        warnings.append(
            f"{_count(no_relevant, 'judged query has', 'judged queries have')} no relevant document "
            f"(e.g. {_examples(no_relevant)}); they score 0 on every metric."
        )
    return warnings


def _count(items: list[str], singular: str, plural: str) -> str:
    return f"{len(items)} {singular if len(items) == 1 else plural}"


def _examples(ids: list[str]) -> str:
    return ", ".join(repr(i) for i in ids[:_EXAMPLES])
