"""Where the extractive reader loses answers: is the sentence holding an answer term among its candidates,
and at which rank does the reader put it?

    python benchmarks/diagnose_reader.py QA_DIR COLLECTION

QA_DIR holds qa.jsonl (as for `sleuth eval-answers`); COLLECTION is an index of its documents (e.g. the one
`sleuth eval-answers QA_DIR --collection DIR` leaves). Prints one line per question and a summary table:
questions whose candidates hold an answer term, and those where the reader ranks such a sentence first or
in its top 3 (the answer quotes at most three sentences).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from sleuth.evaluate.qa import has_term, load_qa  # noqa: E402
from sleuth.rag.pipeline import Asker, AskOptions  # noqa: E402
from sleuth.rag.retrieval import with_neighbours  # noqa: E402
from sleuth.store.embedded.collection import Collection  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("qa_dir", type=Path)
    ap.add_argument("collection", type=Path)
    a = ap.parse_args(argv)
    items = load_qa(a.qa_dir / "qa.jsonl")
    found = first = top3 = 0
    with Collection.open(a.collection, readonly=True) as col:
        asker = Asker(col, options=AskOptions(memory=False))
        for it in items:
            qvec = asker.vector(it.question)
            passages = with_neighbours(col, asker.retrieve(it.question, [it.question], qvec), qvec)
            ranked = asker.extractive.rank(asker.extractive.gather(it.question, passages, qvec))
            pos = next((i for i, s in enumerate(ranked) if has_term(s.candidate.clean, it.answer_terms)), None)
            found += pos is not None
            first += pos == 0
            top3 += pos is not None and pos < 3
            print(f"{it.qid}\t{it.kind}\trank of the first answer-term sentence: {'-' if pos is None else pos + 1} of {len(ranked)}")
        asker.close()
    n = len(items)
    print(f"\n# {machine()}")
    print("| questions | answer term among the candidates | ranked first | in the top 3 |\n|---|---|---|---|")
    print(f"| {n} | {found} ({found / n:.2f}) | {first} ({first / n:.2f}) | {top3} ({top3 / n:.2f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
