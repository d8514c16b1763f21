"""Child process for the crash tests: ingest a deterministic corpus, print each durable batch."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import synthetic_docs  # noqa: E402

from sleuth.store.collection import Collection  # noqa: E402

if __name__ == "__main__":
    directory, n = Path(sys.argv[1]), int(sys.argv[2])
    col = Collection.open_or_create(directory)
    print("ready", flush=True)
    col.ingest(synthetic_docs(n, seed=7), batch_size=20,
               on_commit=lambda ids: print("committed " + " ".join(ids), flush=True))
    print("done", flush=True)
