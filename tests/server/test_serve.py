"""``sleuth serve`` as a real process: binds to loopback, prints its URL, answers, stops on a signal."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_its_url_and_answers(built_collection):
    port = free_port()
    cmd = [sys.executable, "-c", "from sleuth.cli.serve import serve; serve(prog_name='sleuth serve')",
           "--collection", str(built_collection), "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if k not in ('SLEUTH_TOKEN', 'SLEUTH_GENERATOR')}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                stats = json.load(urllib.request.urlopen(url + "api/stats", timeout=5))
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "sleuth serve did not start"
                time.sleep(0.2)
        assert stats["documents"] == 15
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert url in output and "writes disabled" in output
    assert proc.returncode is not None
