"""Progress bars for long work, one look for every verb: what is happening, how far, how fast, how long.

    with progress_bar(disable=quiet) as bar:
        task = bar.add_task("reading", total=len(files), unit="files", current="")
        bar.update(task, advance=1, current=path.name)

Each row shows the description, a bar, ``done/total`` (or just ``done`` while the total is unknown),
the rate in the task's ``unit`` per second, the time elapsed and the time left (rich estimates it from
the recent rate), then the task's ``current`` field (the file being read, the configuration being
scored). Text goes in unparsed (``markup=False``), so a file called ``[draft].pdf`` shows as it is.
"""

from __future__ import annotations

from typing import Any

from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from sleuth.cli.common import err


class CountColumn(ProgressColumn):
    """``done/total unit`` with thousands separators; ``done unit`` while the total is unknown."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        done = f"{int(task.completed):,}"
        text = done if task.total is None else f"{done}/{int(task.total):,}"
        return Text(f"{text} {unit}".rstrip(), style="progress.download")


class RateColumn(ProgressColumn):
    """The current rate, ``12.3 files/s`` (``0.42 files/s`` below one a second); blank until known."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("")
        unit = task.fields.get("unit", "")
        return Text(f"{speed:,.2f} {unit}/s" if speed < 1 else f"{speed:,.1f} {unit}/s", style="progress.data.speed")


def progress_bar(*, disable: bool = False, transient: bool = True) -> Progress:
    """A rich Progress on stderr with sleuth's columns (module docstring); tasks take ``unit`` and ``current``."""
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(bar_width=24),
        CountColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("left", style="progress.remaining"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}", markup=False, style="dim"),
        console=err, transient=transient, disable=disable,
    )


def add_task(bar: Progress, description: str, total: float | None = None, unit: str = "", **fields: Any) -> Any:
    """``bar.add_task`` with the fields the columns read (``unit``, ``current``) always present."""
    return bar.add_task(description, total=total, unit=unit, current=fields.pop("current", ""), **fields)
