"""The scheduled job behind scripts/sync: the pipeline, silent, logged, locked and recorded in job_runs.

Outcome and exit code (pipeline.ExitCode): ok (0) when every search synced; partial (2) when some
searches failed but others synced (their batches are kept, the next run finishes the rest); failed
(1) when nothing could be synced (PubMed unreachable, every search failed) or a later stage broke.
A job that finds another sync holding the lock exits 75 without touching anything (lock.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..core.clock import utc_now
from ..core.database import open_db
from ..core.errors import TrackerError
from ..core.secrets import RedactFilter, redact_known
from ..papers.client import EutilsClient
from ..papers.searches import claim_searches, load_searches
from .lock import AlreadyRunning, sync_lock
from .pipeline import Outcome, Run, run_pipeline

log = logging.getLogger("tracker.job")
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 5


@contextlib.contextmanager
def log_to_file(path: str | Path, max_bytes: int = LOG_MAX_BYTES, backups: int = LOG_BACKUPS):
    """While it lasts, every log message (the job's, the sync's retries) goes to a rotating file, none to the terminal."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
    handler.addFilter(RedactFilter(os.environ.get("NCBI_API_KEY")))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        handler.close()
        root.handlers[:], level = saved
        root.setLevel(level)


@dataclass
class JobOptions:
    searches_path: Path
    log_file: Path
    digest_dir: Path
    exports_dir: Path | None = None
    semantic: object = None
    setup: str = "never"  # never | if-new | always: when to load the project's files first
    log_max_bytes: int = LOG_MAX_BYTES
    log_backups: int = LOG_BACKUPS


def _say(line: str, problem: bool = False) -> None:
    log.log(logging.ERROR if problem else logging.INFO, "%s", line)


def run_job(db_path: str | os.PathLike, options: JobOptions, client=None) -> Outcome:
    """Lock, log and run the pipeline (with the setup stages as `options.setup` says). Raises AlreadyRunning."""
    with log_to_file(options.log_file, options.log_max_bytes, options.log_backups):
        try:
            with sync_lock(db_path):
                return _locked_job(db_path, options, client)
        except AlreadyRunning as error:
            log.warning("%s", error)
            raise
        except TrackerError as error:
            log.error("%s", error)
            raise


def _locked_job(db_path, options: JobOptions, client) -> Outcome:
    new = not Path(db_path).exists()
    db = open_db(db_path)
    searches = load_searches(options.searches_path) + claim_searches(db)
    with db.atomic():
        # Under the lock no other job runs: one still "running" ended without recording its end.
        db.execute("UPDATE job_runs SET status = 'failed', error = coalesce(error, 'interrupted: the process ended "
                   "before it recorded its end') WHERE status = 'running'")
        job_id = db["job_runs"].insert({"started_at": utc_now(), "status": "running"}).last_pk
    started = time.monotonic()
    log.info("job %s: syncing %d searches%s", job_id, len(searches), " into a new database" if new else "")
    outcome = Outcome()
    try:
        setup = options.setup == "always" or (options.setup == "if-new" and new)
        run_pipeline(Run(db, client or EutilsClient(), searches, _say, setup=setup, scheduled=True,
                         semantic=options.semantic, digest_dir=options.digest_dir,
                         exports_dir=options.exports_dir, outcome=outcome))
    finally:
        _record(db, job_id, outcome)
        if outcome.status == "failed":
            log.error("job %s failed: %s", job_id, outcome.error)
        log.info("job %s %s in %.1f s", job_id, outcome.status, time.monotonic() - started)
    return outcome


def _record(db, job_id: int, outcome: Outcome) -> None:
    with db.atomic():
        db["job_runs"].update(job_id, {
            "finished_at": utc_now(), "status": outcome.status, "searches_ok": outcome.searches_ok,
            "searches_failed": redact_known(json.dumps(outcome.failures)), "new": outcome.new, "updated": outcome.updated,
            "new_links": outcome.new_links, "digest_id": outcome.digest.id if outcome.digest else None,
            "error": redact_known(outcome.error),
        })
