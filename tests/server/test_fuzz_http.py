"""Property-based fuzzing of the HTTP inputs: every request gets a result or the one error shape, never a 500."""

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from support import LOCAL

from sleuth.server import create_app

TEXT = st.text(max_size=200)


@pytest.fixture(scope="module")
def client(built_collection):
    with TestClient(create_app(built_collection, token="t"), base_url=LOCAL, raise_server_exceptions=False) as c:
        yield c


def check(r):
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        err = r.json()["error"]
        assert err["status"] == r.status_code and err["message"] and err["fix"]


FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(q=TEXT, k=st.one_of(st.integers(-5, 2000), TEXT), mode=st.one_of(st.sampled_from(["bm25", "dense", "hybrid"]), TEXT))
def test_search_query_strings(client, q, k, mode):
    check(client.get("/api/search", params={"q": q, "k": k, "mode": mode}))


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                                                             lambda c: st.lists(c, max_size=4) | st.dictionaries(TEXT, c, max_size=4),
                                                             max_leaves=10).map(lambda v: json.dumps(v).encode())),
       path=st.sampled_from(["/api/ask", "/api/documents"]))
def test_json_bodies(client, body, path):
    check(client.post(path, content=body, headers={"content-type": "application/json", "authorization": "Bearer t"}))


@FUZZ
@given(doc_id=TEXT, start=st.one_of(st.none(), st.integers(-10, 10_000)), end=st.one_of(st.none(), st.integers(-10, 10_000)))
def test_document_paths(client, doc_id, start, end):
    params = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    check(client.get(f"/api/documents/{quote(doc_id, safe='')}", params=params))
