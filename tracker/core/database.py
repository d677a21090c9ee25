"""Opening the database and writing to it: one place owns both.

Every write transaction takes SQLite's write lock when it begins (`BEGIN IMMEDIATE`). A
transaction begun with a plain `BEGIN` starts as a reader; if it reads, and another connection
(a decision saved from the page, say) commits before it writes, SQLite refuses its first write
at once with "database is locked", whatever the busy timeout: its snapshot is stale. Taken up
front, the lock is simply waited for, up to the busy timeout, and a transaction that has it can
no longer be refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Iterator

import sqlite_utils

from .errors import TrackerError
from .schema import ensure_schema

log = logging.getLogger("tracker.database")

BUSY_TIMEOUT_MS = 30_000  # how long one try waits for another connection's write lock
BUSY_TRIES = 3  # tries to take the write lock before giving up with DatabaseBusy


class DatabaseBusy(TrackerError):
    """Another process held the database's write lock for longer than we wait."""



def is_busy(error: BaseException) -> bool:
    """A 'database is locked' or 'busy' error from SQLite."""
    return isinstance(error, sqlite3.OperationalError) and (
        "locked" in str(error) or "busy" in str(error))


def busy_message(path: str | os.PathLike | None, waited_s: float) -> str:
    named = f"the database {path}" if path else "the database"
    return (f"{named} is busy: another process held its write lock for {waited_s:.0f} s (a load, a link or a "
            "sync writing a large batch); nothing was written by this step. Run the command again once that "
            "process is done")


def begin_write(conn: sqlite3.Connection, tries: int | None = None, path=None) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock; DatabaseBusy after `tries` (BUSY_TRIES) busy timeouts."""
    tries = tries or BUSY_TRIES  # read at call time, so a setting changed later applies
    started = time.monotonic()
    for attempt in range(1, tries + 1):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            if attempt < tries:
                log.warning("the database is busy (another process is writing); waiting again, try %d of %d",
                            attempt + 1, tries)
    raise DatabaseBusy(busy_message(path, time.monotonic() - started))


class TrackerDatabase(sqlite_utils.Database):
    """sqlite-utils' Database whose transactions take the write lock up front.

    `atomic()` begins with BEGIN IMMEDIATE (nested blocks stay savepoints), and the statements
    sqlite-utils runs outside `atomic()` (an insert's implicit transaction) begin IMMEDIATE too.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conn.isolation_level = "IMMEDIATE"  # the driver's implicit BEGIN before an INSERT or UPDATE
        self.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @contextlib.contextmanager
    def atomic(self) -> Iterator["TrackerDatabase"]:
        if self.conn.in_transaction:  # inside a write transaction already: a savepoint
            with super().atomic():
                yield self
            return
        begin_write(self.conn, path=database_file(self))
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


def database_file(db: sqlite_utils.Database) -> Path | None:
    """The file a connection has open; None for an in-memory database."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(file) if file else None
    return None


def _check_path(path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if directory.exists() and not directory.is_dir():
        raise TrackerError(f"cannot create the folder for --db {path}: {directory} is a file (pass another --db)")
    if not directory.exists():
        try:
            directory.mkdir(parents=True)
        except OSError as error:
            raise TrackerError(f"cannot create the folder for --db {path}: {error.strerror} (pass another --db)") from None
    if path.is_dir():
        raise TrackerError(f"--db {path} is a folder; give the path of a database file")
    if (path.exists() and not os.access(path, os.W_OK)) or not os.access(directory, os.W_OK):
        raise TrackerError(f"the database {path} is not writable (check its permissions, or pass another --db)")


def connect(path: str | os.PathLike | sqlite3.Connection) -> TrackerDatabase:
    """The database at `path` as it is, for writing (no schema upgrade): a server's request uses this."""
    return TrackerDatabase(path if isinstance(path, sqlite3.Connection) else str(path))


def open_db(path: str | os.PathLike) -> TrackerDatabase:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    path = Path(path)
    if str(path) != ":memory:":
        _check_path(path)
    try:
        db = connect(path)
        ensure_schema(db)
    except sqlite3.DatabaseError as error:
        if is_busy(error):
            raise DatabaseBusy(busy_message(path, BUSY_TIMEOUT_MS / 1000)) from None
        raise TrackerError(f"cannot use {path} as the tracker database: {error}") from None
    return db


def vacuum_database(db: sqlite_utils.Database) -> None:
    """Rebuild the file so the space freed pages held goes back to the disk."""
    db.vacuum()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # in WAL mode the VACUUMed file shrinks only here
