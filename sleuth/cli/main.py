"""``sleuth``: find and answer from a document collection."""

from __future__ import annotations

import importlib
import logging

import click

from sleuth import __version__

# Each verb's module is imported only when that verb runs, so `sleuth search` does not pay for the
# imports of eval, serve or tune (PDF readers, plotting, web framework): a cold search stays fast.
COMMANDS = {
    "index": "index:index", "search": "search:search", "ask": "ask:ask", "eval-answers": "answers:eval_answers",
    "eval": "eval:eval_", "stats": "manage:stats", "rm": "manage:rm", "ls": "manage:ls",
    "show": "show:show", "meta": "meta:meta", "cite": "cite:cite",
    "settings": "manage:settings", "doctor": "doctor:doctor", "serve": "serve:serve", "synth": "synth:synth",
    "tune": "tune:tune",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(f"sleuth.cli.{module}"), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sleuth")
def cli() -> None:
    """sleuth: hybrid search over your papers, with evaluation built in.

    \b
    Quick start:
      sleuth index papers/              # index PDFs, Markdown, text, JSONL or a BEIR folder
      sleuth search "preference optimisation"
      sleuth eval ../shared/data/scifact --pipeline bm25

    Without --collection, commands use $SLEUTH_COLLECTION, else $SLEUTH_HOME/default, else
    ~/.sleuth/default.
    """


def main() -> None:
    # pypdf reports recoverable oddities of real-world PDFs through logging; the readers already turn
    # unreadable files into clear errors, so those warnings would only be noise on the terminal.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    # pymilvus warns on every paged query of Milvus Lite that it falls back to client-side timestamps.
    logging.getLogger("pymilvus").setLevel(logging.ERROR)
    cli(prog_name="sleuth")


if __name__ == "__main__":
    main()
