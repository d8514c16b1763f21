"""Fuzzed files ingested into a live collection: it stays healthy and keeps what it had."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import synthetic_docs

from sleuth.config import Settings
from sleuth.errors import SleuthError
from sleuth.ingest import read_paths
from sleuth.store.embedded.collection import Collection
from sleuth.store.embedded.doctor import diagnose


@pytest.fixture(scope="module")
def col(tmp_path_factory):
    c = Collection.create(tmp_path_factory.mktemp("fz") / "c", Settings(encoder="none"))
    c.ingest(synthetic_docs(10))
    yield c
    c.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["x.jsonl", "x.md", "x.txt", "x.pdf", "corpus.jsonl"]),
       content=st.one_of(st.binary(max_size=2000),
                         st.text(max_size=2000).map(str.encode),
                         st.lists(st.fixed_dictionaries({"_id": st.text(max_size=8), "text": st.text(max_size=50)}),
                                  max_size=5).map(lambda rs: "\n".join(map(repr, rs)).encode())),
       skip_bad=st.booleans())
def test_bad_files_never_damage_the_collection(col, tmp_path_factory, name, content, skip_bad):
    path = tmp_path_factory.mktemp("in") / name
    path.write_bytes(content)
    before = col.store.count_documents()
    try:
        col.ingest(read_paths([path], skip_bad=skip_bad))
    except SleuthError:
        pass
    assert col.store.count_documents() >= before
    assert col.lexical.search("markerd3x", 1).doc_ids == ["d3"]
    assert diagnose(col.directory).ok
