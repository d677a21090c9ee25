"""Where output goes (exports, digests, backups): standard output, or a file that appears whole or not at all.

A file is written under a temporary name in its own folder and renamed over the target only
when everything was written, so a failure (bad data, full disk, Ctrl-C) never leaves a partial
file, and an older export at that path stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator, TextIO

from .errors import InputError, TrackerError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path: Path) -> None:
    """Fail early, with what to do, when `path` cannot be written."""
    if path.is_dir():
        raise TrackerError(f"cannot write {path}: it is a folder; give a file name")
    folder = path.parent
    if not folder.is_dir():
        raise TrackerError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise TrackerError(f"cannot write {path}: no permission to write in {folder}")
    if path.exists() and not os.access(path, os.W_OK):
        raise TrackerError(f"cannot write {path}: the file is read-only")


@contextlib.contextmanager
def open_output(path: str | Path | None, bom: bool = False, newline: str | None = "") -> Iterator[TextIO]:
    """A text handle for `path` ('-' or None: standard output). The file is replaced only on success."""
    if path is None or str(path) == "-":
        if bom:
            sys.stdout.write("\ufeff")
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(path)
    check_writable(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as error:
        raise TrackerError(f"cannot write {path}: {error.strerror}") from None
    try:
        with open(descriptor, "w", encoding="utf-8-sig" if bom else "utf-8", newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(temporary, mode)  # mkstemp makes 0600; keep what a plain write would give
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise TrackerError(f"cannot write {path}: {error.strerror or error}; nothing was written") from None
        raise


@contextlib.contextmanager
def reading(path: Path, where_it_lives: str = "") -> Iterator[None]:
    """Turns the errors of reading one of the project's text files into one line a person can act on."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(f"{path}: no such file" + (f" ({where_it_lives})" if where_it_lives else "")) from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
