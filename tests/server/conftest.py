"""Fixtures for the server tests: a collection built from the BEIR fixture, and apps over it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from support import ROOT

from sleuth.ingest import read_paths
from sleuth.store.embedded.collection import Collection

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"


@pytest.fixture(scope="session")
def built_collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The BEIR fixture indexed once per session (tests that write get their own copy)."""
    directory = tmp_path_factory.mktemp("server") / "col"
    with Collection.create(directory) as col:
        col.ingest(read_paths([BEIR], fmt="beir"))
    return directory


@pytest.fixture
def fresh_collection(built_collection: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "col"
    shutil.copytree(built_collection, directory, ignore=shutil.ignore_patterns("write.lock", "memory.sqlite*"))
    return directory


@contextmanager
def live_server(app: Any) -> Iterator[int]:
    """Run ``app`` as `sleuth serve` runs it (uvicorn + sleuth's protocol class) in a thread; yields the port."""
    import socket
    import threading
    import time

    from sleuth.server.protocol import server as uvicorn_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn_server(app, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, name="sleuth-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
