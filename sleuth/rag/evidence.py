"""Evidence tables: a question that compares papers is answered with one row per paper.

"Compare the datasets used by ...", "which papers report ..." (:mod:`sleuth.rag.question`, kind
``compare``) ask about several documents at once; three loose sentences, possibly from one paper,
do not answer them. The table reads the best passage of each of the best :data:`ROWS` documents,
quotes each document's best sentence (scored as :class:`sleuth.rag.extractive.ExtractiveReader`
scores sentences), and keeps a document only if that sentence's relevance reaches the collection's
abstention threshold: a row is evidence, not filler. Rows are ordered best first; each is an exact
citation with its page.
"""

from __future__ import annotations

from sleuth.rag.context import Passage
from sleuth.rag.extractive import Evidence, ExtractiveReader, Scored, abstain
from sleuth.types import Answer

ROWS = 8
"""Documents read for a table (at most one row each)."""


def best_per_document(reader: ExtractiveReader, ev: Evidence) -> list[Scored]:
    """Each document's best-scoring sentence, best documents first."""
    best: dict[str, Scored] = {}
    for s in reader.rank(ev):
        best.setdefault(s.candidate.passage.chunk.doc_id, s)
    return list(best.values())


def table(reader: ExtractiveReader, question: str, passages: list[Passage], ev: Evidence,
          threshold: float) -> Answer:
    """The evidence table for ``question`` (``passages``: one per document), or an abstention."""
    sem = {(c.passage.row, c.start): float(v) for c, v in zip(ev.candidates, ev.sem.tolist())}
    rows = [s for s in best_per_document(reader, ev)
            if sem[(s.candidate.passage.row, s.candidate.start)] >= threshold]
    if not rows:
        return abstain(question, reader.name)
    answer = reader.assemble(question, rows, passages)
    lines = ["| paper | evidence | page |", "|---|---|---|"]
    for c, s in zip(answer.citations, answer.sentences):
        quote = " ".join(s.text.split()).replace("|", "\\|")
        lines.append(f"| [{c.n}] {(c.title or c.doc_id).replace('|', '/')} | {quote} | {c.page or '-'} |")
    return Answer(question, "\n".join(lines), answer.citations, answer.sentences, reader=reader.name, form="table")
