"""Question-answering sets with answer terms and evidence pages (the PDF QA format), and their five columns.

Layout of a QA directory (``../shared/data/pdfs`` is one)::

    DIR/*.pdf (or any files sleuth reads)  the documents; a document's id is its path relative to DIR
    DIR/qa.jsonl            {"id", "question", "file", "answer_terms": [str], "page": int|null, "kind", ...}
    DIR/unanswerable.jsonl  {"id", "question", ...}: questions whose answer is in none of the documents

``file`` names the document holding the answer (its id); ``page`` is the 1-based page of the
evidence sentence. Extra fields (``evidence``, ``notes``) are kept but not used for scoring.

The five columns, each over its own question set (an abstention scores 0 on every answerable column):

- answer term in the answer: one of ``answer_terms`` occurs in the answer's text (after NFKC, lower
  case, quotes/dashes unified, whitespace collapsed; digits' thousands separators and the ``**`` marks of
  answer spans ignored);
- right paper cited: the answer's *first* citation is in ``file``;
- answerable answered: the answer did not abstain;
- unanswerable declined: over ``unanswerable.jsonl``, the answer abstained;
- cited page = evidence page: the page of the first citation's start equals ``page`` (over the
  questions that give a page).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import EvaluationError, FormatError
from sleuth.evaluate.beir import json_objects
from sleuth.ingest.structure import page_at
from sleuth.types import Answer

QA_FILE = "qa.jsonl"
UNANSWERABLE_FILE = "unanswerable.jsonl"
COLUMNS = ("answer_term", "right_paper", "answered", "declined", "page")
"""Keys of the five columns, in the order they are shown."""
COLUMN_NAMES = {
    "answer_term": "answer term in the answer",
    "right_paper": "right paper cited",
    "answered": "answerable questions answered",
    "declined": "unanswerable declined",
    "page": "cited page = evidence page",
}
_FIX = ('Each line is one JSON object such as {"id": "q1", "question": "...", "file": "paper.pdf", '
        '"answer_terms": ["..."], "page": 3} (see sleuth.evaluate.qa).')


@dataclass(frozen=True)
class QAItem:
    qid: str
    question: str
    file: str | None = None
    answer_terms: tuple[str, ...] = ()
    page: int | None = None
    kind: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def is_qa_dir(path: Path) -> bool:
    return (Path(path) / QA_FILE).is_file()


def load_qa(path: Path, *, answerable: bool = True) -> list[QAItem]:
    """Read a QA file; answerable items must name a file and at least one answer term."""
    items, seen = [], set()
    for lineno, r in json_objects(path, _FIX):
        if not isinstance(r.get("question"), str) or not r["question"].strip():
            raise FormatError(str(path), lineno, 'no "question" text.', _FIX)
        qid = str(r.get("id", r.get("_id", lineno)))
        if qid in seen:
            raise FormatError(str(path), lineno, f"duplicate id {qid!r}.", "Ids must be unique.")
        seen.add(qid)
        terms = r.get("answer_terms") or []
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise FormatError(str(path), lineno, '"answer_terms" must be a list of strings.', _FIX)
        page = r.get("page")
        if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
            raise FormatError(str(path), lineno, f'"page" must be a 1-based page number, got {page!r}.', _FIX)
        if answerable and (not r.get("file") or not terms):
            raise FormatError(str(path), lineno, 'an answerable question needs "file" and "answer_terms".', _FIX)
        known = {"id", "_id", "question", "file", "answer_terms", "page", "kind"}
        items.append(QAItem(qid, r["question"], r.get("file"), tuple(terms), page, str(r.get("kind", "")),
                            {k: v for k, v in r.items() if k not in known}))
    return items


def load_qa_dir(directory: Path) -> tuple[list[QAItem], list[QAItem]]:
    """(answerable, unanswerable) items of a QA directory; the unanswerable file is optional."""
    directory = Path(directory)
    if not is_qa_dir(directory):
        raise EvaluationError(f"{directory} has no {QA_FILE}.", "A QA directory holds the documents and qa.jsonl.")
    unanswerable = directory / UNANSWERABLE_FILE
    return (load_qa(directory / QA_FILE),
            load_qa(unanswerable, answerable=False) if unanswerable.is_file() else [])


_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b"), "'") | dict.fromkeys(map(ord, "\u201c\u201d\u201e"), '"')
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def normalize(text: str) -> str:
    """NFKC (undoes ligatures), lower case, one kind of dash and quote, no thousands commas, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES).lower()
    return " ".join(_THOUSANDS.sub("", text).split())


def has_term(text: str, terms: tuple[str, ...]) -> bool:
    """One of ``terms`` occurs in ``text``, read without the answer-span marks (``**40** minutes``)."""
    norm = normalize(text.replace("**", ""))
    return any(normalize(t) in norm for t in terms if t.strip())


def score_item(item: QAItem, answer: Answer, metadata: dict[str, Any] | None) -> dict[str, int]:
    """The answerable columns for one answer (0/1 each); ``metadata`` is the first cited document's."""
    if answer.abstained or not answer.citations:
        return {"answer_term": 0, "right_paper": 0, "answered": 0, "page": 0}
    lead = answer.citations[0]
    page = page_at(metadata or {}, lead.start)
    return {"answer_term": int(has_term(answer.text, item.answer_terms)),
            "right_paper": int(lead.doc_id == item.file),
            "answered": 1,
            "page": int(item.page is not None and page == item.page)}


