"""Nothing about Milvus or Ray is imported unless asked for: the embedded store is the default."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
import sleuth, sleuth.cli.main, sleuth.store, sleuth.store.ray_ingest
from sleuth.store.embedded.collection import Collection
from sleuth.config import Settings
from sleuth.types import Document
with Collection.create(sys.argv[1], Settings(encoder="none")) as col:
    col.ingest([Document("a", "bees make honey from nectar", "Honey")])
    hits = col.search("honey", 1)
print(json.dumps({"hit": hits[0].doc_id, "loaded": sorted(m for m in ("pymilvus", "milvus_lite", "ray", "grpc") if m in sys.modules)}))
"""


def test_embedded_search_loads_neither_milvus_nor_ray(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "col")], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"hit": "a", "loaded": []}
