"""`tracker backup PATH`: a consistent copy of the database while it is in use.

SQLite's online backup copies the pages inside one read transaction, so the copy is the
database as of one moment even while a sync writes (WAL lets the writer go on meanwhile). The
copy is made under a temporary name beside PATH, checked with `PRAGMA integrity_check`, and
only then renamed to PATH: a failed backup never replaces a good one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import TrackerError
from ..core.files import check_writable


@dataclass
class BackupResult:
    path: Path
    bytes: int
    papers: int


def backup_database(source: str | os.PathLike, target: str | os.PathLike) -> BackupResult:
    source, target = Path(source), Path(target)
    if target.resolve() == source.resolve():
        raise TrackerError(f"the backup {target} would overwrite the database itself; give another path")
    if not source.is_file():
        raise TrackerError(f"no database at {source} to back up")
    check_writable(target)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(descriptor)
    try:
        reader = sqlite3.connect(source, timeout=30)
        copy = sqlite3.connect(temporary)
        try:
            reader.backup(copy)  # all pages in one step: one read transaction, one moment
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise TrackerError(f"the backup failed its integrity check ({verdict}); {target} was not written")
            papers = copy.execute("SELECT count(*) FROM papers").fetchone()[0]
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
            reader.close()
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except sqlite3.Error as error:
        raise TrackerError(f"backup of {source} failed: {error}; {target} was not written") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return BackupResult(target, target.stat().st_size, papers)