ABLATION: tuple[tuple[str, dict[str, Any]], ...] = (
    ("default", {}),
    ("- question-aware reading (number / name / reason)", {"typed": False}),
    ("- sentences read in context (with the one before)", {"context": False}),
    ("- neighbouring passages", {"neighbours": False}),
    ("- names check", {"mentions": False}),
    ("- per-collection threshold (global 0.47)", {"min_relevance": 0.47}),
    ("- passage-level retrieval (best passage per document)", {"passages": False}),
    ("- knowledge filter", {"filter": False}),
    ("none of the above", {"typed": False, "context": False, "neighbours": False, "mentions": False,
                           "min_relevance": 0.47, "passages": False}),
)
"""Rows of the ablation: each change of the reader switched off on its own, then all together (the
knowledge filter, from the first wave, stays on in "none of the above")."""


def document_paths(directory: Path) -> list[Path]:
    """The documents of a QA directory when no ``--docs`` is given: its PDF files."""
    found = sorted(p for p in Path(directory).rglob("*.pdf") if not p.name.startswith("."))
    if not found:
        raise EvaluationError(f"{directory} holds {QA_FILE} but no PDF files.",
                              "Pass the documents with --docs PATH (a folder or file sleuth index reads).")
    return found


def run_items(asker: Any, items: list[QAItem], store: Any, *, answerable: bool) -> list[dict[str, Any]]:
    """Ask every item; one record per question with its columns (0/1) and what was cited."""
    rows = []
    meta: dict[str, dict[str, Any]] = {}
    for item in items:
        a = asker.ask(item.question)
        lead = a.citations[0] if a.citations else None
        if lead is not None and lead.doc_id not in meta:
            doc = store.get_document(lead.doc_id)
            meta[lead.doc_id] = doc.metadata if doc else {}
        row: dict[str, Any] = {"id": item.qid, "kind": item.kind, "question": item.question,
                               "answer": a.text, "abstained": a.abstained,
                               "cited": lead.doc_id if lead else None,
                               "cited_page": page_at(meta.get(lead.doc_id, {}), lead.start) if lead else None}
        if answerable:
            row.update(score_item(item, a, meta.get(lead.doc_id) if lead else None), file=item.file,
                       evidence_page=item.page)
        else:
            row["declined"] = int(a.abstained)
            row["why"] = a.abstention.message if a.abstention else None
        rows.append(row)
    return rows


def columns(answerable: list[dict[str, Any]], unanswerable: list[dict[str, Any]]) -> dict[str, float | None]:
    """The five columns from per-question records (None when a column has no questions)."""
    def mean(rows: list[dict[str, Any]], key: str) -> float | None:
        return round(sum(r[key] for r in rows) / len(rows), 4) if rows else None

    with_pages = [r for r in answerable if r.get("evidence_page") is not None]
    return {"answer_term": mean(answerable, "answer_term"), "right_paper": mean(answerable, "right_paper"),
            "answered": mean(answerable, "answered"), "declined": mean(unanswerable, "declined"),
            "page": mean(with_pages, "page")}


def evaluate_qa(
    qa_dir: Path,
    *,
    docs: Path | None = None,
    generator: Any = None,
    options: Any = None,
    collection_dir: Path | None = None,
    ablation: bool = True,
    on_progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Index the documents (and calibrate abstention, as ``sleuth index`` does), ask every question,
    and report the five columns, per question kind, and (``ablation``) with each change switched off."""
    import tempfile
    from dataclasses import replace

    from sleuth.ingest import read_paths
    from sleuth.evaluate.calibrate import ensure_calibrated
    from sleuth.rag.pipeline import Asker, AskOptions
    from sleuth.store.embedded.collection import Collection

    say = on_progress or (lambda s: None)
    answerable, unanswerable = load_qa_dir(qa_dir)
    paths = [docs] if docs is not None else document_paths(qa_dir)
    tmp = tempfile.TemporaryDirectory(prefix="sleuth-qa-") if collection_dir is None else None
    directory = Path(tmp.name) / "c" if tmp else Path(collection_dir)  # type: ignore[arg-type]
    options = replace(options or AskOptions(), memory=False)
    try:
        with Collection.open_or_create(directory) as col:
            say("indexing the documents")
            summary = col.ingest(read_paths(paths))
            say("calibrating abstention")
            ensure_calibrated(col)
            out: dict[str, Any] = {"data": str(qa_dir), "documents": col.store.count_documents(),
                                   "passages": col.store.count_chunks(), "ingest_failed": len(summary.failed),
                                   "answerable": len(answerable), "unanswerable": len(unanswerable),
                                   "threshold": Asker(col, options=options).threshold}
            rows: dict[str, dict[str, Any]] = {}
            for name, change in ABLATION if ablation else ABLATION[:1]:
                say(f"asking: {name}")
                asker = Asker(col, generator, replace(options, **change))
                a_rows = run_items(asker, answerable, col.store, answerable=True)
                u_rows = run_items(asker, unanswerable, col.store, answerable=False)
                rows[name] = columns(a_rows, u_rows)
                if name == "default":
                    out.update(rows[name])
                    out["by_kind"] = {k: columns([r for r in a_rows if r["kind"] == k], [])
                                      for k in sorted({r["kind"] for r in a_rows})}
                    out["questions"] = a_rows + u_rows
            if ablation:
                out["ablation"] = rows
            return out
    finally:
        if tmp is not None:
            tmp.cleanup()
