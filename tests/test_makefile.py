"""`make install` as a newcomer runs it: a fresh virtual environment, the project installed editable.

What the newcomer sees before the demo starts must be sleuth's own output, not packaging notices
(setuptools printed four multi-line warnings here: three about the licence field, one about editable
installs). Dependencies are left out (``PIP_FLAGS=--no-deps``): the notices come from building the
project itself, and installing numpy and friends again would only make the test slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT


def test_make_install_prints_no_packaging_warnings(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "MAKEFLAGS", "MFLAGS")}
    r = subprocess.run(
        ["make", "-s", "-C", str(ROOT), f"{venv}/.installed", f"VENV={venv}", "PIP_FLAGS=--no-deps",
         f"PYTHON={sys.executable}"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert (venv / ".installed").is_file()
    printed = r.stdout + r.stderr
    # Packaging notices are Python warnings ("BuildBackendWarning: ...", "SetuptoolsDeprecationWarning");
    # pip's own upper-case "WARNING:" lines about this machine's package mirrors are not the project's.
    assert "Warning" not in printed, printed
    assert "!!" not in printed, printed
