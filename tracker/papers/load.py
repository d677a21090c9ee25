"""`tracker load`: PubMed files on disk into the database.

Each file lands whole or not at all, and a failure names the file and the line. Every attempt
is recorded in `load_runs`. A file is stored in one transaction, unless it is larger than
stage.STAGE_BYTES: then it is staged and published in batches (stage.py), so the WAL stays small.

XML is cut into runs of whole records (split.py) that worker processes parse while this
process writes them, in file order, in the same transaction. A file the cutting is not sure of
is read instead by the streaming parser in this process, which names the line of any error.
"""

from __future__ import annotations

import gzip
import io
import multiprocessing
import os
import zlib
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils
from lxml import etree

from ..core.clock import utc_now
from ..core.errors import InputError, TrackerError
from ..core.sniff import looks_like_html
from .compress import CODEC, compress_raw, decompress_raw, keep_dictionary
from .evidence import refresh_evidence_levels
from .medline import iter_medline_records, parse_medline_record
from .parse import iter_xml_records, parse_record_xml
from .records import ParsedRecord
from .split import NotSplittable, parse_range, parse_run, parse_run_pickled, record_ranges, record_runs
from .stage import (
    STAGE_BYTES,
    discard_stage,
    mark_publishing,
    publish,
    stage_path_for,
    staged_records,
    unfinished_loads,
    write_stage,
)
from .store import SaveStats, save_records

BATCH_SIZE = 500
GZIP_MAGIC = b"\x1f\x8b"
# Parsing is most of the work (docs/benchmarks.md, "Loading"): on a 2-core machine two parsers and the writer share
# the cores; with more cores, more workers help until the one writer is busy all the time.
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
# The parsers run at a lower priority than the one writer: it is the serial part of the pipeline,
# and a writer preempted by its own parsers held every result back (`tracker bench load`: 4% faster).
WORKER_NICENESS = 10


