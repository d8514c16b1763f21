"""``sleuth serve``: the HTTP API and the web page over one collection."""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from sleuth.cli.common import collection_option, err, friendly_errors, out, resolve

LOOPBACK = ("127.0.0.1", "localhost", "::1")


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
@click.option("--reports", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Also serve this folder of evaluation reports (from `sleuth eval ... --report DIR`) at /reports/.")
@collection_option
@friendly_errors
def serve(host: str, port: int, token: str | None, generator: str | None, model: str | None, max_body: int,
          reports: Path | None, collection: Path | None) -> None:
    """Serve the collection: a search and ask page at / and a JSON API described at /docs.

    Binds to 127.0.0.1 unless --host says otherwise. Stop with Ctrl-C.
    """
    import uvicorn

    from sleuth.rag.backends import get_generator
    from sleuth.server import create_app

    gen = get_generator(generator, model=model)
    app = create_app(resolve(collection), token=token, max_body=max_body, generator=gen, reports_dir=reports)
    if host not in LOOPBACK:
        err.print(Text.assemble(("warning:", "yellow"), f" listening on {host}: other machines can read this collection"
                                + ("" if token is None else " and, with the token, change it") + "."))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    out.print(f"sleuth: serving {app.state.sleuth.directory} at http://{shown}:{port}/  "
              f"(API: http://{shown}:{port}/docs; writes {'enabled' if token else 'disabled'}). Ctrl-C stops.")
    server.run()
