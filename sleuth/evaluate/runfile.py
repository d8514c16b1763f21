"""TREC run files: one line per retrieved document, ``qid Q0 docid rank score tag``.

The format is trec_eval's (trec.nist.gov/trec_eval/, README): whitespace-separated columns,
the second is ignored (conventionally ``Q0``), ranks start at 1. trec_eval ranks by the score
column, not the rank column; the ranks written here agree with that order (ties by doc id
descending), so the file reads the same to trec_eval and to a person.
"""

from __future__ import annotations

import math
from pathlib import Path

from sleuth.errors import FormatError, InputError
from sleuth.evaluate.metrics import Run, check_run, ranked

_LINE_FIX = "Each line is 'qid Q0 docid rank score tag': six whitespace-separated columns."


def write_trec_run(run: Run, path: Path, tag: str = "sleuth", depth: int = 1000) -> None:
    """Write the top ``depth`` documents of each query, queries in sorted id order.

    Scores are written with ``repr`` so that reading the file back gives the same floats.
    """
    if depth < 1:
        raise InputError(f"Run depth must be at least 1, got {depth}.")
    _check_token(tag, "run tag")
    check_run(run)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for qid in sorted(run):
            _check_token(qid, "query id")
            for rank, (doc_id, score) in enumerate(ranked(run[qid], depth), start=1):
                _check_token(doc_id, "document id")
                out.write(f"{qid} Q0 {doc_id} {rank} {float(score)!r} {tag}\n")


def read_trec_run(path: Path) -> Run:
    """Read a run file into ``{qid: {docid: score}}``; the rank column is checked but not used."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"No run file: {path} does not exist.")
    run: Run = {}
    with path.open(encoding="utf-8") as lines:
        for lineno, line in enumerate(lines, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 6:
                raise FormatError(str(path), lineno, f"expected 6 columns, found {len(fields)}.", _LINE_FIX)
            qid, _, doc_id, rank, score_text, _ = fields
            # A non-integer rank usually means swapped rank and score columns.
            if not rank.lstrip("-").isdigit():
                raise FormatError(str(path), lineno, f"rank {rank!r} is not an integer.", _LINE_FIX)
            try:
                score = float(score_text)
            except ValueError:
                raise FormatError(str(path), lineno, f"score {score_text!r} is not a number.", _LINE_FIX) from None
            if math.isnan(score):
                raise FormatError(str(path), lineno, "score is NaN.", "Scores must be numbers.")
            docs = run.setdefault(qid, {})
            if doc_id in docs:
                # trec_eval rejects duplicates too: a document is retrieved once per query.
                raise FormatError(
                    str(path), lineno, f"document {doc_id!r} appears twice for query {qid!r}.", "Keep one line each."
                )
            docs[doc_id] = score
    return run


def _check_token(value: str, what: str) -> None:
    if value.split() != [value]:
        raise InputError(
            f"The {what} {value!r} is empty or contains whitespace.", "TREC run columns are whitespace-separated."
        )
