"""Optional dependencies: a clear error naming the install command when one is missing."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from sleuth.errors import ConfigError


def need(modules: Sequence[str], pip: str, what: str) -> None:
    """Raise ConfigError unless every module in ``modules`` can be imported; ``what`` is the subject needing them."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"{what} needs the Python package(s) {', '.join(missing)}, which are not installed.",
            f"Run: {pip}",
        )
