"""nDCG@10 of BM25 settings over the shared collections: how sleuth's lexical defaults were chosen.

    python benchmarks/sweep_bm25.py "" "title_weight=2,k1=1.5" "chunk_size=1000,title_weight=0" ...

Each argument is one configuration (comma-separated Settings overrides; "" = the defaults). Rows are
SciFact's *train* qrels (where defaults are chosen) and the test qrels of every collection (where they
are only checked). Columns follow the arguments.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, load_beir  # noqa: E402

from sleuth.config import Settings  # noqa: E402
from sleuth.evaluate.metrics import evaluate_run  # noqa: E402
from sleuth.index.lexical import LexicalIndex  # noqa: E402
from sleuth.ingest import read_paths  # noqa: E402
from sleuth.store.embedded.collection import Collection  # noqa: E402

SETS = [("scifact", "train"), ("scifact", "test"), ("cranfield", "test"), ("cisi", "test"), ("med", "test"),
        ("adi", "test"), ("cacm", "test")]


def main(configs: list[str]) -> None:
    overrides = [dict(kv.split("=") for kv in c.split(",")) if c else {} for c in configs or [""]]
    print("| collection/split | " + " | ".join(c or "defaults" for c in configs or [""]) + " |")
    print("|---|" + "---|" * len(overrides))
    with tempfile.TemporaryDirectory() as tmp:
        for name, split in SETS:
            data = SHARED / name
            _, queries, qrels = load_beir(data, split)
            built: dict[tuple, Collection] = {}
            row = []
            for o in overrides:
                st = Settings.from_dict({"encoder": "none", **o})
                key = (st.chunker, st.chunk_size, st.chunk_overlap)
                if key not in built:  # chunking needs its own collection; BM25 parameters only a reload
                    col = Collection.create(Path(tmp) / f"{name}-{split}-{len(built)}",
                                            Settings(encoder="none", chunker=st.chunker, chunk_size=st.chunk_size,
                                                     chunk_overlap=st.chunk_overlap))
                    col.ingest(read_paths([data], fmt="beir"))
                    built[key] = col
                col = built[key]
                lx = LexicalIndex.load(col.directory / "lexical", col.store, st, col.analyzer)
                run = {q: dict(zip(r.doc_ids, r.scores.tolist())) for q, r in zip(queries, lx.search_batch(list(queries.values()), 100))}
                row.append(evaluate_run(qrels, run, ("ndcg@10",))["ndcg@10"])
            print(f"| {name}/{split} | " + " | ".join(f"{x:.4f}" for x in row) + " |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
