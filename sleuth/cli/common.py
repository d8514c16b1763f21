"""Options and output helpers shared by the verbs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from sleuth.errors import SleuthError
from sleuth.store.collection import default_collection

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # never fold a path in a message


def collection_option(f: F) -> F:
    return click.option(
        "--collection", "-c", "collection", type=click.Path(path_type=Path), default=None,
        help="Collection directory. Default: $SLEUTH_COLLECTION, else $SLEUTH_HOME/default, else ~/.sleuth/default.",
    )(f)


def resolve(collection: Path | None) -> Path:
    return collection if collection is not None else default_collection()


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout (for scripts).")(f)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def friendly_errors(f: F) -> F:
    """Turn a SleuthError into a two-line message and exit status 1, never a traceback."""

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except SleuthError as exc:
            err.print(f"[bold red]error:[/] {exc.what}", markup=True, highlight=False)
            if exc.fix:
                err.print(f"[bold]what to do:[/] {exc.fix}", markup=True, highlight=False)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
