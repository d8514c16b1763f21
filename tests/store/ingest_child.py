"""Child process for the crash tests: ingest a deterministic corpus, print each durable batch.

    python ingest_child.py DIR N_DOCS ENCODER [SEGMENT_ROWS]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import synthetic_docs  # noqa: E402

from sleuth.config import Settings  # noqa: E402
from sleuth.index import vectors  # noqa: E402
from sleuth.store.collection import Collection  # noqa: E402

if __name__ == "__main__":
    directory, n, encoder = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if len(sys.argv) > 4:
        vectors.SEGMENT_ROWS = int(sys.argv[4])  # small segments: kills land between vector writes too
    col = Collection.open_or_create(directory, Settings(encoder=encoder))
    print("ready", flush=True)
    col.ingest(synthetic_docs(n, seed=7), batch_size=20,
               on_commit=lambda ids: print("committed " + " ".join(ids), flush=True))
    print("done", flush=True)
