"""`tracker serve`."""

from __future__ import annotations

import os
import sys

import click

from .cli_context import open_database
from .serve import datasette_args


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.pass_context
def serve(ctx, host, port):
    """Browse the claims, articles, papers and links in Datasette (read-only)."""
    open_database(ctx)  # create or upgrade first, so every table and view the pages use exists
    db_path = ctx.obj["db_path"]
    click.echo(f"Serving {db_path} at http://{host}:{port}/ (Ctrl-C to stop)")
    args = datasette_args(db_path, host, port)
    os.execv(sys.executable, [sys.executable, "-m", "datasette", *args])
