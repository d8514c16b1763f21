"""The HTTP API: every endpoint, the write token, and one error shape for every failure."""

from __future__ import annotations

import json

import pytest

from starlette.testclient import TestClient
from support import LOCAL

from sleuth.server import create_app


def assert_error(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "message", "fix"}
    assert body["error"]["status"] == status
    assert body["error"]["message"] and body["error"]["fix"]
    return body["error"]


@pytest.fixture(scope="module")
def client(built_collection):
    with TestClient(create_app(built_collection, token=TOKEN), base_url=LOCAL) as c:
        yield c


@pytest.fixture
def writer(fresh_collection):
    with TestClient(create_app(fresh_collection, token=TOKEN, max_body=20_000), base_url=LOCAL) as c:
        yield c


TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_search_returns_hits_in_the_cli_json_shape(client):
    r = client.get("/api/search", params={"q": "honey nectar", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "honey nectar" and body["mode"]
    hit = body["hits"][0]
    assert hit["doc_id"] == "honeybee" and hit["rank"] == 0
    assert set(hit) == {"rank", "doc_id", "score", "title", "snippet", "highlights", "passage",
                        "authors", "year", "section", "page"}
    assert {"start", "end", "chunk_id"} <= set(hit["passage"])
    marked = [hit["snippet"][a:b].lower() for a, b in hit["highlights"]]
    assert any(m.startswith(("honey", "nectar")) for m in marked)
    assert len(body["hits"]) <= 3


def test_search_mode_and_bad_input(client):
    assert client.get("/api/search", params={"q": "volcano", "mode": "bm25"}).json()["mode"] == "bm25"
    e = assert_error(client.get("/api/search", params={"q": "volcano", "mode": "bm52"}), 422)
    assert "bm25" in e["message"] + e["fix"]
    assert "required" in assert_error(client.get("/api/search"), 422)["message"]
    assert_error(client.get("/api/search", params={"q": "   "}), 422)
    assert_error(client.get("/api/search", params={"q": "x", "k": 0}), 422)


def test_ask_returns_a_cited_answer(client):
    r = client.post("/api/ask", json={"question": "How do bees turn nectar into honey?", "k": 5})
    assert r.status_code == 200, r.text
    a = r.json()
    assert not a["abstained"] and a["citations"]
    c = a["citations"][0]
    assert c["doc_id"] == "honeybee" and f"[{c['n']}]" in a["text"]
    doc = client.get(f"/api/documents/{c['doc_id']}", params={"start": c["start"], "end": c["end"]}).json()
    assert doc["span"]["text"] == c["quote"] == doc["text"][c["start"] : c["end"]]


def test_ask_stream_sends_one_answer_event_for_the_extractive_reader(client):
    with client.stream("GET", "/api/ask/stream", params={"q": "How do bees turn nectar into honey?"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        raw = "".join(r.iter_text())
    events = [block.split("\n", 1) for block in raw.strip().split("\n\n")]
    assert [e[0] for e in events] == ["event: answer"]
    answer = json.loads(events[0][1].removeprefix("data: "))
    assert answer["citations"][0]["doc_id"] == "honeybee"
    assert_error(client.get("/api/ask/stream", params={"q": ""}), 422)


class Scripted:
    name = "scripted"

    def generate(self, messages, **kw):
        return "Worker bees turn the nectar into honey [1]."

    def stream(self, messages, **kw):
        yield from ["Worker bees ", "turn the nectar ", "into honey [1]."]


def test_ask_stream_sends_tokens_when_a_generator_writes(built_collection):
    with TestClient(create_app(built_collection, generator=Scripted()), base_url=LOCAL) as c:
        raw = c.get("/api/ask/stream", params={"q": "What do worker bees make from nectar, exactly?"}).text
    kinds = [b.split("\n", 1)[0] for b in raw.strip().split("\n\n")]
    assert kinds[-1] == "event: answer" and "event: token" in kinds


def test_ask_validation(client):
    assert "question is required" in assert_error(client.post("/api/ask", json={"k": 3}), 422)["message"]
    assert_error(client.post("/api/ask", json={"question": "bees", "k": 500}), 422)


def test_document_with_span_and_errors(client):
    d = client.get("/api/documents/volcano").json()
    assert d["title"] == "Volcanoes" and d["text"].startswith("A volcano") and d["span"] is None
    s = client.get("/api/documents/volcano", params={"start": 2, "end": 9}).json()["span"]
    assert s == {"start": 2, "end": 9, "text": "volcano"}
    assert "volcano" not in assert_error(client.get("/api/documents/nope"), 404)["message"].replace("nope", "")
    assert_error(client.get("/api/documents/volcano", params={"start": 5, "end": 100_000}), 422)
    assert_error(client.get("/api/documents/volcano", params={"start": 5}), 422)


def test_stats(client):
    s = client.get("/api/stats").json()
    assert s["documents"] == 15 and s["chunks"] >= 15 and "settings" in s


def test_unknown_route_and_wrong_method_have_the_error_shape(client):
    assert_error(client.get("/api/nothing-here"), 404)
    assert_error(client.get("/nothing-here"), 404)
    assert_error(client.put("/api/search"), 405)


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/search", "/api/ask", "/api/ask/stream", "/api/documents/{doc_id}", "/api/stats", "/api/documents"):
        assert p in paths
    assert "delete" in paths["/api/documents/{doc_id}"]


# -- writes ------------------------------------------------------------------------------------

NEW = [{"_id": "lighthouse", "title": "Lighthouses", "text": "A lighthouse is a tower with a lamp that guides ships past dangerous rocks at night.", "metadata": {"year": 1850}}]


def test_writes_are_disabled_without_a_configured_token(built_collection, monkeypatch):
    monkeypatch.delenv("SLEUTH_TOKEN", raising=False)
    with TestClient(create_app(built_collection), base_url=LOCAL) as c:
        e = assert_error(c.post("/api/documents", json=NEW, headers=AUTH), 403)
        assert "disabled" in e["message"] and "--token" in e["fix"]
        assert_error(c.delete("/api/documents/volcano", headers=AUTH), 403)


def test_token_from_the_environment(fresh_collection, monkeypatch):
    monkeypatch.setenv("SLEUTH_TOKEN", "from-env")
    with TestClient(create_app(fresh_collection), base_url=LOCAL) as c:
        assert c.post("/api/documents", json=NEW, headers={"Authorization": "Bearer from-env"}).status_code == 200


def test_writes_need_the_right_token(writer):
    r = writer.post("/api/documents", json=NEW)
    assert_error(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(writer.post("/api/documents", json=NEW, headers={"Authorization": "Bearer wrong"}), 403)
    assert_error(writer.delete("/api/documents/volcano"), 401)
    assert writer.get("/api/stats").json()["documents"] == 15


def test_ingest_and_delete_with_the_token_are_seen_by_readers(writer):
    assert "lighthouse" not in [h["doc_id"] for h in writer.get("/api/search", params={"q": "lighthouse tower ships"}).json()["hits"]]
    r = writer.post("/api/documents", json=NEW, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1 and r.json()["documents"] == 16
    assert writer.get("/api/search", params={"q": "lighthouse tower ships"}).json()["hits"][0]["doc_id"] == "lighthouse"
    assert writer.get("/api/documents/lighthouse").json()["metadata"] == {"year": 1850}
    assert writer.post("/api/documents", json=NEW, headers=AUTH).json()["skipped"] == 1
    r = writer.delete("/api/documents/lighthouse", headers=AUTH)
    assert r.status_code == 200 and r.json()["documents"] == 15
    assert_error(writer.get("/api/documents/lighthouse"), 404)
    assert_error(writer.delete("/api/documents/lighthouse", headers=AUTH), 404)


def test_malformed_json_and_bad_documents_have_the_error_shape(writer):
    e = assert_error(writer.post("/api/documents", content=b'[{"_id": "x",', headers={**AUTH, "content-type": "application/json"}), 422)
    assert "not valid JSON" in e["message"]
    assert_error(writer.post("/api/documents", json={"_id": "x"}, headers=AUTH), 422)
    assert "_id" in assert_error(writer.post("/api/documents", json=[{"title": "no id"}], headers=AUTH), 422)["message"]
    assert_error(writer.post("/api/ask", content=b"{nope", headers={"content-type": "application/json"}), 422)


def test_oversized_body_is_refused_with_413(writer):
    big = [{"_id": f"d{i}", "text": "word " * 200} for i in range(40)]  # ~40 kB > max_body 20 kB
    e = assert_error(writer.post("/api/documents", json=big, headers=AUTH), 413)
    assert "20,000" in e["message"]
    assert writer.get("/api/stats").json()["documents"] == 15


def test_oversized_chunked_body_is_refused_while_it_streams(writer):
    def chunks():
        yield b"["
        for i in range(200):
            yield json.dumps({"_id": f"d{i}", "text": "word " * 50}).encode() + b","
        yield b"{}]"

    assert_error(writer.post("/api/documents", content=chunks(), headers={**AUTH, "content-type": "application/json"}), 413)


def test_html_pages_escape_document_text(writer):
    evil = [{"_id": "x<script>", "title": "<script>alert(1)</script>", "text": "before <b>bold</b> <img src=x onerror=alert(1)> after"}]
    assert writer.post("/api/documents", json=evil, headers=AUTH).status_code == 200
    html = writer.get("/documents/x<script>", params={"start": 7, "end": 18}).text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert '<mark class="cited" id="cited">&lt;b&gt;bold&lt;/b&gt;</mark>' in html
    page = writer.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    missing = writer.get("/documents/none", headers={"accept": "text/html"})
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


def test_evaluation_reports_are_served_when_a_folder_is_given(built_collection, tmp_path):
    reports = tmp_path / "reports"
    (reports / "scifact").mkdir(parents=True)
    (reports / "scifact" / "index.html").write_text("<h1>nDCG@10 table</h1><img src='data:image/png;base64,AAAA'>")
    with TestClient(create_app(built_collection, reports_dir=reports), base_url=LOCAL) as c:
        r = c.get("/reports/scifact/")
        assert r.status_code == 200 and "nDCG@10 table" in r.text
        assert c.get("/reports/nothing-here.html").status_code == 404
    with TestClient(create_app(built_collection), base_url=LOCAL) as c:
        assert c.get("/reports/scifact/").status_code == 404


def test_search_and_ask_take_metadata_filters(client):
    # The BEIR fixture has no years: a year filter passes no document, an unknown field is a 400-class error.
    r = client.get("/api/search", params={"q": "honey nectar", "where": ["year>=2000"]})
    assert r.status_code == 200 and r.json()["hits"] == []
    r = client.get("/api/search", params={"q": "honey nectar", "where": ["title:honey"]})
    assert [h["doc_id"] for h in r.json()["hits"]][:1] == ["honeybee"]
    r = client.get("/api/search", params={"q": "honey", "where": ["colour:blue"]})
    assert 400 <= r.status_code < 500 and "Unknown filter field" in r.json()["error"]["message"]
    r = client.post("/api/ask", json={"question": "How do bees make honey?", "where": ["year>=2000"]})
    assert r.status_code == 200 and r.json()["abstained"] and r.json()["citations"] == []
