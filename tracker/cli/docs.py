"""`tracker docs`: the parts of the documentation made from the code and the pages, regenerated on demand."""

from __future__ import annotations

from pathlib import Path

import click

from ..core import paths
from ..core.files import open_output
from ..export.docs import exports_markdown
from ..serve.screenshot import claim_page, png_size, screenshot
from .common import db_path

DOCS = paths.ROOT / "docs"


@click.group()
def docs():
    """Regenerate the docs made from code and pages (docs/exports.md, README's screenshot)."""


@docs.command("exports")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=DOCS / "exports.md",
              show_default=paths.shown(DOCS / "exports.md"), help="Where to write ('-': standard output).")
def exports_command(output):
    """Write the exports' formats and columns page from tracker/export/tables.py (a test checks it is current)."""
    with open_output(output, newline=None) as handle:
        handle.write(exports_markdown())
    if str(output) != "-":
        click.echo(f"wrote {output}", err=True)


@docs.command("screenshot")
@click.option("--claim", "claim_id", default="liver-protective", show_default=True, help="The claim page to take.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=DOCS / "claim-page.png",
              show_default=paths.shown(DOCS / "claim-page.png"), help="The PNG to write.")
@click.option("--width", type=click.IntRange(320, 4000), default=1280, show_default=True, help="Window width, px.")
@click.option("--height", type=click.IntRange(240, 8000), default=1100, show_default=True,
              help="Window height, px (the picture is the window, not the whole page).")
@click.pass_context
def screenshot_command(ctx, claim_id, output, width, height):
    """Take a claim page as a reader sees it: `tracker serve` on --db and headless Chromium.

    README's picture is made with it, from the database scripts/run builds (`tracker docs screenshot`).
    """
    database = db_path(ctx)
    page = claim_page(database, claim_id)
    click.echo(f"serving {database} and taking {page} in headless Chromium ...", err=True)
    written = screenshot(database, page, output, width, height)
    shown_width, shown_height = png_size(written)
    click.echo(f"wrote {written} ({shown_width} x {shown_height} px, {page})", err=True)


COMMANDS = (docs,)
