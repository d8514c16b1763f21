"""Question-answering sets with answer terms and evidence pages (the PDF QA format), and their five columns.

Layout of a QA directory (``../shared/data/pdfs`` is one)::

    DIR/*.pdf (or any files sleuth reads)  the documents; a document's id is its path relative to DIR
    DIR/qa.jsonl            {"id", "question", "file", "answer_terms": [str], "page": int|null, "kind", ...}
    DIR/unanswerable.jsonl  {"id", "question", ...}: questions whose answer is in none of the documents

``file`` names the document holding the answer (its id); ``page`` is the 1-based page of the
evidence sentence. Extra fields (``evidence``, ``notes``) are kept but not used for scoring.

The five columns, each over its own question set (an abstention scores 0 on every answerable column):

- answer term in the answer: one of ``answer_terms`` occurs in the answer's text (after NFKC, lower
  case, quotes/dashes unified, whitespace collapsed; digits' thousands separators ignored);
- right paper cited: the answer's *first* citation is in ``file``;
- answerable answered: the answer did not abstain;
- unanswerable declined: over ``unanswerable.jsonl``, the answer abstained;
- cited page = evidence page: the page of the first citation's start equals ``page``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import EvaluationError, FormatError
from sleuth.rag.context import page_at
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
    with Path(path).open(encoding="utf-8-sig") as lines:
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FormatError(str(path), lineno, f"not valid JSON ({exc.msg}).", _FIX) from None
            if not isinstance(r, dict) or not isinstance(r.get("question"), str) or not r["question"].strip():
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
    norm = normalize(text)
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
