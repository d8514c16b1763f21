"""``sleuth serve``: the HTTP API and the web page over one collection."""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from sleuth.cli.common import collection_option, err, friendly_errors, out, resolve

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIN_TOKEN = 16


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the collection to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8321, show_default=True, help="Port to listen on.")
@click.option("--token", envvar="SLEUTH_TOKEN", default=None, show_envvar=True,
              help="Bearer token that enables the write endpoints (POST/DELETE /api/documents). Without it they are disabled.")
@click.option("--generator", "-g", envvar="SLEUTH_GENERATOR", default=None,
              help="Answer generator, as for `sleuth ask` (default: extractive). Also $SLEUTH_GENERATOR.")
@click.option("--model", default=None, help="Model name to request from an OpenAI-compatible server.")
@click.option("--max-body", type=click.IntRange(1), default=1_000_000, show_default=True, help="Largest request body in bytes.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer requests addressed to this host name (repeatable; '*' for any). By default only "
                   "the loopback names and the --host address are answered, which stops DNS-rebinding pages.")
@click.option("--reports", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Also serve this folder of evaluation reports (from `sleuth eval ... --report DIR`) at /reports/.")
@collection_option
@friendly_errors
def serve(host: str, port: int, token: str | None, generator: str | None, model: str | None, max_body: int,
          allow_hosts: tuple[str, ...], reports: Path | None, collection: Path | None) -> None:
    """Serve the collection: a search and ask page at / and a JSON API described at /docs.

    Binds to 127.0.0.1 unless --host says otherwise. Stop with Ctrl-C.
    """
    import socket

    from sleuth.rag.generators import get_generator
    from sleuth.server import create_app
    from sleuth.server.protocol import server as uvicorn_server

    gen = get_generator(generator, model=model)
    names = {*LOOPBACK, host, *allow_hosts}
    if host in ("0.0.0.0", "::"):
        names |= {socket.gethostname(), socket.getfqdn()}
    app = create_app(resolve(collection), token=token, max_body=max_body, generator=gen, reports_dir=reports,
                     allowed_hosts=names)
    if host not in LOOPBACK:
        err.print(Text.assemble(("warning:", "yellow"), f" listening on {host}: other machines can read this collection"
                                + ("" if token is None else " and, with the token, change it") + "."))
        if token is not None and len(token) < MIN_TOKEN:
            err.print(Text.assemble(("warning:", "yellow"), f" the token is {len(token)} characters long; on a network "
                                    f"use at least {MIN_TOKEN} random ones (e.g. `python -c 'import secrets; "
                                    "print(secrets.token_urlsafe())'`)."))
        if "*" not in names:
            err.print("Requests must be addressed to one of: " + ", ".join(sorted(names))
                      + " (add others with --allow-host).", highlight=False)
    server = uvicorn_server(app, host, port)
    shown = f"[{host}]" if ":" in host else host
    out.print(f"sleuth: serving {app.state.sleuth.directory} at http://{shown}:{port}/  "
              f"(API: http://{shown}:{port}/docs; writes {'enabled' if token else 'disabled'}). Ctrl-C stops.")
    server.run()
