"""The ANN graph module on its own: loading order, save/extend/view, and damage."""

import subprocess
import sys

import numpy as np
import pytest

from sleuth.errors import CollectionError
from sleuth.index import ann


def test_an_encoder_session_after_the_graph_module_does_not_crash():
    """usearch loaded before onnxruntime segfaults the process at the first onnxruntime session."""
    code = ("from sleuth.index import ann; ann._index_class()\n"
            "from sleuth.index.encoders import get_encoder\n"
            "print(get_encoder('minilm').encode_queries(['a query']).shape)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "(1, 384)" in r.stdout, r.stderr[-2000:]


def test_extend_then_view_finds_every_vector_and_damage_is_named(tmp_path):
    rng = np.random.default_rng(0)
    v = rng.standard_normal((300, 16)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    first = ann.extend(tmp_path, None, 16, [(np.arange(1, 201), v[:200])])
    second = ann.extend(tmp_path, first, 16, [(np.arange(201, 301), v[200:])])
    assert (second["rows"], second["covered"], second["gen"]) == (300, 300, 2)
    graph = ann.open_view(tmp_path, second)
    assert graph.expansion_search == ann.EXPANSION_SEARCH  # a small graph: the floor
    hits = [int(ann.candidates(graph, v[i], 5)[0]) for i in range(300)]
    assert hits == list(range(1, 301))  # each vector is its own nearest neighbour (keys = ids 1..300)
    path = tmp_path / second["file"]
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CollectionError, match=rf"{path.name} is damaged"):
        ann.open_view(tmp_path, second)
    path.unlink()
    with pytest.raises(CollectionError, match=rf"{path.name} is missing"):
        ann.open_view(tmp_path, second)


def test_the_search_breadth_grows_with_the_square_root_of_the_graph():
    assert [ann.search_expansion(n) for n in (0, 10_000, 41_943, 100_000, 1_000_000, 4_000_000)] == \
        [1024, 1024, 1024, 1581, 5000, 10000]
