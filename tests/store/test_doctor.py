"""sleuth doctor: reports damage to each index file kind, and --repair rebuilds from the docstore."""

import pytest
from support import synthetic_docs

from sleuth.errors import CollectionError
from sleuth.store.embedded.collection import Collection
from sleuth.store.embedded.doctor import diagnose, repair


@pytest.fixture
def col_dir(tmp_path):
    with Collection.create(tmp_path / "c") as col:
        col.ingest(synthetic_docs(20))
    return tmp_path / "c"


def queries(directory):
    with Collection.open(directory, readonly=True) as col:
        return {q: [h.doc_id for h in col.search(q, 5, mode=m, snippets=False)]
                for q in ("protein gene", "markerd4x") for m in ("bm25", "dense")}


def test_healthy_collection(col_dir):
    r = diagnose(col_dir)
    assert r.ok and [c["check"] for c in r.checks] == ["meta.json", "docstore", "lexical index", "vectors"]


@pytest.mark.parametrize("pattern,check", [("lexical/seg-*.lex", "lexical index"), ("lexical/manifest.json", "lexical index"),
                                           ("vectors/vec-*.f32.npy", "vectors"), ("vectors/vec-*.ids.npy", "vectors"),
                                           ("vectors/vec-*.docs.npy", "vectors"), ("vectors/manifest.json", "vectors")])
def test_damage_is_reported_and_repaired(col_dir, pattern, check):
    want = queries(col_dir)
    path = next(col_dir.glob(pattern))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))
    r = diagnose(col_dir)
    bad = [c for c in r.checks if not c["ok"]]
    assert [c["check"] for c in bad] == [check] and path.name in bad[0]["detail"]
    with pytest.raises(CollectionError, match=path.name):  # searching says which file, never a wrong answer
        queries(col_dir)
    assert repair(col_dir).ok
    assert queries(col_dir) == want


def test_damaged_docstore_is_reported(col_dir):
    db = col_dir / "docs.sqlite"
    db.write_bytes(b"not a database" * 100)
    r = diagnose(col_dir)
    assert not r.ok and r.checks[-1]["check"] == "docstore" and "is damaged or unreadable" in r.checks[-1]["detail"]


def test_a_damaged_ann_graph_is_named_and_rebuilt_from_the_vectors(tmp_path, monkeypatch):
    from sleuth.index import vectors

    monkeypatch.setattr(vectors, "ANN_THRESHOLD", 10)
    with Collection.create(tmp_path / "c") as col:
        col.ingest(synthetic_docs(20))
    want = queries(tmp_path / "c")
    graph = next((tmp_path / "c" / "vectors").glob("ann-*.usearch"))
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0x55
    graph.write_bytes(bytes(data))
    r = diagnose(tmp_path / "c")
    bad = [c for c in r.checks if not c["ok"]]
    assert [c["check"] for c in bad] == ["ann graph"] and graph.name in bad[0]["detail"]
    assert repair(tmp_path / "c").ok
    assert queries(tmp_path / "c") == want
