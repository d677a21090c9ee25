"""What every command shares: the database named by --db, opened (and upgraded) once per invocation."""

from __future__ import annotations

from . import db as dbmod


def open_database(ctx):
    if "db" not in ctx.obj:
        ctx.obj["db"] = dbmod.open_db(ctx.obj["db_path"])
    return ctx.obj["db"]
