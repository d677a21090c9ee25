"""Papers from PubMed: `tracker init`, `seed`, `load`, `reparse`, `sync`, `searches`, `summary`."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ..core import paths
from ..core.database import vacuum_database
from ..core.errors import PubMedUnreachable, TrackerError
from ..ops.lock import sync_lock
from ..ops.status import summary_text
from ..papers.client import EutilsClient
from ..papers.load import DEFAULT_WORKERS, PublishInterrupted, finish_interrupted_loads, load_file, reparse
from ..papers.searches import load_searches, select_searches
from ..papers.seed import load_seed
from ..papers.stage import STAGE_BYTES
from ..papers.sync import FETCH_BATCH, sync_searches
from .common import (
    Progress,
    db_path,
    open_database,
    parse_since,
    project_file_argument,
    quiet_option,
    searches_option,
)


@click.command()
@click.option("--seed/--no-seed", default=True, show_default=True, help="Also load the starter bibliography.")
@click.pass_context
def init(ctx, seed: bool):
    """Create or upgrade the database (every command does this too)."""
    database = open_database(ctx)
    message = f"Database ready: {db_path(ctx)}"
    if seed and paths.BIBLIOGRAPHY.exists():
        stats = load_seed(database, paths.BIBLIOGRAPHY)
        message += f"; starter bibliography: {stats.new} new, {stats.kept_richer} already have full records"
    click.echo(message)


@click.command("seed")
@project_file_argument("path", paths.BIBLIOGRAPHY)
@click.pass_context
def seed_command(ctx, path: Path):
    """Load the starter bibliography (db/kratom_bibliography.tsv) as starter records.

    A starter record is marked is_seed=1 and is replaced by the full PubMed record when
    a sync or load brings it; it never overwrites a full record.
    """
    stats = load_seed(open_database(ctx), path)
    click.echo(
        f"{path}: {stats.records} papers: {stats.new} new, {stats.updated} updated, "
        f"{stats.unchanged} unchanged, {stats.kept_richer} already have full PubMed records"
    )


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--workers", type=click.IntRange(1, 64), default=DEFAULT_WORKERS, show_default=True,
              help="Processes that parse XML while this one writes (1: parse here). More help on machines with more cores.")
@click.option("--stage-mb", type=click.FloatRange(0), default=STAGE_BYTES / 1024**2, show_default=True,
              help="A file larger than this (uncompressed) is staged, then published in batches, so the "
                   "write-ahead log stays small; smaller files are stored in one transaction. Set above a file's "
                   "size, that file loads 10-18% faster (docs/benchmarks.md, \"Loading\"), and the log grows to the size of its rows.")
@quiet_option()
@click.pass_context
def load(ctx, files, workers: int, stage_mb: float, quiet: bool):
    """Load PubMed files: efetch or baseline XML (.xml, .xml.gz) or MEDLINE text (.nbib, .txt).

    Each file is stored whole or not at all; loading a file twice changes nothing.
    All files are tried; the exit code is 1 if any failed. Files are loaded one after
    another; within a file, --workers processes parse while this one writes.

    A large file is read into a staging file first, then published in batches, so the
    database's write-ahead log stays small. If that publishing is interrupted, `tracker load`
    (with or without files) finishes it first.
    """
    database = open_database(ctx)
    progress = Progress(quiet)
    finished = finish_interrupted_loads(
        database, progress=lambda s: progress.show(f"finishing an interrupted load: {s.records} records"))
    failed = 0
    for run, stats, why in finished:
        progress.done()
        if why:
            click.echo(f"Error: {why}", err=True)
            failed += 1
        else:
            click.echo(f"{run['path']}: finished the load interrupted on {run['started_at']}: {_load_summary(stats)}")
    if not files and not finished:
        raise click.UsageError("give one or more files to load (no interrupted load was waiting to be finished)")
    for path in files:
        try:
            stats = load_file(database, path, workers=workers, stage_bytes=int(stage_mb * 1024**2),
                              progress=lambda s, p=path: progress.show(f"{p}: {s.records} records read"))
        except PublishInterrupted as error:
            progress.done()
            click.echo(f"Error: {error}", err=True)
            failed += 1
            continue
        except TrackerError as error:
            progress.done()
            click.echo(f"Error: {error}; nothing from this file was stored.", err=True)
            failed += 1
            continue
        progress.done()
        click.echo(f"{path}: {_load_summary(stats)}")
    if failed:
        ctx.exit(1)


def _load_summary(stats) -> str:
    return (f"{stats.records} records: {stats.new} new, {stats.updated} updated, "
            f"{stats.unchanged + stats.kept_richer} unchanged, {stats.deleted} marked deleted")


@click.command("reparse")
@click.option("--vacuum", is_flag=True, help="Afterwards rebuild the database file, so the space that records "
              "rewritten in the current, smaller form no longer need goes back to the disk. Needs as much free "
              "disk again as the database takes, and no other writer meanwhile.")
@quiet_option()
@click.pass_context
def reparse_command(ctx, vacuum: bool, quiet: bool):
    """Re-derive every paper's columns from its stored raw record, without the network.

    Raw records an older version stored in an older form are rewritten in the current one."""
    database = open_database(ctx)
    progress = Progress(quiet)
    result = reparse(database, progress=lambda done, total: progress.show(f"reparsed {done:,} of {total:,} records"))
    progress.done()
    stats = result.stats
    click.echo(f"Reparsed {stats.records} records: {stats.updated} changed, {stats.unchanged} unchanged; "
               f"{result.recompressed} raw records rewritten in the current codec")
    if vacuum:
        before = db_path(ctx).stat().st_size
        vacuum_database(database)
        click.echo(f"Vacuumed: {before / 1e6:,.1f} MB -> {db_path(ctx).stat().st_size / 1e6:,.1f} MB")
    if result.failures:
        shown = result.failures[:10]
        more = f" (and {len(result.failures) - len(shown)} more)" if len(result.failures) > len(shown) else ""
        click.echo(f"Error: {len(result.failures)} stored records could not be parsed again and were left as they "
                   f"were: {'; '.join(shown)}{more}", err=True)
        ctx.exit(1)


def sync_options(fn):
    """The options of a sync, shared by `tracker sync` and `tracker run`."""
    for decorator in reversed((
        click.option("--search", "search_name", help="Run only this saved search (or name a --term search)."),
        click.option("--term", help="Run this PubMed query instead of the saved searches."),
        click.option("--since", help="Fetch records created or modified since this date (YYYY-MM-DD)."),
        click.option("--full", is_flag=True, help="Fetch everything the searches match, not just what changed."),
        searches_option,
        click.option("--batch-size", type=click.IntRange(1, 10000), default=FETCH_BATCH, show_default=True,
                     help="Records per efetch request."),
        click.option("--claims/--no-claims", "with_claims", default=True, show_default=True,
                     help="Also run each loaded canonical claim's own PubMed query (as search claim-<id>)."),
    )):
        fn = decorator(fn)
    return fn


def sync_mode(full: bool, since: str | None):
    """(mode, since date) from --full and --since."""
    if full and since:
        raise click.UsageError("--full and --since cannot be used together")
    since_date = parse_since(since)
    return ("full" if full else "since" if since_date else "incremental"), since_date


def sync_progress(progress: Progress):
    def show(summary):
        progress.show(
            f"{summary.search}: {summary.fetched} of {summary.found} records fetched "
            f"({summary.new} new, {summary.updated} updated), {summary.requests} requests"
        )
    return show


@click.command()
@sync_options
@quiet_option("No progress and no summary; errors only.")
@click.option("--offline-ok", is_flag=True,
              help="If PubMed cannot be reached, say so in one line and exit 0.")
@click.pass_context
def sync(ctx, search_name, term, since, full, searches_path, batch_size, with_claims, quiet, offline_ok):
    """Fetch PubMed records for the saved searches into the database.

    Incremental by default: records created or revised since the last successful run
    of each search (with a few days of overlap). Uses NCBI_EMAIL and NCBI_API_KEY
    from the environment, and TRACKER_EUTILS_URL to point at another E-utilities server.

    Exit codes: 0 done; 1 failed (batches already fetched are kept: run again to
    finish); 3 PubMed could not be reached; 75 another sync is running.
    """
    mode, since_date = sync_mode(full, since)
    database = open_database(ctx)
    searches = select_searches(database, searches_path, search_name, term, with_claims)
    if quiet:
        logging.getLogger("tracker").setLevel(logging.ERROR)
    progress = Progress(quiet)
    try:
        with sync_lock(db_path(ctx)):  # never two syncs at once (scripts/sync takes it too)
            summaries = sync_searches(database, EutilsClient(), searches, mode=mode, since=since_date,
                                      progress=sync_progress(progress), batch_size=batch_size)
    except PubMedUnreachable as error:
        progress.done()  # end the status line before the message
        if not offline_ok:
            raise
        click.echo(f"{error}; going on with the {database['papers'].count} papers the database holds.", err=True)
        return
    finally:
        progress.done()
    if not quiet:
        for s in summaries:
            click.echo(f"{s.search} ({s.mode}): {s.found} found, {s.fetched} fetched: {s.new} new, "
                       f"{s.updated} updated, {s.unchanged} unchanged; {s.requests} requests")
            for warning in s.warnings:
                click.echo(f"  note: {warning}")


@click.command("searches")
@searches_option
def searches_command(searches_path):
    """List the saved searches."""
    for search in load_searches(searches_path):
        click.echo(f"{search.name}: {search.term}")


@click.command()
@click.pass_context
def summary(ctx):
    """Counts of what the database holds."""
    click.echo(summary_text(open_database(ctx)))


COMMANDS = (init, seed_command, load, reparse_command, sync, searches_command, summary)
