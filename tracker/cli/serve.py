"""`tracker serve`: Datasette on the tracker database."""

from __future__ import annotations

import os
import sys

import click

from ..serve.datasette import datasette_args
from .common import db_path, open_database


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.pass_context
def serve(ctx, host, port):
    """Browse the claims, articles, papers and links in Datasette (read-only)."""
    open_database(ctx)  # create or upgrade first, so every table and view the pages use exists
    click.echo(f"Serving {db_path(ctx)} at http://{host}:{port}/ (Ctrl-C to stop)")
    os.execv(sys.executable, [sys.executable, "-m", "datasette", *datasette_args(db_path(ctx), host, port)])


COMMANDS = (serve,)
