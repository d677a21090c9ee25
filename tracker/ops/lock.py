"""One sync at a time: an exclusive lock on `<database>.lock`, held for the whole sync.

flock(2) locks belong to the open file, so the kernel releases them when the process ends in
any way, SIGKILL included: a crashed sync never leaves a stale lock behind. The file itself
stays (deleting a lock file invites two processes to lock two different files); it holds the
pid of the current holder, for the message another sync prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator

from ..core.errors import TrackerError


class AlreadyRunning(TrackerError):
    """Another sync holds the lock."""

    exit_code = 75  # EX_TEMPFAIL: try again later


def lock_path(db_path: str | os.PathLike) -> Path:
    """`<database>.lock` beside the real file: the same database through a symlink or another
    relative path gets the same lock."""
    path = Path(db_path).resolve()
    return path.with_name(path.name + ".lock")


def _holder(descriptor: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        text = os.pread(descriptor, 32, 0).decode().strip()
        if text:
            return f" (pid {int(text)})"
    return ""


@contextlib.contextmanager
def sync_lock(db_path: str | os.PathLike) -> Iterator[None]:
    """Hold the database's sync lock, or raise AlreadyRunning at once."""
    path = lock_path(db_path)
    if str(db_path) == ":memory:":
        yield
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"a sync of {db_path} is already running{_holder(descriptor)}; "
                                 f"this one stops without changing anything") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def running_sync(db_path: str | os.PathLike) -> str | None:
    """A description of the sync holding the lock now, or None when no sync runs."""
    path = lock_path(db_path)
    if not path.exists():
        return None
    descriptor = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return "a sync is running" + _holder(descriptor)
        return None
    finally:
        os.close(descriptor)
