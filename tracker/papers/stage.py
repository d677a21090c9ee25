"""Big files without a giant WAL: stage the parsed file, then publish it in committed batches.

SQLite's write-ahead log keeps every page a transaction writes until it commits, so loading a
file in one transaction makes the WAL as large as the file's rows (918 MB for 100,000 records).
A file larger than STAGE_BYTES is loaded in two steps instead:

1. Stage: its records are parsed into a staging database beside the main one, committed there
   run by run. The main database is not touched, so a file that fails to parse leaves nothing
   (the stage is deleted) and readers see nothing of it.
2. Publish: once the whole file is staged, its `load_runs` row turns "publishing" and names the
   stage. Records are then published PUBLISH_RECORDS at a time, each batch one transaction that
   also records how far publishing got, and a checkpoint after each lets the next reuse the WAL.

From step 2 on, the file will land whole: a publish that is interrupted (killed, disk full) is
finished by the next `tracker load`, from the batch after the last one committed. Readers are
never blocked; during publishing they see the file's records arrive a batch at a time.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator

import sqlite_utils

from ..core.errors import InputError
from .split import PickledRun
from .store import SaveStats, StorableRecord, save_records, storable

STAGE_BYTES = 64 * 1024**2  # of XML; about 2,500 reference-heavy records, 10,000 typical ones
PUBLISH_RECORDS = 1000  # per transaction: the WAL stays near one batch's pages (about 15 MB)
WAL_LIMIT_BYTES = 64 * 1024**2  # what a checkpointed WAL is truncated back to


def stage_path_for(db: sqlite_utils.Database, run_id: int) -> Path:
    """The staging file of a load: beside the database (same disk, same permissions), or in /tmp for one in memory."""
    main = next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), "")
    folder = Path(main).parent if main else Path(tempfile.gettempdir())
    name = (Path(main).name if main else "memory") + f".load-{run_id}.stage"
    return folder / name


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")  # scratch: a stage that is cut short is thrown away
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def write_stage(path: Path, batches: Iterable[list], progress: Callable[[int], None] | None = None) -> int:
    """Every record of `batches` into a new staging file; returns how many. Marked complete only at the end."""
    discard_stage(path)
    conn = _connect(path)
    records = 0
    try:
        conn.execute("CREATE TABLE batches (seq INTEGER PRIMARY KEY, records INTEGER, payload BLOB)")
        conn.execute("CREATE TABLE complete (records INTEGER)")
        for seq, batch in enumerate(batches, start=1):
            if isinstance(batch, PickledRun):  # pickled by the worker that parsed it
                count, payload = batch.records, batch.payload
            else:
                batch = [r if isinstance(r, StorableRecord) else storable(r) for r in batch]
                # pickle: the stage is written and read by this module only, beside the database it feeds
                count, payload = len(batch), pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)
            conn.execute("INSERT INTO batches VALUES (?, ?, ?)", (seq, count, payload))
            records += count
            if progress:
                progress(records)
        conn.execute("INSERT INTO complete VALUES (?)", (records,))
    finally:
        conn.close()
    with open(path, "rb+") as handle:  # on disk before the main database is told to publish it
        os.fsync(handle.fileno())
    return records


def discard_stage(path: Path) -> None:
    path.unlink(missing_ok=True)


def staged_records(path: Path) -> int | None:
    """How many records a complete stage holds; None if it is missing or was cut short."""
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT records FROM complete").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return row[0] if row else None


def _publish_batches(path: Path, after: int) -> Iterator[tuple[int, list]]:
    """(last staged seq in it, records) about PUBLISH_RECORDS at a time, from staged batch `after` + 1 on."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        group: list = []
        last = after
        for seq, payload in conn.execute("SELECT seq, payload FROM batches WHERE seq > ? ORDER BY seq", (after,)):
            group.extend(pickle.loads(payload))
            last = seq
            if len(group) >= PUBLISH_RECORDS:
                yield last, group
                group = []
        if group:
            yield last, group
    finally:
        conn.close()


def publish(db: sqlite_utils.Database, run_id: int, path: Path,
            progress: Callable[[SaveStats], None] | None = None) -> SaveStats:
    """Publish a complete stage into the database, resuming after the last batch committed."""
    db.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
    row = db.execute("SELECT published, records, new, updated, unchanged, deleted FROM load_runs WHERE id = ?",
                     [run_id]).fetchone()
    published = row[0] or 0
    total = SaveStats(new=row[2] or 0, updated=row[3] or 0, unchanged=row[4] or 0, deleted=row[5] or 0)
    # load_runs has no column for kept_richer: counted with unchanged, as the CLI reports them
    for last, records in _publish_batches(path, published):
        with db.atomic():
            # Claim the batch first: a second `tracker load` resuming the same file finds it taken.
            claimed = db.execute("UPDATE load_runs SET published = ? WHERE id = ? AND coalesce(published, 0) = ?",
                                 [last, run_id, published]).rowcount
            if claimed != 1:
                raise InputError(f"load {run_id} is being published by another process")
            stats = save_records(db, records)
            stats.unchanged += stats.kept_richer
            stats.kept_richer = 0
            stats.pmids = []
            total.add(stats)
            db.execute("UPDATE load_runs SET records = ?, new = ?, updated = ?, unchanged = ?, deleted = ? "
                       "WHERE id = ?", [total.records, total.new, total.updated, total.unchanged, total.deleted,
                                        run_id])
        published = last
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # so the next batch reuses the log from its start
        if progress:
            progress(total)
    return total


def mark_publishing(db: sqlite_utils.Database, run_id: int, path: Path, run_format: str) -> None:
    with db.atomic():
        db["load_runs"].update(run_id, {"status": "publishing", "stage": str(path), "published": 0,
                                        "format": run_format, "records": 0, "new": 0, "updated": 0,
                                        "unchanged": 0, "deleted": 0})


def unfinished_loads(db: sqlite_utils.Database) -> list[dict]:
    """Loads interrupted while publishing: their files are partly in the database until finished."""
    if "stage" not in db["load_runs"].columns_dict:
        return []
    return list(db.query("SELECT id, path, stage, published, started_at FROM load_runs "
                         "WHERE status = 'publishing' ORDER BY id"))
