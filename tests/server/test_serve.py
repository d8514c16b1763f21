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


def test_short_token_on_a_non_loopback_address_is_warned_about(built_collection):
    """127.0.0.2 is not one of the loopback names sleuth knows, so it is treated as a network address
    (the warnings fire) while staying reachable from this machine only."""
    port = free_port()
    cmd = [sys.executable, "-c", "from sleuth.cli.serve import serve; serve(prog_name='sleuth serve')",
           "--collection", str(built_collection), "--host", "127.0.0.2", "--port", str(port), "--token", "short"]
    env = {k: v for k, v in os.environ.items() if k not in ('SLEUTH_TOKEN', 'SLEUTH_GENERATOR')}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.2:{port}/api/stats", timeout=5) as r:
                    assert r.status == 200
                break
            except OSError:
                assert proc.poll() is None
                assert time.monotonic() < deadline, "sleuth serve did not start"
                time.sleep(0.2)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "the token is 5 characters long; on a network use at least 16" in output, output
    assert "other machines can read this collection and, with the token, change it" in output
    assert "Requests must be addressed to one of: 127.0.0.1, 127.0.0.2, ::1, localhost" in output
