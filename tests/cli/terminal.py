"""Run the installed ``sleuth`` in a pseudo-terminal, as a user's shell would: progress bars only draw
on a terminal, and Ctrl-C is a SIGINT to the foreground process.

    r = run_in_terminal(["index", "papers/", "-c", "col"])
    assert "files" in r.screen and r.returncode == 0
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

SLEUTH = Path(sys.executable).with_name("sleuth")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


@dataclass
class Terminal:
    returncode: int
    raw: str

    @property
    def screen(self) -> str:
        """Everything written, with terminal control sequences removed (frames run together)."""
        return _ANSI.sub("\n", self.raw)


def run_in_terminal(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    interrupt_when: Callable[[str], bool] | None = None,
) -> Terminal:
    """Run ``sleuth ARGS`` with stdin, stdout and stderr on a fresh pseudo-terminal (120 columns).

    With ``interrupt_when``, SIGINT is sent (as Ctrl-C would) once the predicate is true of the
    output so far; the process then has ``timeout`` seconds to exit.
    """
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    full_env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color", **(env or {})}
    # A shell's background job ignores SIGINT and children inherit that (Python then installs no
    # KeyboardInterrupt handler): give the child the default disposition, as a foreground job has.
    proc = subprocess.Popen([str(SLEUTH), *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=full_env,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    chunks: list[bytes] = []
    interrupted = False
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.1)
            data = b""
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every writer closed the terminal
                    data = b""
                chunks.append(data)
            if interrupt_when is not None and not interrupted:
                if interrupt_when(_ANSI.sub("\n", b"".join(chunks).decode("utf-8", "replace"))):
                    os.killpg(proc.pid, signal.SIGINT)  # the terminal sends it to the foreground group
                    interrupted = True
            if proc.poll() is not None and not data:
                if not ready:
                    continue  # exited just now: read what it wrote last (the next read ends with EIO)
                break
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise TimeoutError(f"sleuth {' '.join(args)} did not finish in {timeout} s")
    finally:
        os.close(master)
    return Terminal(proc.returncode, b"".join(chunks).decode("utf-8", "replace"))
