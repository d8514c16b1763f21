"""Child process for the crash tests: ingest a deterministic corpus, print each durable batch.

    python ingest_child.py DIR N_DOCS ENCODER [SEGMENT_ROWS] [PAUSE_AT]

PAUSE_AT (``merge`` or ``ann``) makes lexical segments small and merges frequent (or the ANN graph
start at 100 passages), and announces each lexical merge or graph build (``pausing merge``) and its
end (``pausing merge written``: the new file is durable, the manifest not yet updated), pausing 0.3 s
at both, so the parent can kill the real merge or build in its windows.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import synthetic_docs  # noqa: E402

from sleuth.config import Settings  # noqa: E402
from sleuth.index import ann, lexical, vectors  # noqa: E402
from sleuth.store.embedded.collection import Collection  # noqa: E402


def pause_around(module, name: str, what: str) -> None:  # noqa: ANN001
    """Pause 0.3 s before and after each call of module.name, announcing both (kill windows)."""
    real = getattr(module, name)

    def paused(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        print(f"pausing {what}", flush=True)
        time.sleep(0.3)
        out = real(*args, **kwargs)
        print(f"pausing {what} written", flush=True)
        time.sleep(0.3)
        return out

    setattr(module, name, paused)


if __name__ == "__main__":
    directory, n, encoder = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if len(sys.argv) > 4 and sys.argv[4] != "-":
        vectors.SEGMENT_ROWS = int(sys.argv[4])  # small segments: kills land between vector writes too
    pause = sys.argv[5] if len(sys.argv) > 5 else None
    if pause == "merge":
        lexical.FLUSH_ROWS, lexical.MERGE_FACTOR = 40, 2
        pause_around(lexical, "merge_arrays", "merge")
    elif pause == "ann":
        vectors.ANN_THRESHOLD = 100
        pause_around(ann, "extend", "ann")
    col = Collection.open_or_create(directory, Settings(encoder=encoder))
    print("ready", flush=True)
    col.ingest(synthetic_docs(n, seed=7), batch_size=20,
               on_commit=lambda ids: print("committed " + " ".join(ids), flush=True))
    print("done", flush=True)
