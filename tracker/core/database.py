"""Opening the database: checking the path gives a usable file, then bringing its shape up to date."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from .errors import TrackerError
from .schema import ensure_schema


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


def open_db(path: str | os.PathLike) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    path = Path(path)
    if str(path) != ":memory:":
        _check_path(path)
    try:
        db = sqlite_utils.Database(path)
        ensure_schema(db)
    except sqlite3.DatabaseError as error:
        raise TrackerError(f"cannot use {path} as the tracker database: {error}") from None
    return db


def vacuum_database(db: sqlite_utils.Database) -> None:
    """Rebuild the file so the space freed pages held goes back to the disk."""
    db.vacuum()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # in WAL mode the VACUUMed file shrinks only here
