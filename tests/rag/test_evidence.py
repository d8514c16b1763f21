"""Evidence tables: a question comparing papers gets one row per paper, each an exact citation."""

from __future__ import annotations

from pathlib import Path

from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document

PAPERS = [
    Document("p1", "We evaluate our reader on SQuAD and report an exact match of 81.2 on its development set. "
             "Training takes two days.", "A fast reader"),
    Document("p2", "Our retriever is tested on Natural Questions, where it reaches 41.5 top-1 accuracy. "
             "It uses dense vectors.", "Dense retrieval"),
    Document("p3", "Results on TriviaQA show 68.0 exact match for the fused model. The model is small.", "Fusion"),
    Document("p4", "Sourdough bread needs a starter of flour and water, fed daily.", "Baking"),
]


def test_a_comparative_question_gets_one_row_per_paper(tmp_path: Path) -> None:
    with Collection.create(tmp_path / "c") as col:
        col.ingest(PAPERS)
    with Collection.open(tmp_path / "c", readonly=True) as col:
        asker = Asker(col, options=AskOptions(memory=False, min_relevance=0.2))
        a = asker.ask("Which papers report exact match results on question answering datasets?")
        asker.close()
        assert a.form == "table", a.text
        lines = a.text.splitlines()
        assert lines[:2] == ["| paper | evidence | page |", "|---|---|---|"]
        cited = [c.doc_id for c in a.citations]
        assert len(cited) == len(set(cited)) == len(lines) - 2  # one row per paper
        assert {"p1", "p3"} <= set(cited) and "p4" not in cited
        for c in a.citations:
            doc = col.store.get_document(c.doc_id)
            assert doc is not None and doc.text[c.start : c.end] == c.quote  # exact spans