def _start_worker(parent: int) -> None:
    """A parsing worker: at a lower priority, and ended with the load that started it. A forked worker holds
    the task pipe open itself, so after the load is killed (SIGKILL) it would wait on it for ever."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not permitted here: parse at the same priority
        pass
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: Linux only
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the load died before the line above took effect
        os._exit(1)


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


def _split_batches(path: Path, workers: int, parse: Callable = parse_run) -> Iterator:
    """The records of an XML file, a run at a time, parsed by `workers` processes (here when 1);
    `parse` is parse_run, or parse_run_pickled for a stage.

    At most two runs per worker are in flight, so memory stays flat however large the file.
    """
    with _open_binary(path) as handle:
        if workers > 1 and not isinstance(handle, gzip.GzipFile):
            # An uncompressed file: each worker reads its own run; only the offsets pass between processes.
            pickled = parse is parse_run_pickled
            tasks = ((parse_range, str(path), start, end, pickled) for start, end in record_ranges(str(path)))
        else:
            runs = _readable(record_runs(handle))
            if workers <= 1:
                yield from (parse(run) for run in runs)
                return
            tasks = ((parse, run) for run in runs)
        context = multiprocessing.get_context("fork")  # the workers need nothing but this module
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                 initargs=(os.getpid(),)) as pool:
            pending: deque = deque()
            try:
                for task in tasks:
                    pending.append(pool.submit(*task))
                    if len(pending) >= 2 * workers:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()


def _readable(runs: Iterator[bytes]) -> Iterator[bytes]:
    """A file that fails to read (a truncated gzip file) is left to the streaming parser, which says why."""
    try:
        yield from runs
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise NotSplittable(str(error)) from None


def _store(db, batches: Iterator[list], progress) -> SaveStats:
    """Every batch in one transaction: the file lands whole or not at all."""
    total = SaveStats()
    with db.atomic():
        for batch in batches:
            stats = save_records(db, batch)
            stats.pmids = []  # a whole baseline file's PMIDs are not worth keeping in memory
            total.add(stats)
            if progress:
                progress(total)
    return total


def load_file(
    db: sqlite_utils.Database,
    path: str | os.PathLike,
    progress: Callable[[SaveStats], None] | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int = DEFAULT_WORKERS,
    split: bool = True,
    stage_bytes: int = STAGE_BYTES,
) -> SaveStats:
    """Load one PubMed file. All or nothing: on error the database is as it was, but for `load_runs`.

    The attempt is recorded as "running" before anything is read, so a load killed midway is
    still there to see; a load that fails (or is interrupted) says why. `workers`: processes
    that parse XML beside this one (1: all in this process); `split=False` reads XML with the
    streaming parser alone, as the fast path does when it gives up. A file of more than
    `stage_bytes` (uncompressed) is staged, then published in batches (stage.py).
    """
    path = Path(path)
    with db.atomic():
        run_id = db["load_runs"].insert({"path": str(path), "status": "running", "started_at": utc_now()}).last_pk
    run_format = None
    try:
        run_format = detect_format(path)
        if _uncompressed_size(path) > stage_bytes:
            total = _load_staged(db, path, run_id, run_format, progress, batch_size, workers, split)
        else:
            total = _with_fallback(lambda batches: _store(db, batches, progress), path, run_format, batch_size,
                                   workers, split)
    except BaseException as error:  # Ctrl-C and a full disk too: recorded, then passed on
        _finish_load(db, run_id, run_format, "failed", SaveStats(), _reason(error))
        raise
    _finish_load(db, run_id, run_format, "ok", total, None)
    refresh_evidence_levels(db)
    return total


def _with_fallback(attempt: Callable[[Iterator[list]], SaveStats | int], path: Path, run_format: str,
                   batch_size: int, workers: int, split: bool, parse: Callable = parse_run):
    """`attempt` on the fast path's batches (XML cut into runs for the workers, each parsed by `parse`);
    if the cutting gives up part way, `attempt` (which undoes what it did) again on the streaming
    parser's batches."""
    if run_format == "xml" and split:
        try:
            return attempt(_split_batches(path, workers, parse))
        except NotSplittable:
            pass  # undone by the attempt; the streaming parser reads it, and names any error's line
    return attempt(_batches(iter_file_records(path), batch_size))


