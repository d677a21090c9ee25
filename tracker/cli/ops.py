"""Running the tracker: `tracker run` (scripts/run), `tracker job` (scripts/sync), `status`, `digest`, `backup`."""

from __future__ import annotations

from pathlib import Path

import click

from ..core import paths
from ..core.errors import TrackerError
from ..core.files import open_output
from ..link.semantic import semantic_index
from ..ops.backup import backup_database
from ..ops.digest import latest_digest
from ..ops.job import LOG_BACKUPS, LOG_MAX_BYTES, JobOptions, run_job
from ..ops.lock import AlreadyRunning, sync_lock
from ..ops.pipeline import Run, SyncOptions, run_pipeline
from ..ops.status import DEFAULT_MAX_AGE_DAYS, collect_status, status_text
from ..papers.client import EutilsClient
from ..papers.searches import select_searches
from .common import (
    Progress,
    db_path,
    json_option,
    open_database,
    output_option,
    quiet_option,
    searches_option,
    semantic_option,
)
from .papers import sync_mode, sync_options, sync_progress


@click.command("run")
@sync_options
@semantic_option
@quiet_option("No progress display.")
@click.pass_context
def run(ctx, search_name, term, since, full, searches_path, batch_size, with_claims, use_semantic, quiet):
    """Build or update the database: starter bibliography, claim catalog, articles, PubMed sync,
    decisions, links (what scripts/run does before serving).

    Without network the sync says so in one line and the rest goes on with what the database holds.
    The sync options are `tracker sync`'s. Exit codes: 0 done; 1 failed; 2 some searches failed (what
    was fetched is kept; run it again to finish); 75 another sync is running.
    """
    mode, since_date = sync_mode(full, since)
    database = open_database(ctx)
    progress = Progress(quiet)

    def say(line: str, problem: bool = False) -> None:
        progress.done()
        click.echo(line, err=problem)

    with sync_lock(db_path(ctx)):
        searches = select_searches(database, searches_path, search_name, term, with_claims)
        outcome = run_pipeline(Run(database, EutilsClient(), searches, say, setup=True, offline_ok=True,
                                   semantic=semantic_index(use_semantic),
                                   sync=SyncOptions(mode, since_date, batch_size, sync_progress(progress))))
    progress.done()
    if outcome.status != "ok":
        click.echo(f"Error: {outcome.error}", err=True)
    ctx.exit(outcome.exit_code)


@click.command("job")
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path), envvar="TRACKER_LOG",
              help="Log file, rotated (default: logs/sync.log beside the database; env TRACKER_LOG).")
@click.option("--log-max-bytes", type=click.IntRange(1_000), default=LOG_MAX_BYTES, show_default=True)
@click.option("--log-backups", type=click.IntRange(0), default=LOG_BACKUPS, show_default=True)
@click.option("--digests", "digest_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where digests are written (default: digests/ beside the database).")
@click.option("--exports", "exports_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write links.csv, claims.csv, report.md and papers.bib here (for git scraping).")
@click.option("--setup", type=click.Choice(["never", "if-new", "always"]), default="never", show_default=True,
              help="When to load the starter bibliography, claim catalog, articles and decisions first "
                   "(scripts/sync: if-new, for a database it creates).")
@searches_option
@semantic_option
@click.pass_context
def job(ctx, log_path, log_max_bytes, log_backups, digest_dir, exports_dir, setup, searches_path, use_semantic):
    """The scheduled job (scripts/sync runs it): sync every search, link, digest, export.

    Silent unless something went wrong; everything goes to the log file.

    \b
    Exit codes:
      0   every search synced
      1   failed: nothing could be synced, or a later step broke (see the log)
      2   partial: some searches failed; what was fetched is kept and the next run finishes
      75  another sync is running; this one did nothing
    """
    database_file = db_path(ctx)
    options = JobOptions(searches_path, log_path or paths.beside_database(database_file, "logs/sync.log"),
                         digest_dir or paths.beside_database(database_file, "digests"), exports_dir,
                         semantic_index(use_semantic), setup, log_max_bytes, log_backups)
    try:
        outcome = run_job(database_file, options)
    except AlreadyRunning as error:
        click.echo(f"tracker job: {error}", err=True)
        ctx.exit(error.exit_code)
    if outcome.status == "partial":
        click.echo(f"tracker job: partial: {len(outcome.failures)} of {len(outcome.failures) + outcome.searches_ok} "
                   f"searches failed ({'; '.join(outcome.failures)}); the next run finishes them. Log: {options.log_file}",
                   err=True)
    elif outcome.status == "failed":
        click.echo(f"tracker job: failed: {outcome.error}. Log: {options.log_file}", err=True)
    ctx.exit(outcome.exit_code)


@click.command("status")
@json_option
@click.option("--check", is_flag=True,
              help="For monitoring: print only the warnings (nothing when all is well) and exit 1 when there are any.")
@click.option("--max-age", "max_age_days", type=click.FloatRange(0), default=DEFAULT_MAX_AGE_DAYS, show_default=True,
              help="Warn when a search's last successful sync is older than this many days.")
@click.pass_context
def status(ctx, as_json, check, max_age_days):
    """Last successful sync per search and its age, counts, papers awaiting linking, claims
    without evidence, and warnings (stale or failed syncs, retracted papers linked)."""
    result = collect_status(open_database(ctx), db_path(ctx), max_age_days=max_age_days)
    if as_json:
        click.echo(result.as_json())
    elif check:
        for warning in result.warnings:
            click.echo(f"tracker status: {warning}")
    else:
        click.echo(status_text(result))
    if check and result.warnings:
        ctx.exit(1)


@click.command("digest")
@output_option()
@click.option("--any", "any_digest", is_flag=True, help="The latest digest even if it found nothing new.")
@click.pass_context
def digest(ctx, output, any_digest):
    """Print the latest digest: per claim, newly linked papers and newly retracted ones.

    Each scheduled job makes one (`tracker job`); Datasette offers them as an Atom feed at
    /tracker/digest.atom.
    """
    found = latest_digest(open_database(ctx), non_empty=not any_digest)
    if found is None:
        raise TrackerError("no digest yet: the scheduled job (scripts/sync) makes one after each sync")
    with open_output(output) as handle:
        handle.write(found.markdown)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx, path):
    """Copy the database to PATH, consistently, even while a sync or Datasette uses it."""
    result = backup_database(db_path(ctx), path)
    click.echo(f"Backed up {result.papers} papers ({result.bytes / 1e6:.1f} MB) to {result.path}")


COMMANDS = (run, job, status, digest, backup)
