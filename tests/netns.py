"""Loopback-only Linux network namespaces, for local engines that bind every interface.

A local Ray and the Milvus standalone server listen on all interfaces whatever they are told. Inside
a namespace whose only interface is ``lo``, nothing they open is reachable from outside the machine.
The tests and ``benchmarks/bench_backends.py`` run them this way (needs root and iproute2)::

    with LoopbackNamespace() as ns:
        subprocess.run(ns.command(["python", "job.py"]), check=True)
    # every process left in the namespace has been killed, and the namespace deleted

"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Sequence

from sleuth.errors import ConfigError


def available() -> str | None:
    """None when namespaces can be made here, else why not."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if os.geteuid() != 0:
        return "creating a network namespace needs root"
    return None


class LoopbackNamespace:
    """A fresh network namespace with only ``lo`` up; on exit its processes are killed and it is deleted."""

    def __init__(self, prefix: str = "sleuth") -> None:
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> LoopbackNamespace:
        why = available()
        if why is not None:
            raise ConfigError(f"Cannot make a loopback-only network namespace: {why}.", "Run as root on Linux.")
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "netns", "exec", self.name, "ip", "link", "set", "lo", "up"], check=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill_all()
        subprocess.run(["ip", "netns", "del", self.name], check=True)

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def pids(self) -> list[int]:
        """Every process running in the namespace."""
        out = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True, check=True).stdout
        return [int(p) for p in out.split()]

    def kill_all(self, grace: float = 15.0) -> None:
        """SIGTERM every process in the namespace; SIGKILL what is still there after ``grace`` seconds."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            for pid in self.pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while self.pids() and time.monotonic() < deadline:
                time.sleep(0.2)
            if not self.pids():
                return