def _uncompressed_size(path: Path) -> int:
    """The file's size, or for gzip its uncompressed size (the trailer's, modulo 4 GiB: at least the file's)."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if handle.read(2) == GZIP_MAGIC and size >= 18:
            handle.seek(-4, os.SEEK_END)
            return max(size, int.from_bytes(handle.read(4), "little"))
    return size


def _load_staged(db, path: Path, run_id: int, run_format: str, progress, batch_size: int, workers: int,
                 split: bool) -> SaveStats:
    stage = stage_path_for(db, run_id)
    shown = (lambda count: progress(SaveStats(unchanged=count))) if progress else None
    try:
        _with_fallback(lambda batches: write_stage(stage, batches, shown), path, run_format, batch_size, workers,
                       split, parse_run_pickled)
    except BaseException:
        discard_stage(stage)  # nothing was published: the database is as it was
        raise
    mark_publishing(db, run_id, stage, run_format)
    try:
        total = publish(db, run_id, stage, progress)
    except Exception as error:
        raise PublishInterrupted(f"{path}: publishing stopped part way ({_reason(error)}); the records published "
                                 "so far stay, and `tracker load` run again finishes it") from error
    discard_stage(stage)
    return total


class PublishInterrupted(TrackerError):
    """A staged file stopped part way through publishing: the next `tracker load` finishes it."""


def _reason(error: BaseException) -> str:
    if isinstance(error, TrackerError):
        return str(error)
    return "interrupted" if isinstance(error, KeyboardInterrupt) else f"{type(error).__name__}: {error}"


def finish_interrupted_loads(db: sqlite_utils.Database, progress: Callable[[SaveStats], None] | None = None
                             ) -> list[tuple[dict, SaveStats | None, str | None]]:
    """Finish every load that was interrupted while publishing: (load_runs row, stats, None) for each
    finished, (row, None, why) for one that cannot be (its staging file is gone)."""
    results = []
    for run in unfinished_loads(db):
        stage = Path(run["stage"])
        if staged_records(stage) is None:
            why = (f"{run['path']}: its interrupted load cannot be finished, as its staging file {stage} is gone; "
                   "the records published before it stopped stay; load the file again to store the rest")
            with db.atomic():
                db["load_runs"].update(run["id"], {"status": "failed", "stage": None, "error": why,
                                                   "finished_at": utc_now()})
            results.append((run, None, why))
            continue
        total = publish(db, run["id"], stage, progress)
        _finish_load(db, run["id"], None, "ok", total, None)
        discard_stage(stage)
        refresh_evidence_levels(db)
        results.append((run, total, None))
    return results


def _finish_load(db, run_id: int, run_format, status, stats: SaveStats, error) -> None:
    """Record how a load ended. One stopped while publishing stays "publishing" (to be finished), with why."""
    with db.atomic():
        publishing = db.execute("SELECT status FROM load_runs WHERE id = ?", [run_id]).fetchone()[0] == "publishing"
        if publishing and status == "failed":
            db["load_runs"].update(run_id, {"error": error})  # its counts are those of the batches published
            return
        update = {"status": status, "error": error, "finished_at": utc_now(), "stage": None,
                  "records": stats.records, "new": stats.new, "updated": stats.updated,
                  "unchanged": stats.unchanged + stats.kept_richer, "deleted": stats.deleted}
        if run_format is not None:
            update["format"] = run_format
        db["load_runs"].update(run_id, update)


@dataclass
class ReparseResult:
    stats: SaveStats = field(default_factory=SaveStats)
    failures: list[str] = field(default_factory=list)  # "PMID n: why", for records left as they were
    recompressed: int = 0  # raw records an older version stored, rewritten in the current codec


def reparse(db: sqlite_utils.Database, batch_size: int = BATCH_SIZE,
            progress: Callable[[int, int], None] | None = None) -> ReparseResult:
    """Re-derive every column from the stored raw records, without the network.

    A stored record that no longer parses (an older version of the tracker kept something this one
    refuses) is reported and left as it was; the others are reparsed. `progress(done, total)` is
    called after each batch.
    """
    result = ReparseResult()
    total, done = db["raw_records"].count, 0
    last_pmid = -1
    while True:
        rows = db.execute(
            "SELECT pmid, format, compressed, codec FROM raw_records WHERE pmid > ? ORDER BY pmid LIMIT ?",
            [last_pmid, batch_size],
        ).fetchall()
        if not rows:
            break
        records, recompressed = [], []
        for pmid, record_format, compressed, codec in rows:
            try:
                raw = decompress_raw(codec, compressed)
                records.append(_parse_stored(record_format, raw))
            except (InputError, etree.XMLSyntaxError, ValueError, UnicodeDecodeError, zlib.error) as error:
                result.failures.append(f"PMID {pmid}: {getattr(error, 'msg', None) or error}")
                continue
            if codec != CODEC:  # an older database's record, kept in the current codec from now on
                recompressed.append((compress_raw(raw), CODEC, pmid))
        with db.atomic():
            stats = save_records(db, records)
            if recompressed:
                keep_dictionary(db)
                db.conn.executemany("UPDATE raw_records SET compressed = ?, codec = ? WHERE pmid = ?", recompressed)
        result.recompressed += len(recompressed)
        stats.pmids = []
        result.stats.add(stats)
        last_pmid = rows[-1][0]
        done += len(rows)
        if progress:
            progress(done, total)
    refresh_evidence_levels(db)
    return result


def _parse_stored(record_format: str, raw: bytes) -> ParsedRecord:
    if record_format == "medline":
        return parse_medline_record(raw.decode("utf-8"))
    return parse_record_xml(raw)
