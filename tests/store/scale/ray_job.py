"""Run inside a loopback-only network namespace by test_ray_ingest.py; prints one JSON object.

Ingests one BEIR corpus into Milvus Lite twice: in-process (the reference) and on a local Ray with two
workers over several shards; reports what both stored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import ray

from sleuth.store.milvus.collection import MilvusCollection
from sleuth.store.milvus.config import MilvusConfig
from sleuth.store.ray_ingest import plan, ray_ingest, ray_session
from sleuth.ingest import read_paths


def stored(col: MilvusCollection) -> dict[int, tuple]:
    rows = col.client.query(col.name, filter="id >= 0 or id < 0", output_fields=["doc_id", "start", "end", "terms", "vector"])
    return {int(r["id"]): (r["doc_id"], r["start"], r["end"], r["terms"], np.asarray(r["vector"], np.float32)) for r in rows}


def main(corpus: Path, db: Path) -> None:
    out: dict = {}
    work = plan([corpus], shard_bytes=4096)
    out["shards"] = len(work.shards)
    with ray_session(workers=2):  # first: Ray forks its daemons from this process (see ray_session)
        with MilvusCollection.create(MilvusConfig(str(db), "reference")) as ref:
            ref.ingest(read_paths([corpus]))
            expected = stored(ref)
        out["nodes"] = [n["NodeManagerAddress"] for n in ray.nodes()]
        with MilvusCollection.create(MilvusConfig(str(db), "distributed")) as col:
            s = ray_ingest(work, col, workers=2)
            out["first"] = s.to_dict()
            got = stored(col)
            out["same_keys"] = sorted(got) == sorted(expected)
            out["same_rows"] = all(got[k][:4] == expected[k][:4] for k in expected)
            out["max_vector_diff"] = float(max(np.abs(got[k][4] - expected[k][4]).max() for k in expected))
            out["again"] = ray_ingest(work, col, workers=2).to_dict()
            out["documents"] = col.store.count_documents()
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
