"""The `tracker` command: a thin click layer over the plain functions of each stage.

Each module holds one group of commands; each command parses its options, calls a library
function and prints. Shared options, the database and progress display are in common.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ..core import paths
from . import articles, bench, claims, docs, export, link, ops, papers, serve
from .common import TrackerGroup


@click.group(cls=TrackerGroup)
@click.option(
    "--db",
    "db_path",
    envvar="TRACKER_DB",
    default=paths.DEFAULT_DB,
    show_default=paths.shown(paths.DEFAULT_DB),
    type=click.Path(dir_okay=False, path_type=Path),
    help="The SQLite database (env TRACKER_DB).",
)
@click.version_option(package_name="kratom-claims-tracker")
@click.pass_context
def cli(ctx, db_path: Path):
    """Kratom claims tracker: what the PubMed literature says about claims made about kratom.

    Typical use: `tracker run` (what scripts/run does) builds or updates the database: starter
    bibliography, claim catalog, articles, a PubMed sync, decisions and links; then `tracker serve`
    to browse it, `tracker export` for tables and citations, and `tracker job` (scripts/sync) every
    night. Every command creates or upgrades the database first.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"db_path": db_path}


for module in (papers, articles, claims, link, export, ops, serve, docs, bench):
    for command in module.COMMANDS:
        cli.add_command(command)
