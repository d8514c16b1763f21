"""Options and output helpers shared by the verbs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.text import Text

from sleuth.store import BACKENDS, TargetOptions, Target, get_target
from sleuth.store.milvus.config import INDEX_TYPES
from sleuth.errors import SleuthError
from sleuth.store.base import default_collection

F = TypeVar("F", bound=Callable[..., Any])

# markup=False: messages carry user text (paths, titles, pip extras like 'sleuth[tune]') whose square
# brackets rich would otherwise read as style tags and drop. Style with rich.text.Text instead.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)  # never fold a path in a message


def collection_option(f: F) -> F:
    return click.option(
        "--collection", "-c", "collection", type=click.Path(path_type=Path), default=None,
        help="Collection directory. Default: $SLEUTH_COLLECTION, else $SLEUTH_HOME/default, else ~/.sleuth/default.",
    )(f)


def resolve(collection: Path | None) -> Path:
    return collection if collection is not None else default_collection()


_BACKEND_META = "sleuth.backend"


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None:
        ctx.meta.setdefault(_BACKEND_META, {})[param.name] = value
    return value


def _backend_option(*decls: str, **kw: Any) -> Callable[[F], F]:
    # Not passed to the verb: the verb asks target() for the collection they name together.
    return click.option(*decls, expose_value=False, callback=_remember, **kw)


def backend_options(*, creating: bool = False) -> Callable[[F], F]:
    """--backend and the Milvus options; ``creating`` adds the ones that only matter when creating."""

    def deco(f: F) -> F:
        if creating:
            f = _backend_option("--milvus-bm25/--milvus-no-bm25", "milvus_bm25", default=None,
                                help="Milvus, new collections: store a BM25 field (needs Milvus >= 2.5) [on].")(f)
            f = _backend_option("--milvus-shards", "milvus_shards", type=click.IntRange(1, 16), default=None,
                                help="Milvus, new collections: shards of the collection [1].")(f)
            f = _backend_option("--milvus-index", "milvus_index", type=click.Choice(INDEX_TYPES.names()), default=None,
                                help="Milvus, new collections: dense index type [AUTOINDEX].")(f)
        f = _backend_option("--milvus-collection", "milvus_collection", envvar="SLEUTH_MILVUS_COLLECTION", default=None,
                            help="Milvus collection name [sleuth]. Also $SLEUTH_MILVUS_COLLECTION.")(f)
        f = _backend_option("--milvus-uri", "milvus_uri", envvar="SLEUTH_MILVUS_URI", default=None,
                            help="Milvus server (http://HOST:19530) or Milvus Lite file (./x.db). Also $SLEUTH_MILVUS_URI; "
                                 "a token from $SLEUTH_MILVUS_TOKEN.")(f)
        f = _backend_option("--backend", "backend", type=click.Choice(BACKENDS.names()), envvar="SLEUTH_BACKEND",
                            default=None, help="Where the collection lives [embedded: the --collection directory]. Also $SLEUTH_BACKEND.")(f)
        return f

    return deco


def backend_choice() -> dict[str, Any]:
    """The backend options given on the command line (or by environment variables)."""
    return dict(click.get_current_context().meta.get(_BACKEND_META, {}))


def target(collection: Path | None, **overrides: Any) -> Target:
    """The collection that --collection and the backend options name (embedded by default)."""
    chosen = {**backend_choice(), **overrides}
    backend = chosen.pop("backend", "embedded")
    return get_target(backend, TargetOptions(resolve(collection), **chosen))


@contextmanager
def opened(collection: Path | None, *, readonly: bool = False, needs: str | None = None,
           fix: str = "Use an embedded collection (--collection DIR).") -> Iterator[Any]:
    """The collection --collection and the backend options name, open; refused with ``fix`` when its engine lacks
    the capability ``needs`` (:data:`sleuth.store.base.CAPABILITIES`)."""
    with target(collection).open(readonly=readonly) as col:
        if needs is not None:
            col.require(needs, fix)
        yield col


def where_option(f: F) -> F:
    return click.option("--where", "where", multiple=True, metavar="FILTER",
                        help="Only papers that pass: year>=2020, year=2019, author:NAME, title:WORDS, venue:WORDS, "
                             "doi:PREFIX, arxiv:ID (repeat to require several).")(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout (for scripts).")(f)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


EXIT_ERROR = 1
"""A SleuthError, or a verb that could not do all it was asked (``sleuth rm`` of an unknown id)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C, as shells report a process ended by SIGINT (128 + 2)."""
_INTERRUPT_META = "sleuth.on_interrupt"


def on_interrupt(note: str | Callable[[], str]) -> None:
    """What to tell the user if Ctrl-C stops this verb from here on: what was kept, how to finish.

    A callable is called only then (it may look at the collection); if it fails, the plain
    "Interrupted." is printed instead of a traceback.
    """
    click.get_current_context().meta[_INTERRUPT_META] = note


def _interrupted() -> None:
    note = click.get_current_context().meta.get(_INTERRUPT_META, "Nothing was changed.")
    try:
        text = note() if callable(note) else note
    except Exception:  # noqa: BLE001 - a note must never turn Ctrl-C into a traceback
        text = ""
    err.print()
    err.print(Text.assemble(("Interrupted. ", "bold yellow"), text))


def friendly_errors(f: F) -> F:
    """Turn a SleuthError into a two-line message and exit status 1, never a traceback; Ctrl-C into
    a note saying what was kept (:func:`on_interrupt`) and exit status 130."""

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except SleuthError as exc:
            err.print(Text.assemble(("error: ", "bold red"), exc.what))
            if exc.fix:
                err.print(Text.assemble(("what to do: ", "bold"), exc.fix))
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            _interrupted()
            sys.exit(EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]
