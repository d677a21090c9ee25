"""Table counts for the database and home pages, remembered until the database file changes.

Datasette counts every table's rows on each request of those pages (up to 5 ms a table before it
gives up); at 100,000 papers that was most of the database page's time. Datasette keeps counts
only for immutable databases; here they are kept for a mutable one too, keyed by the size and
modification time of the database file and its write-ahead log, which every commit changes.
"""

from __future__ import annotations

import os

from datasette import hookimpl


def file_version(path: str) -> tuple:
    """Changes whenever a transaction commits (the WAL grows or is rewritten) or a checkpoint writes the file."""
    version = []
    for name in (path, path + "-wal"):
        try:
            stat = os.stat(name)
            version += [stat.st_mtime_ns, stat.st_size]
        except FileNotFoundError:
            version += [None, None]
    return tuple(version)


def remember_counts(db) -> None:
    count_tables = db.table_counts
    remembered: dict = {}

    async def table_counts(limit=10):
        key = (limit, file_version(db.path))
        if key not in remembered:
            remembered.clear()  # only the current version's counts are worth keeping
            remembered[key] = await count_tables(limit)
        return dict(remembered[key])

    db.table_counts = table_counts


@hookimpl
def startup(datasette):
    for db in datasette.databases.values():
        if db.is_mutable and db.path and not db.is_memory:
            remember_counts(db)
