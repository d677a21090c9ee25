"""`tracker status`: is the tracker healthy, and what needs a person's attention?

Everything comes from the database (sync_runs, link_runs, job_runs, the views) and the sync
lock, so the status is the same whoever asks and a monitor can run `tracker status --check`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from ..claims.store import catalog_counts
from ..core.paths import curation_file
from ..papers.stage import unfinished_loads
from .lock import running_sync

DEFAULT_MAX_AGE_DAYS = 8.0  # a nightly sync may miss a few nights before someone is told


@dataclass
class SearchStatus:
    name: str
    last_success: str | None
    age_days: float | None
    last_status: str | None
    last_error: str | None


@dataclass
class Status:
    checked_at: str
    database: str
    sync_running: str | None
    searches: list[SearchStatus]
    counts: dict
    papers_awaiting_linking: int
    claims_without_evidence: list[str]
    retracted_linked: list[dict]
    last_job: dict | None
    decisions_file: str = ""  # the curation file decisions from the page go to, and `tracker curate` loads
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _searches(db: sqlite_utils.Database, now: datetime) -> list[SearchStatus]:
    found = []
    for row in db.query("""
            SELECT s.name,
                   (SELECT max(finished_at) FROM sync_runs r WHERE r.search = s.name AND r.status = 'ok') AS last_success,
                   (SELECT status FROM sync_runs r WHERE r.search = s.name ORDER BY id DESC LIMIT 1) AS last_status,
                   (SELECT error FROM sync_runs r WHERE r.search = s.name ORDER BY id DESC LIMIT 1) AS last_error
            FROM searches s ORDER BY s.name"""):
        age = None
        if row["last_success"]:
            age = round((now - _parse_time(row["last_success"])).total_seconds() / 86400, 2)
        found.append(SearchStatus(row["name"], row["last_success"], age, row["last_status"], row["last_error"]))
    return found


def _awaiting_linking(db: sqlite_utils.Database) -> int:
    last_link = db.execute("SELECT max(started_at) FROM link_runs WHERE status = 'ok'").fetchone()[0]
    if last_link is None:
        return db.execute("SELECT count(*) FROM papers WHERE deleted IS NOT 1").fetchone()[0]
    return db.execute("SELECT count(*) FROM papers WHERE deleted IS NOT 1 AND last_updated >= ?", [last_link]).fetchone()[0]


def collect_status(db: sqlite_utils.Database, db_path: str | Path, max_age_days: float = DEFAULT_MAX_AGE_DAYS,
                   now: datetime | None = None) -> Status:
    now = now or datetime.now(timezone.utc)
    counts = next(db.query("""
        SELECT (SELECT count(*) FROM papers WHERE deleted IS NOT 1) AS papers,
               (SELECT count(*) FROM papers WHERE is_seed = 1) AS starter_records,
               (SELECT count(*) FROM papers WHERE retracted = 1) AS retracted_papers,
               (SELECT count(*) FROM claims WHERE status = 'active') AS claims,
               (SELECT count(*) FROM claim_papers) AS links,
               (SELECT count(*) FROM curation) AS decisions,
               (SELECT count(*) FROM articles) AS articles"""))
    status = Status(
        checked_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        database=str(db_path),
        sync_running=running_sync(db_path),
        searches=_searches(db, now),
        counts=counts,
        papers_awaiting_linking=_awaiting_linking(db),
        claims_without_evidence=[r[0] for r in db.execute(
            "SELECT claim_id FROM claim_summary WHERE status = 'active' AND no_evidence ORDER BY claim_id")],
        retracted_linked=list(db.query(
            "SELECT claim_id, pmid, title, stance FROM claim_evidence WHERE retracted = 1 AND claim_status = 'active' "
            "ORDER BY claim_id, pmid")),
        last_job=next(db.query("SELECT * FROM job_runs ORDER BY id DESC LIMIT 1"), None),
        decisions_file=str(curation_file(db_path)),
    )
    status.warnings = _warnings(db, status, max_age_days)
    return status


def _warnings(db: sqlite_utils.Database, status: Status, max_age_days: float) -> list[str]:
    warnings = []
    if not status.searches:
        warnings.append("no sync has run yet: run `tracker sync` (or scripts/sync)")
    for search in status.searches:
        if search.last_success is None:
            warnings.append(f"search {search.name} has never synced successfully")
        elif search.age_days > max_age_days:
            warnings.append(f"search {search.name} last synced {search.age_days:.1f} days ago (more than {max_age_days:g})")
        if search.last_status == "failed":
            warnings.append(f"the last sync of {search.name} failed: {search.last_error}")
        elif search.last_status == "running" and not status.sync_running:
            warnings.append(f"the last sync of {search.name} was interrupted (the next sync finishes it)")
    for load in unfinished_loads(db):
        warnings.append(f"the load of {load['path']} stopped part way through publishing ({load['started_at']}): "
                        "run `tracker load` to finish it")
    if status.retracted_linked:
        pmids = sorted({r["pmid"] for r in status.retracted_linked})
        warnings.append(f"{len(pmids)} retracted papers are linked to claims: PMID {', '.join(map(str, pmids))}")
    if status.papers_awaiting_linking:
        warnings.append(f"{status.papers_awaiting_linking} papers are new or changed since the last `tracker link`")
    job = status.last_job
    if job and job["status"] in ("failed", "partial"):
        warnings.append(f"the last scheduled job ({job['started_at']}) ended {job['status']}"
                        + (f": {job['error']}" if job["error"] else ""))
    elif job and job["status"] == "running" and not status.sync_running:
        warnings.append(f"the last scheduled job ({job['started_at']}) was interrupted")
    return warnings


def status_text(status: Status) -> str:
    c = status.counts
    lines = [
        f"{status.database}: {c['papers']} papers ({c['starter_records']} starter records, {c['retracted_papers']} "
        f"retracted), {c['claims']} claims, {c['links']} links, {c['decisions']} decisions, {c['articles']} articles",
        f"sync now: {status.sync_running or 'none running'}",
        f"decisions file: {status.decisions_file}"
        + ("" if Path(status.decisions_file).exists() else " (not there yet: `tracker run` or `tracker serve --decide` "
                                                           "starts it)"),
    ]
    for s in status.searches:
        when = f"{s.last_success} ({s.age_days:.1f} days ago)" if s.last_success else "never"
        lines.append(f"  {s.name}: last success {when}; last run {s.last_status or '-'}")
    if status.last_job:
        job = status.last_job
        lines.append(f"last scheduled job: {job['started_at']} {job['status']} ({job['new'] or 0} new, "
                     f"{job['updated'] or 0} updated papers, {job['new_links'] or 0} new links)")
    lines.append(f"papers awaiting linking: {status.papers_awaiting_linking}")
    lines.append("claims without evidence: " + (", ".join(status.claims_without_evidence) or "none"))
    lines.append("warnings:" + ("" if status.warnings else " none"))
    lines += [f"  - {w}" for w in status.warnings]
    return "\n".join(lines)


def summary_text(db: sqlite_utils.Database) -> str:
    """`tracker summary`: what the database holds, in three lines or so."""
    papers, seeds, retracted, deleted = db.execute(
        "SELECT count(*), sum(is_seed), sum(retracted), sum(deleted) FROM papers").fetchone()
    c = catalog_counts(db)
    lines = [
        f"{papers} papers ({seeds or 0} starter records awaiting a sync, {retracted or 0} retracted, "
        f"{deleted or 0} deleted by PubMed)",
        f"{c['articles']} articles ({c['sentences']} sentences, {c['claim_sentences']} claims, {c['unmatched']} matching "
        f"no canonical claim); {c['active_claims']} canonical claims ({c['retired_claims']} retired)",
    ]
    for search, finished in db.execute(
        "SELECT search, max(finished_at) FROM sync_runs WHERE status = 'ok' GROUP BY search"
    ):
        lines.append(f"last successful sync of {search}: {finished}")
    return "\n".join(lines)
