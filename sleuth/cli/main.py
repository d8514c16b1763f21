"""``sleuth``: find and answer from a document collection."""

from __future__ import annotations

import logging

import click

from sleuth import __version__
from sleuth.cli import eval as eval_cmd
from sleuth.cli import answers, ask, cite, doctor, index, manage, meta, search, serve, show, synth, tune


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


cli.add_command(index.index)
cli.add_command(search.search)
cli.add_command(ask.ask)
cli.add_command(answers.eval_answers)
cli.add_command(eval_cmd.eval_)
cli.add_command(manage.stats)
cli.add_command(manage.rm)
cli.add_command(manage.ls)
cli.add_command(show.show)
cli.add_command(meta.meta)
cli.add_command(cite.cite)
cli.add_command(manage.settings)
cli.add_command(doctor.doctor)
cli.add_command(serve.serve)
cli.add_command(synth.synth)
cli.add_command(tune.tune)


def main() -> None:
    # pypdf reports recoverable oddities of real-world PDFs through logging; the readers already turn
    # unreadable files into clear errors, so those warnings would only be noise on the terminal.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    # pymilvus warns on every paged query of Milvus Lite that it falls back to client-side timestamps.
    logging.getLogger("pymilvus").setLevel(logging.ERROR)
    cli(prog_name="sleuth")


if __name__ == "__main__":
    main()
