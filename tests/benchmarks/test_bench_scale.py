"""bench_scale's --reuse: a kept index with its build record is reported, not rebuilt."""

import json
import sys

from support import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_scale  # noqa: E402


def test_a_kept_build_is_reused_only_with_both_its_index_and_its_record(tmp_path):
    assert bench_scale._built(tmp_path, "sleuth") is None  # nothing kept
    (tmp_path / "sleuth.build.json").write_text(json.dumps({"docs_per_s": 3000.0}))
    assert bench_scale._built(tmp_path, "sleuth") is None  # a record without its index: rebuild
    (tmp_path / "sleuth").mkdir()
    assert bench_scale._built(tmp_path, "sleuth") == {"docs_per_s": 3000.0, "reused": True}
    assert bench_scale._built(tmp_path, "tantivy") is None


def test_the_table_marks_a_recorded_build():
    r = {"docs_per_s": 3000.0, "peak_rss_mb": 500.0, "disk_bytes": 2**20, "reused": True}
    table = bench_scale.table({"machine": "m", "sizes": {100: {"bm25s": r}}})
    assert "3,000 (recorded build, --reuse)" in table
