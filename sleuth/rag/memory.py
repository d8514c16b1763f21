"""The memory reservoir: earlier questions with their answers, reused for repeats and paraphrases.

An entry is served for a new question q only if all of these hold:

0. The same question up to case, spacing and end punctuation: served without embedding it.
1. cos(e(q), e(q_entry)) >= threshold_entry. Each entry has its own threshold: it starts at ``BASE``
   and is raised above the similarity of every other stored question (+ ``MARGIN``), so a new
   question is served an entry only if it is closer to that entry than any two different stored
   questions are to each other; the threshold adapts as the memory grows, without training.
2. The two questions agree on what embeddings blur: the same numbers, the same negations, and no
   polarity word (increase/decrease, higher/lower, ...) present in one but not the other.
3. Every document the answer cites is unchanged (content hash); otherwise the entry is dropped.

Entries live in ``DIR/memory.sqlite``, apart from the docstore, so a reader can fill the memory
without taking the collection's write lock.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path

import numpy as np

from sleuth.docstore.store import DocStore
from sleuth.text import Analyzer
from sleuth.types import Answer, AnswerSentence, Citation

BASE = 0.90
MARGIN = 0.02
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NEGATIONS = frozenset("not no never none without cannot nor n't neither".split())
_POLARITY = frozenset(
    "increas decreas higher lower more less fewer greater smaller larger reduc rais rise fall inhibit "
    "promot activ suppress enhanc impair improv worsen posit negat up down gain loss benefici harm "
    "above below before after".split()
)  # stems, as the English analyzer produces them


def _guard_key(question: str, analyzer: Analyzer) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    words = re.findall(r"[\w']+", question.lower())
    negations = frozenset(w for w in words if w in _NEGATIONS or w.endswith("n't"))
    polar = frozenset(t for t in analyzer.terms(question) if t in _POLARITY)
    return frozenset(_NUMBER.findall(question)), negations, polar


def same_meaning_guard(a: str, b: str, analyzer: Analyzer) -> bool:
    """True when nothing an embedding tends to blur (numbers, negation, polarity) differs."""
    return _guard_key(a, analyzer) == _guard_key(b, analyzer)


SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    question TEXT NOT NULL,
    vector BLOB NOT NULL,
    answer TEXT NOT NULL,
    docs TEXT NOT NULL,
    threshold REAL NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS entries_key ON entries(key);
"""


def exact_key(question: str) -> str:
    """The question up to case, spacing and end punctuation: a repeat is found without embedding it."""
    return " ".join(question.lower().split()).strip(" ?!.")


def _answer_to_json(a: Answer) -> str:
    d = asdict(a)
    d.pop("timings_ms")
    d.pop("memory_question")
    return json.dumps(d)


def _answer_from_json(s: str, stored_question: str) -> Answer:
    d = json.loads(s)
    return Answer(
        question=d["question"], text=d["text"],
        citations=tuple(Citation(**{**c, "authors": tuple(c.get("authors") or ())}) for c in d["citations"]),
        sentences=tuple(AnswerSentence(x["text"], tuple(x["citations"]), x["supported"], x["support"]) for x in d["sentences"]),
        abstained=d["abstained"], reader=d["reader"], from_memory=True, memory_question=stored_question,
        rejected_citations=tuple(d["rejected_citations"]),
    )


class Memory:
    def __init__(self, path: Path, analyzer: Analyzer, store: DocStore) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # A cache, not a record: losing the last entries in a power cut is fine, an fsync per hit is not.
        self.db.execute("PRAGMA synchronous=NORMAL")
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(entries)")}
        if columns and not {"key", "threshold"} <= columns:  # written by an older sleuth: a cache, start afresh
            with self.db:
                self.db.execute("DROP TABLE entries")
        self.db.executescript(SCHEMA)
        self.analyzer, self.store = analyzer, store
        self._lock = threading.Lock()

    def close(self) -> None:
        self.db.close()

    def _rows(self) -> list[tuple[int, str, np.ndarray, str, dict[str, str], float]]:
        rows = self.db.execute("SELECT id, question, vector, answer, docs, threshold FROM entries").fetchall()
        return [(i, q, np.frombuffer(v, np.float32), a, json.loads(d), t) for i, q, v, a, d, t in rows]

    def _serve(self, i: int, stored_question: str, a: str, docs: dict[str, str]) -> Answer | None:
        if self.store.hashes(docs) != docs:  # a cited document changed or was deleted since
            with self.db:
                self.db.execute("DELETE FROM entries WHERE id = ?", (i,))
            return None
        with self.db:
            self.db.execute("UPDATE entries SET hits = hits + 1 WHERE id = ?", (i,))
        return _answer_from_json(a, stored_question)

    def lookup_exact(self, question: str) -> Answer | None:
        """A stored answer to the same question (up to case and spacing): no embedding needed."""
        with self._lock:
            row = self.db.execute("SELECT id, question, answer, docs FROM entries WHERE key = ? ORDER BY id DESC LIMIT 1",
                                  (exact_key(question),)).fetchone()
            return None if row is None else self._serve(row[0], row[1], row[2], json.loads(row[3]))

    def lookup(self, question: str, vector: np.ndarray) -> Answer | None:
        """A stored answer that may be served for ``question``, or None."""
        with self._lock:
            best: tuple[float, int, str, str, dict[str, str]] | None = None
            for i, q, v, a, docs, threshold in self._rows():
                sim = float(v @ vector)
                if sim >= threshold and (best is None or sim > best[0]) and same_meaning_guard(question, q, self.analyzer):
                    best = (sim, i, q, a, docs)
            if best is None:
                return None
            _, i, stored_question, a, docs = best
            return self._serve(i, stored_question, a, docs)

    def add(self, question: str, vector: np.ndarray, answer: Answer) -> None:
        """Remember an answer; raise the thresholds of every entry close to this question, and its own."""
        docs = sorted({c.doc_id for c in answer.citations})
        hashes = self.store.hashes(docs)
        threshold = BASE
        key = exact_key(question)
        with self._lock, self.db:
            for i, q, v, a, other_docs, t in self._rows():
                if exact_key(q) == key:
                    continue
                sim = float(v @ vector)
                threshold = max(threshold, sim + MARGIN)
                if sim + MARGIN > t:
                    self.db.execute("UPDATE entries SET threshold = ? WHERE id = ?", (sim + MARGIN, i))
            self.db.execute(
                "INSERT INTO entries (key, question, vector, answer, docs, threshold) VALUES (?, ?, ?, ?, ?, ?)",
                (exact_key(question), question, np.asarray(vector, np.float32).tobytes(), _answer_to_json(answer), json.dumps(hashes), threshold),
            )

    def stats(self) -> dict[str, int]:
        n, hits = self.db.execute("SELECT count(*), coalesce(sum(hits), 0) FROM entries").fetchone()
        return {"entries": n, "hits": hits}

    def clear(self) -> None:
        with self.db:
            self.db.execute("DELETE FROM entries")
