"""`tracker job`, `tracker status`, `tracker digest` and `tracker backup`: running the tracker day to day."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from .cli_context import open_database
from .errors import TrackerError
from .files import open_output
from .link import semantic as semantic_extra
from .ops.backup import backup_database
from .ops.digest import latest_digest
from .ops.job import LOG_BACKUPS, LOG_MAX_BYTES, log_to_file, run_job
from .ops.lock import AlreadyRunning, sync_lock
from .ops.status import DEFAULT_MAX_AGE_DAYS, collect_status, status_text
from .pubmed.client import EutilsClient
from .searches import DEFAULT_SEARCHES, claim_searches, load_searches


def _beside_db(ctx, name: str) -> Path:
    return Path(ctx.obj["db_path"]).parent / name


@click.command("job")
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path), envvar="TRACKER_LOG",
              help="Log file, rotated (default: logs/sync.log beside the database; env TRACKER_LOG).")
@click.option("--log-max-bytes", type=click.IntRange(1_000), default=LOG_MAX_BYTES, show_default=True)
@click.option("--log-backups", type=click.IntRange(0), default=LOG_BACKUPS, show_default=True)
@click.option("--digests", "digest_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where digests are written (default: digests/ beside the database).")
@click.option("--exports", "exports_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write links.csv, claims.csv, report.md and papers.bib here (for git scraping).")
@click.option("--searches", "searches_path", type=click.Path(path_type=Path), default=DEFAULT_SEARCHES,
              show_default=True)
@click.option("--semantic/--no-semantic", "use_semantic", default=None,
              help="Link with semantic similarity (default: when the extra is installed).")
@click.pass_context
def job(ctx, log_path, log_max_bytes, log_backups, digest_dir, exports_dir, searches_path, use_semantic):
    """The scheduled job (scripts/sync runs it): sync every search, link, digest, export.

    Silent unless something went wrong; everything goes to the log file.

    \b
    Exit codes:
      0   every search synced
      1   failed: nothing could be synced, or a later step broke (see the log)
      2   partial: some searches failed; what was fetched is kept and the next run finishes
      75  another sync is running; this one did nothing
    """
    log_file = log_path or _beside_db(ctx, "logs/sync.log")
    with log_to_file(log_file, log_max_bytes, log_backups):
        try:
            with sync_lock(ctx.obj["db_path"]):
                database = open_database(ctx)
                searches = load_searches(searches_path) + claim_searches(database)
                if use_semantic and not semantic_extra.available():
                    raise TrackerError("semantic similarity needs the extra: pip install -e '.[semantic]'")
                semantic = (semantic_extra.SemanticIndex()
                            if use_semantic is not False and semantic_extra.available() else None)
                result = run_job(database, EutilsClient(), searches, semantic=semantic,
                                 digest_dir=digest_dir or _beside_db(ctx, "digests"), exports_dir=exports_dir)
        except AlreadyRunning as error:
            logging.getLogger("tracker.job").warning("%s", error)
            click.echo(f"tracker job: {error}", err=True)
            ctx.exit(error.exit_code)
        except TrackerError as error:
            logging.getLogger("tracker.job").error("%s", error)
            raise
    if result.status == "partial":
        click.echo(f"tracker job: partial: {len(result.failures)} of {len(result.failures) + result.searches_ok} "
                   f"searches failed ({'; '.join(result.failures)}); the next run finishes them. Log: {log_file}",
                   err=True)
    elif result.status == "failed":
        click.echo(f"tracker job: failed: {result.error}. Log: {log_file}", err=True)
    ctx.exit(result.exit_code)


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--check", is_flag=True,
              help="For monitoring: print only the warnings (nothing when all is well) and exit 1 when there are any.")
@click.option("--max-age", "max_age_days", type=click.FloatRange(0), default=DEFAULT_MAX_AGE_DAYS, show_default=True,
              help="Warn when a search's last successful sync is older than this many days.")
@click.pass_context
def status(ctx, as_json, check, max_age_days):
    """Last successful sync per search and its age, counts, papers awaiting linking, claims
    without evidence, and warnings (stale or failed syncs, retracted papers linked)."""
    result = collect_status(open_database(ctx), ctx.obj["db_path"], max_age_days=max_age_days)
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
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE")
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
    result = backup_database(ctx.obj["db_path"], path)
    click.echo(f"Backed up {result.papers} papers ({result.bytes / 1e6:.1f} MB) to {result.path}")
