"""The scheduled job behind scripts/sync: sync every search, link, digest, export; recorded in job_runs.

Outcome and exit code: ok (0) when every search synced; partial (2) when some searches failed
but others synced (their batches are kept, the next run finishes the rest); failed (1) when
nothing could be synced (PubMed unreachable, every search failed) or a later step broke.
A job that finds another sync holding the lock exits 75 without touching anything (lock.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from ..claims.store import active_claims
from ..errors import TrackerError
from ..export.tables import Filters
from ..export.write import write_export
from ..files import open_output
from ..link.link import link_claims
from ..pubmed.sync import sync_each
from ..store import utc_now
from .digest import Digest, make_digest, write_digest_file

log = logging.getLogger("tracker.job")
EXIT_CODES = {"ok": 0, "failed": 1, "partial": 2}
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 5


@dataclass
class JobResult:
    status: str = "running"
    searches_ok: int = 0
    failures: list[str] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    new_links: int = 0
    digest: Digest | None = None
    digest_file: Path | None = None
    exports: list[Path] = field(default_factory=list)
    error: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


class _Redact(logging.Filter):
    """Belt and braces: whatever a message holds, the API key never reaches the log file."""

    def __init__(self, secret: str | None) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg, record.args = message.replace(self.secret, "[NCBI_API_KEY]"), None
        return True


@contextlib.contextmanager
def log_to_file(path: str | Path, max_bytes: int = LOG_MAX_BYTES, backups: int = LOG_BACKUPS):
    """While it lasts, every log message (the job's, the sync's retries) goes to a rotating file, none to the terminal."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
    handler.addFilter(_Redact(os.environ.get("NCBI_API_KEY")))
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


EXPORTS = (("links.csv", "links", "csv"), ("claims.csv", "claims", "csv"), ("report.md", "report", "md"),
           ("papers.bib", "papers", "bibtex"))


def write_exports(db: sqlite_utils.Database, folder: str | Path) -> list[Path]:
    """The files a git-scraping workflow commits: links and claims as CSV, the report, the citations."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, what, fmt in EXPORTS:
        with open_output(folder / name) as handle:
            write_export(db, what, fmt, Filters(), handle)
        written.append(folder / name)
    return written


def run_job(db: sqlite_utils.Database, client, searches: list, *, semantic=None, digest_dir: str | Path | None = None,
            exports_dir: str | Path | None = None) -> JobResult:
    started = time.monotonic()
    result = JobResult()
    with db.atomic():
        job_id = db["job_runs"].insert({"started_at": utc_now(), "status": "running"}).last_pk
    log.info("job %s: syncing %d searches", job_id, len(searches))
    try:
        summaries, result.failures, unreachable = sync_each(db, client, searches)
        if unreachable:
            log.error("%s", unreachable)
        result.searches_ok = len(summaries)
        result.new = sum(s.new for s in summaries)
        result.updated = sum(s.updated for s in summaries)
        for s in summaries:
            log.info("%s (%s): %d found, %d fetched, %d new, %d updated, %d requests",
                     s.search, s.mode, s.found, s.fetched, s.new, s.updated, s.requests)
        for failure in result.failures:
            log.error("sync failed: %s", failure)
        if summaries:
            claims = active_claims(db)
            if claims:
                links = link_claims(db, claims, semantic=semantic)
                result.new_links = sum(r.new for r in links)
                log.info("linked %d claims: %d new links", len(links), result.new_links)
            result.digest = make_digest(db)
            log.info("digest %d: %d new links, %d newly retracted", result.digest.id, result.digest.new_links,
                     result.digest.retracted)
            if digest_dir and not result.digest.empty:
                result.digest_file = write_digest_file(result.digest, digest_dir)
                log.info("digest written to %s", result.digest_file)
            if exports_dir:
                result.exports = write_exports(db, exports_dir)
                log.info("exports written to %s", exports_dir)
        result.status = "ok" if not result.failures else "partial" if summaries else "failed"
        if result.status == "failed":
            result.error = str(unreachable) if unreachable else "; ".join(result.failures)
    except TrackerError as error:
        result.status, result.error = "failed", str(error)
        log.error("job %s failed: %s", job_id, error)
    finally:
        if result.status == "running":  # interrupted by something unexpected: say so, then let it rise
            result.status, result.error = "failed", result.error or "interrupted"
        with db.atomic():
            db["job_runs"].update(job_id, {
                "finished_at": utc_now(), "status": result.status, "searches_ok": result.searches_ok,
                "searches_failed": json.dumps(result.failures), "new": result.new, "updated": result.updated,
                "new_links": result.new_links, "digest_id": result.digest.id if result.digest else None,
                "error": result.error,
            })
        log.info("job %s %s in %.1f s", job_id, result.status, time.monotonic() - started)
    return result
