"""Run inside the Milvus server's network namespace by test_milvus_server.py; prints one JSON object.

Against the real Milvus 2.3.5 standalone server on 127.0.0.1:19530: a dense-only collection with
HNSW and 2 shards, the same documents in the embedded store, and the results of both.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for support

from support import synthetic_docs  # noqa: E402

from sleuth.store.milvus.collection import MilvusCollection  # noqa: E402
from sleuth.store.milvus.config import MilvusConfig  # noqa: E402
from sleuth.errors import CollectionError, ConfigError  # noqa: E402
from sleuth.store.embedded.collection import Collection  # noqa: E402

URI = "http://127.0.0.1:19530"
QUERIES = ["protein gene tumor", "quantum photon laser plasma", "wing airfoil shock wave", "sparse dense embedding"]


def wait_for_server(seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            MilvusCollection.exists(MilvusConfig(URI, "probe"))
            return
        except CollectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def main(workdir: Path) -> None:
    wait_for_server()
    docs = synthetic_docs(30, seed=4, words=250)
    out: dict = {}
    try:
        MilvusCollection.create(MilvusConfig(URI, "with_bm25"))
    except ConfigError as exc:
        out["bm25_error"] = str(exc)
    config = MilvusConfig(URI, "dense_hnsw", index_type="HNSW", shards=2, bm25=False)
    with MilvusCollection.create(config) as col, Collection.create(workdir / "embedded") as emb:
        s = col.ingest(docs)
        emb.ingest(docs)
        out["added"], out["chunks"] = s.added, col.store.count_chunks()
        out["embedded_chunks"] = emb.store.count_chunks()
        out["default_mode"] = col.default_mode
        desc = col.client.describe_collection(config.collection)
        out["shards"] = desc["num_shards"]
        out["index_type"] = col.client.describe_index(config.collection, "vector")["index_type"]
        out["rankings"] = [
            {"milvus": [h.doc_id for h in col.search(q, 10)], "embedded": [h.doc_id for h in emb.search(q, 10, mode="dense")],
             "scores": [h.score for h in col.search(q, 3)], "embedded_scores": [h.score for h in emb.search(q, 3, mode="dense")]}
            for q in QUERIES
        ]
        col.drop()
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
