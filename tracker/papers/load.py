"""`tracker load`: PubMed files on disk into the database.

Each file is stored in one transaction: it lands whole or not at all, and a failure
names the file and the line. Every attempt is recorded in `load_runs`.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils
from lxml import etree

from ..core.clock import utc_now
from ..core.errors import InputError
from ..core.sniff import looks_like_html
from .evidence import refresh_evidence_levels
from .medline import iter_medline_records, parse_medline_record
from .parse import iter_xml_records, parse_record_xml
from .records import ParsedRecord
from .store import SaveStats, save_records

BATCH_SIZE = 500
GZIP_MAGIC = b"\x1f\x8b"


def _sniff(head: bytes) -> str:
    """'xml', 'medline' or 'html' from the first bytes of a (decompressed) file."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not text:
        return "empty"
    if looks_like_html(text):
        return "html"
    if text.startswith(b"<"):
        return "xml"
    if text.startswith(b"pmid-"):
        return "medline"
    return "unknown"


def _open_binary(path: Path) -> io.BufferedIOBase:
    handle = open(path, "rb")
    if handle.peek(2)[:2] == GZIP_MAGIC:
        return gzip.open(handle)  # type: ignore[return-value]
    return handle


def detect_format(path: Path) -> str:
    """The format of a file, or an InputError saying why it cannot be loaded."""
    try:
        with _open_binary(path) as handle:
            head = handle.read(4096)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise InputError(f"{path}: cannot be read (permission denied)") from None
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"{path}: cannot be read as gzip: {error}") from None
    kind = _sniff(head)
    if kind == "empty":
        raise InputError(f"{path}: the file is empty")
    if kind == "html":
        raise InputError(
            f"{path}: this is an HTML page, not PubMed XML (a web page or an error page was saved "
            "where efetch output was expected)"
        )
    if kind == "unknown":
        raise InputError(
            f"{path}: neither PubMed XML nor PubMed-format (MEDLINE) text; "
            "tracker load reads efetch/baseline XML (.xml, .xml.gz) and .nbib/.txt exports"
        )
    return kind


def iter_file_records(path: Path) -> Iterator[ParsedRecord]:
    kind = detect_format(path)
    with _open_binary(path) as handle:
        try:
            if kind == "xml":
                yield from iter_xml_records(handle, str(path))
            else:
                text = io.TextIOWrapper(handle, encoding="utf-8", errors="strict")
                yield from iter_medline_records(text, str(path))
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not UTF-8 text (byte {error.start} of a line): re-export as UTF-8") from None
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise InputError(f"{path}: the gzip file is truncated or corrupt ({error})") from None


def _batches(records: Iterator[ParsedRecord], size: int) -> Iterator[list]:
    while True:
        batch = list(islice(records, size))
        if not batch:
            return
        yield batch


def load_file(
    db: sqlite_utils.Database,
    path: str | os.PathLike,
    progress: Callable[[SaveStats], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SaveStats:
    """Load one PubMed file. All or nothing: on error the database is as it was, but for `load_runs`.

    The attempt is recorded as "running" before anything is read, so a load killed midway is
    still there to see; a load that fails (or is interrupted) says why.
    """
    path = Path(path)
    with db.atomic():
        run_id = db["load_runs"].insert({"path": str(path), "status": "running", "started_at": utc_now()}).last_pk
    total = SaveStats()
    run_format = None
    try:
        run_format = detect_format(path)
        with db.atomic():
            for batch in _batches(iter_file_records(path), batch_size):
                stats = save_records(db, batch)
                stats.pmids = []  # a whole baseline file's PMIDs are not worth keeping in memory
                total.add(stats)
                if progress:
                    progress(total)
    except BaseException as error:  # Ctrl-C and a full disk too: recorded as failed, then passed on
        reason = str(error) if isinstance(error, InputError) else (
            "interrupted" if isinstance(error, KeyboardInterrupt) else f"{type(error).__name__}: {error}")
        _finish_load(db, run_id, run_format, "failed", SaveStats(), reason)
        raise
    _finish_load(db, run_id, run_format, "ok", total, None)
    refresh_evidence_levels(db)
    return total


def _finish_load(db, run_id: int, run_format, status, stats: SaveStats, error) -> None:
    with db.atomic():
        db["load_runs"].update(run_id, {
            "format": run_format, "status": status, "records": stats.records, "new": stats.new,
            "updated": stats.updated, "unchanged": stats.unchanged, "deleted": stats.deleted, "error": error,
            "finished_at": utc_now(),
        })


@dataclass
class ReparseResult:
    stats: SaveStats = field(default_factory=SaveStats)
    failures: list[str] = field(default_factory=list)  # "PMID n: why", for records left as they were


def reparse(db: sqlite_utils.Database, batch_size: int = BATCH_SIZE) -> ReparseResult:
    """Re-derive every column from the stored raw records, without the network.

    A stored record that no longer parses (an older version of the tracker kept something this one
    refuses) is reported and left as it was; the others are reparsed.
    """
    result = ReparseResult()
    last_pmid = -1
    while True:
        rows = db.execute(
            "SELECT pmid, format, compressed FROM raw_records WHERE pmid > ? ORDER BY pmid LIMIT ?",
            [last_pmid, batch_size],
        ).fetchall()
        if not rows:
            break
        records = []
        for pmid, record_format, compressed in rows:
            try:
                records.append(_parse_stored(record_format, compressed))
            except (InputError, etree.XMLSyntaxError, ValueError, UnicodeDecodeError, zlib.error) as error:
                result.failures.append(f"PMID {pmid}: {getattr(error, 'msg', None) or error}")
        with db.atomic():
            stats = save_records(db, records)
        stats.pmids = []
        result.stats.add(stats)
        last_pmid = rows[-1][0]
    refresh_evidence_levels(db)
    return result


def _parse_stored(record_format: str, compressed: bytes) -> ParsedRecord:
    raw = zlib.decompress(compressed)
    if record_format == "medline":
        return parse_medline_record(raw.decode("utf-8"))
    return parse_record_xml(raw)
