"""`tracker sync`: saved searches run against PubMed, results stored batch by batch.

A search is cut into date windows until each fits under ESearch's 9,999 cap; every
window is paged through the history server (WebEnv/query_key) and each page is
committed on its own, so a failure keeps what came before and the next run finishes.

Incremental runs ask for records created (CRDT) since the last successful run, and
for records modified (MDAT) since then that were not created then, so no record is
fetched twice; both windows overlap the last run by a few days.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

import sqlite_utils

from ..core.clock import utc_now
from ..core.errors import PubMedError, PubMedUnreachable
from ..core.secrets import redact_known
from .client import EutilsClient, SearchResult
from .evidence import refresh_evidence_levels
from .searches import Search
from .store import save_records

ESEARCH_CAP = 9999
OVERLAP_DAYS = 3
FETCH_BATCH = 200
EARLIEST = date(1781, 1, 1)  # PubMed's oldest records are from 1781
log = logging.getLogger("tracker.sync")


@dataclass
class Window:
    term: str
    datetype: str | None = None
    start: date | None = None
    end: date | None = None

    def describe(self) -> dict:
        return {
            "datetype": self.datetype,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


@dataclass
class RunSummary:
    run_id: int
    search: str
    mode: str
    status: str = "running"
    found: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    requests: int = 0
    windows: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    error: str | None = None


def _pdate(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def split_to_fit(client: EutilsClient, window: Window, cap: int = ESEARCH_CAP) -> list:
    """[(window, esearch result)] covering `window`, each under the cap. Nothing is cut silently."""
    result = client.esearch(
        window.term,
        datetype=window.datetype,
        mindate=_pdate(window.start) if window.start else None,
        maxdate=_pdate(window.end) if window.end else None,
    )
    if result.count <= cap:
        return [(window, result)]
    if window.datetype is None:  # an undated query too large: cut it by creation date
        dated = Window(window.term, "crdt", EARLIEST, date.today())
        return split_to_fit(client, dated, cap)
    if window.start >= window.end:
        raise PubMedError(
            f"{result.count} records were created on the single day {window.start} for this search, "
            f"more than ESearch's cap of {cap}; make the search narrower"
        )
    middle = window.start + (window.end - window.start) // 2
    first = Window(window.term, window.datetype, window.start, middle)
    second = Window(window.term, window.datetype, middle + timedelta(days=1), window.end)
    return split_to_fit(client, first, cap) + split_to_fit(client, second, cap)


def close_interrupted_runs(db: sqlite_utils.Database) -> int:
    """Mark runs left "running" by a process that ended without recording its end (killed, or its
    database unwritable at the time) as failed. Only a caller holding the sync lock may call it:
    then no run can really be running."""
    with db.atomic():
        return db.execute(
            "UPDATE sync_runs SET status = 'failed', error = coalesce(error, 'interrupted: the process ended before "
            "it recorded its end (a later sync fetches what it missed)') WHERE status = 'running'").rowcount


def last_success(db: sqlite_utils.Database, search: str) -> dict | None:
    rows = list(
        db.query(
            "SELECT * FROM sync_runs WHERE search = ? AND status = 'ok' ORDER BY id DESC LIMIT 1", [search]
        )
    )
    return rows[0] if rows else None


def plan_windows(db, search: Search, mode: str, since: date | None, today: date) -> tuple:
    """(mode actually used, windows) for a run of `search`."""
    if mode == "incremental":
        previous = last_success(db, search.name)
        if previous is None or previous["term"] != search.term:
            mode = "full"  # first run, or the term changed: older matches would be missed
        else:
            started = datetime.strptime(previous["started_at"][:10], "%Y-%m-%d").date()
            since = started - timedelta(days=OVERLAP_DAYS)
    if mode == "full":
        return mode, [Window(search.term)]
    since = min(since, today)
    span = f"{_pdate(since)}:{_pdate(today)}[crdt]"
    return mode, [
        Window(search.term, "crdt", since, today),
        # Revised since, but not new: a new record is also "modified", and is fetched once above.
        Window(f"({search.term}) NOT ({span})", "mdat", since, today),
    ]


def _save_search(db, search: Search) -> None:
    db["searches"].upsert(
        {"name": search.name, "term": search.term, "description": search.description, "updated_at": utc_now()},
        pk="name",
    )


def _update_run(db, summary: RunSummary, **extra) -> None:
    db["sync_runs"].update(
        summary.run_id,
        {
            "status": summary.status,
            "found": summary.found,
            "fetched": summary.fetched,
            "new": summary.new,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "requests": summary.requests,
            "windows": json.dumps(summary.windows),
            "warnings": redact_known("\n".join(summary.warnings) or None),
            "error": redact_known(summary.error),
            **extra,
        },
    )


def _record_provenance(db, search: str, run_id: int, pmids: list, now: str) -> None:
    db.conn.executemany(
        "INSERT INTO search_results (search, pmid, first_run_id, last_run_id, first_found, last_found) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(search, pmid) DO UPDATE SET "
        "last_run_id = excluded.last_run_id, last_found = excluded.last_found",
        [(search, pmid, run_id, run_id, now, now) for pmid in pmids],
    )


def sync_search(
    db: sqlite_utils.Database,
    client: EutilsClient,
    search: Search,
    mode: str = "incremental",
    since: date | None = None,
    progress: Callable[[RunSummary], None] | None = None,
    batch_size: int = FETCH_BATCH,
    today: date | None = None,
) -> RunSummary:
    """Run one saved search. Raises PubMedError after recording the failure in sync_runs."""
    today = today or date.today()
    started_clock = time.monotonic()
    requests_before = client.requests_made
    mode, windows = plan_windows(db, search, mode, since, today)
    with db.atomic():
        _save_search(db, search)
        run_id = db["sync_runs"].insert(
            {
                "search": search.name,
                "term": search.term,
                "mode": mode,
                "window_start": windows[0].start.isoformat() if windows[0].start else None,
                "window_end": windows[0].end.isoformat() if windows[0].end else None,
                "status": "running",
                "started_at": utc_now(),
            }
        ).last_pk
    summary = RunSummary(run_id=run_id, search=search.name, mode=mode)
    try:
        planned = []
        for window in windows:
            planned.extend(split_to_fit(client, window))
        summary.windows = [w.describe() | {"count": r.count} for w, r in planned]
        summary.found = sum(r.count for _, r in planned)
        for _, result in planned:
            summary.warnings.extend(w for w in result.warnings if w not in summary.warnings)
        summary.requests = client.requests_made - requests_before
        if progress:
            progress(summary)
        for _, result in planned:
            _fetch_window(db, client, summary, result, batch_size, progress, requests_before)
        if summary.fetched < summary.found:
            summary.warnings.append(
                f"PubMed reported {summary.found} records but returned {summary.fetched} "
                "(records withdrawn between search and fetch are not returned)"
            )
        summary.status = "ok"
    except BaseException as error:  # Ctrl-C too: the run is recorded as failed, not left "running"
        summary.status = "failed"
        summary.error = str(error) or type(error).__name__
        summary.requests = client.requests_made - requests_before
        try:
            with db.atomic():
                _update_run(db, summary, finished_at=utc_now(), seconds=round(time.monotonic() - started_clock, 3))
        except Exception as recording:  # noqa: BLE001  the run's own error is the one to report
            log.error("sync run %s failed (%s) and could not be recorded: %s; the next sync records it as "
                      "interrupted", run_id, redact_known(summary.error), recording)
        raise
    summary.requests = client.requests_made - requests_before
    with db.atomic():
        _update_run(db, summary, finished_at=utc_now(), seconds=round(time.monotonic() - started_clock, 3))
    return summary


def _fetch_window(db, client, summary: RunSummary, result: SearchResult, batch_size, progress, requests_before):
    if result.count == 0:
        return
    if not result.webenv or not result.query_key:
        raise PubMedError("esearch returned no WebEnv/QueryKey although usehistory=y was asked")
    for retstart in range(0, result.count, batch_size):
        records = client.efetch_history(
            result.webenv, result.query_key, retstart, min(batch_size, result.count - retstart)
        )
        now = utc_now()
        with db.atomic():  # one page: stored whole, with its provenance and the run's counters
            stats = save_records(db, records, now=now)
            _record_provenance(db, summary.search, summary.run_id, stats.pmids, now)
            summary.fetched += len(records)
            summary.new += stats.new
            summary.updated += stats.updated
            summary.unchanged += stats.unchanged + stats.kept_richer
            summary.requests = client.requests_made - requests_before
            _update_run(db, summary)
        if progress:
            progress(summary)


def sync_each(db, client, searches: list, mode="incremental", since=None, progress=None,
              batch_size=FETCH_BATCH) -> tuple[list, list[str], PubMedUnreachable | None]:
    """Run every search: the summaries of those that finished, "name: error" for each that failed, and
    the error that stopped the rest when PubMed became unreachable (no point trying further searches).
    """
    summaries, failures = [], []
    unreachable = None
    close_interrupted_runs(db)  # every caller holds the sync lock
    for number, search in enumerate(searches):
        try:
            summaries.append(
                sync_search(db, client, search, mode=mode, since=since, progress=progress, batch_size=batch_size)
            )
        except PubMedUnreachable as error:
            failures += [f"{s.name}: not run, PubMed unreachable" for s in searches[number:]]
            unreachable = error
            break
        except PubMedError as error:
            failures.append(f"{search.name}: {error}")
    refresh_evidence_levels(db)  # for whatever the searches brought, finished or not
    return summaries, failures, unreachable


def sync_searches(db, client, searches: list, mode="incremental", since=None, progress=None, batch_size=FETCH_BATCH) -> list:
    """Run every search; raises PubMedError naming each failed search after the rest have run."""
    summaries, failures, unreachable = sync_each(db, client, searches, mode, since, progress, batch_size)
    if unreachable:
        raise unreachable
    if failures:
        raise PubMedError("; ".join(failures))
    return summaries
