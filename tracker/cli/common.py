"""What the commands share: the root group's error handling, the database, options that recur, progress.

Options that several commands take are declared once here, as decorators, so they read and behave
alike everywhere (the way sqlite-utils declares its shared options).
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path

import click

from ..core import paths
from ..core.database import BUSY_TIMEOUT_MS, DatabaseBusy, busy_message, is_busy, open_db
from ..core.errors import TrackerError


class TrackerGroup(click.Group):
    """Turns the project's own errors into one clear line and a meaningful exit code; takes --db
    after the command too (`tracker serve --db X` as `tracker --db X serve`)."""

    def parse_args(self, ctx, args):
        args, moved, at = list(args), [], 0
        while at < len(args) and args[at] != "--":
            if args[at] == "--db" and at + 1 < len(args):
                moved += args[at:at + 2]
                del args[at:at + 2]
            elif args[at].startswith("--db="):
                moved.append(args.pop(at))
            else:
                at += 1
        return super().parse_args(ctx, moved + args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TrackerError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            # A write outside a transaction of ours waited the busy timeout: say so, not a traceback.
            click.echo(f"Error: {busy_message(ctx.obj.get('db_path') if ctx.obj else None, BUSY_TIMEOUT_MS / 1000)}",
                       err=True)
            ctx.exit(DatabaseBusy.exit_code)


def open_database(ctx):
    """The database named by --db, opened (and created or upgraded) once per invocation."""
    root = ctx.find_root()
    if "db" not in root.obj:
        root.obj["db"] = open_db(root.obj["db_path"])
    return root.obj["db"]


def db_path(ctx) -> Path:
    return ctx.find_root().obj["db_path"]


class Progress:
    """One self-overwriting status line on a terminal; silent otherwise (or with --quiet)."""

    def __init__(self, quiet: bool = False) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self._width = 0

    def show(self, text: str) -> None:
        if self.enabled:
            padding = " " * max(0, self._width - len(text))
            sys.stderr.write("\r" + text + padding)
            sys.stderr.flush()
            self._width = len(text)

    def done(self) -> None:
        if self.enabled and self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._width = 0


def parse_since(value: str | None) -> date | None:
    if value is None:
        return None
    for pattern in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            pass
    raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint="--since")


# ---- options that recur ----

def quiet_option(help: str = "No progress display."):
    return click.option("--quiet", "-q", is_flag=True, help=help)


def searches_option(fn):
    return click.option("--searches", "searches_path", type=click.Path(path_type=Path), default=paths.SEARCHES,
                        show_default=paths.shown(paths.SEARCHES), help="The saved searches file.")(fn)


def semantic_option(fn):
    return click.option("--semantic/--no-semantic", "use_semantic", default=None,
                        help="Use semantic similarity (needs the 'semantic' extra). Default: when installed.")(fn)


def all_option(fn):
    return click.option("--all", "show_all", is_flag=True, help="Include retired claims.")(fn)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output (JSON).")(fn)


def output_option(help: str = "Where to write; '-' is standard output."):
    return click.option("-o", "--output", default="-", show_default=True, metavar="FILE", help=help)


def project_file_argument(name: str, default: Path):
    """An optional file argument that defaults to one of the project's files in db/."""
    return click.argument(name, required=False, type=click.Path(dir_okay=False, path_type=Path), default=default)
