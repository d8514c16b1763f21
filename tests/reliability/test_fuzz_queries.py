"""Property-based fuzzing of the query path: no query may crash search or ask, or change the collection."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ROOT

from sleuth.errors import InputError
from sleuth.ingest import read_paths
from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.store.embedded.collection import Collection

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"
QUERIES = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(categories=("Zs", "Cc", "Po", "Sm", "So")), max_size=50),
    st.from_regex(r"[\w\s\[\]\(\)\*\?\"'\\-]{0,80}", fullmatch=True),
    st.just("a" * 10_001),
)


@pytest.fixture(scope="module")
def col(tmp_path_factory):
    c = Collection.create(tmp_path_factory.mktemp("fuzz") / "c")
    c.ingest(read_paths([BEIR], fmt="beir"))
    yield c
    c.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES, mode=st.sampled_from(["bm25", "dense", "hybrid"]), k=st.integers(1, 30))
def test_any_query_returns_hits_or_a_clear_input_error(col, query, mode, k):
    try:
        hits = col.search(query, k, mode=mode)
    except InputError as exc:
        assert exc.fix
        return
    assert len(hits) <= k
    assert len({h.doc_id for h in hits}) == len(hits)
    for h in hits:
        assert h.chunk is not None and h.chunk.text == col.store.get_document(h.doc_id).text[h.chunk.start : h.chunk.end]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUERIES)
def test_any_question_is_answered_declined_or_refused(col, question):
    asker = Asker(col, options=AskOptions(memory=False))
    try:
        answer = asker.ask(question)
    except InputError:
        return
    for c in answer.citations:
        assert col.store.get_document(c.doc_id).text[c.start : c.end] == c.quote


def test_queries_never_change_the_collection(col):
    before = col.stats()
    for q in ["'; DROP TABLE documents; --", "\x00\x01", "☃" * 500, "OR AND NOT ( ) *"]:
        col.search(q, 5, mode="hybrid")
    after = col.stats()
    assert (before["documents"], before["chunks"]) == (after["documents"], after["chunks"])
