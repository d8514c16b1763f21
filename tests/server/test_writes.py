"""The server under writes (issue 14, item 4): concurrent readers never fail while documents are added and
removed, replaced views are released, and a write made by another process is served without a restart."""

from __future__ import annotations

import http.client
import json
import threading
import time
from urllib.parse import quote

from conftest import live_server

from sleuth.config import Settings
from sleuth.server import create_app
from sleuth.store.embedded.collection import Collection
from sleuth.types import Document

TOKEN = "a-test-token-of-some-length"


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, dict]:
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, json.loads(r.read())


def send(conn: http.client.HTTPConnection, method: str, path: str, body: object = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Authorization": f"Bearer {TOKEN}",
                                                   "Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, json.loads(r.read())


def test_readers_never_fail_during_writes(fresh_collection):
    app = create_app(fresh_collection, token=TOKEN)
    state = app.state.sleuth
    first_view = state._view  # noqa: SLF001
    failures: list[str] = []
    done = threading.Event()
    counts = {"reads": 0}

    def reader(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while not done.is_set():
            try:
                status, body = get(conn, f"/api/search?q={quote('honey volcano ' + str(i))}&k=5")
                if status != 200:
                    failures.append(f"{status} {body}")
                counts["reads"] += 1
            except (OSError, http.client.HTTPException) as exc:
                failures.append(repr(exc))
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    with live_server(app) as port:
        threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        writer = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for i in range(12):
            status, body = send(writer, "POST", "/api/documents",
                                [{"_id": f"new{i}", "title": f"Wexbread {i}", "text": f"A wexbread loaf number {i}."}])
            assert status == 200, body
            if i % 3 == 2:
                status, body = send(writer, "DELETE", f"/api/documents/new{i - 1}")
                assert status == 200, body
        done.set()
        for t in threads:
            t.join(timeout=60)
        status, body = get(writer, "/api/search?q=wexbread&k=20&mode=bm25")
        found = {h["doc_id"] for h in body["hits"]}
        assert found == {f"new{i}" for i in range(12)} - {f"new{i - 1}" for i in range(12) if i % 3 == 2}
    assert failures == [], failures[:5]
    assert counts["reads"] > 20
    # every replaced view was closed once its last request returned: only the current one is open
    assert first_view.retired and first_view.users == 0 and first_view.col.store._conns._closed  # noqa: SLF001
    assert not state._view.retired  # noqa: SLF001


def test_a_write_from_another_process_is_served_without_a_restart(fresh_collection):
    app = create_app(fresh_collection)
    with live_server(app) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        assert get(conn, "/api/search?q=pumpernickel&mode=bm25")[1]["hits"] == []
        docs_before = get(conn, "/api/stats")[1]["documents"]
        with Collection.open(fresh_collection) as col:  # as `sleuth index` in a terminal would
            col.ingest([Document("pump", "Pumpernickel is a dense rye bread.", "Pumpernickel")])
        deadline = time.monotonic() + 10
        while True:
            hits = get(conn, "/api/search?q=pumpernickel&mode=bm25")[1]["hits"]
            if hits or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert [h["doc_id"] for h in hits] == ["pump"]
        assert get(conn, "/api/stats")[1]["documents"] == docs_before + 1
        status, body = get(conn, "/api/documents/pump")
        assert status == 200 and body["title"] == "Pumpernickel"


def test_lexical_only_collection_reloads_too(tmp_path):
    d = tmp_path / "lex"
    with Collection.create(d, Settings(encoder="none")) as col:
        col.ingest([Document("a", "Oats and barley.", "Grains")])
    app = create_app(d, token=TOKEN)
    with live_server(app) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        assert send(conn, "POST", "/api/documents", [{"_id": "b", "text": "Spelt and emmer."}])[0] == 200
        assert [h["doc_id"] for h in get(conn, "/api/search?q=emmer")[1]["hits"]] == ["b"]
