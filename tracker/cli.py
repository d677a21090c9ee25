"""The `tracker` command: a thin click layer over the plain functions of each stage."""

from __future__ import annotations

import logging
import sys
from datetime import date, datetime
from pathlib import Path

import click

from . import db as dbmod
from .cli_context import open_database
from .errors import PubMedUnreachable, TrackerError
from .load import load_file, reparse
from .ops.lock import sync_lock
from .pubmed.client import EutilsClient
from .pubmed.sync import FETCH_BATCH, sync_searches
from .searches import DEFAULT_SEARCHES, adhoc_search, claim_searches, load_searches
from .seed import DEFAULT_SEED, load_seed


class Progress:
    """One self-overwriting status line on a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._width = 0

    def show(self, text: str) -> None:
        if self.enabled:
            padding = " " * max(0, self._width - len(text))
            sys.stderr.write("\r" + text + padding)
            sys.stderr.flush()
            self._width = len(text)

    def done(self) -> None:
        if self.enabled and self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._width = 0


def _progress(quiet: bool) -> Progress:
    return Progress(enabled=not quiet and sys.stderr.isatty())


class TrackerGroup(click.Group):
    """Turns the project's own errors into one clear line and a meaningful exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TrackerError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)


@click.group(cls=TrackerGroup)
@click.option(
    "--db",
    "db_path",
    envvar="TRACKER_DB",
    default=dbmod.DEFAULT_DB,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The SQLite database (env TRACKER_DB).",
)
@click.version_option(package_name="kratom-claims-tracker")
@click.pass_context
def cli(ctx, db_path: Path):
    """Kratom claims tracker: what the PubMed literature says about claims made about kratom.

    Typical use: `tracker sync` to fetch PubMed records for the saved searches in
    db/searches.yml, then browse or export. Every command creates or upgrades the database.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"db_path": db_path}


_db = open_database


@cli.command()
@click.option("--seed/--no-seed", default=True, show_default=True, help="Also load the starter bibliography.")
@click.pass_context
def init(ctx, seed: bool):
    """Create or upgrade the database (every command does this too)."""
    database = _db(ctx)
    message = f"Database ready: {ctx.obj['db_path']}"
    if seed and DEFAULT_SEED.exists():
        stats = load_seed(database, DEFAULT_SEED)
        message += f"; starter bibliography: {stats.new} new, {stats.kept_richer} already have full records"
    click.echo(message)


@cli.command("seed")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_SEED)
@click.pass_context
def seed_command(ctx, path: Path):
    """Load the starter bibliography (db/kratom_bibliography.tsv) as starter records.

    A starter record is marked is_seed=1 and is replaced by the full PubMed record when
    a sync or load brings it; it never overwrites a full record.
    """
    stats = load_seed(_db(ctx), path)
    click.echo(
        f"{path}: {stats.records} papers: {stats.new} new, {stats.updated} updated, "
        f"{stats.unchanged} unchanged, {stats.kept_richer} already have full PubMed records"
    )


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@click.pass_context
def load(ctx, files, quiet: bool):
    """Load PubMed files: efetch or baseline XML (.xml, .xml.gz) or MEDLINE text (.nbib, .txt).

    Each file is stored whole or not at all; loading a file twice changes nothing.
    All files are tried; the exit code is 1 if any failed.
    """
    database = _db(ctx)
    progress = _progress(quiet)
    failed = 0
    for path in files:
        try:
            stats = load_file(
                database, path, progress=lambda s, p=path: progress.show(f"{p}: {s.records} records read")
            )
        except TrackerError as error:
            progress.done()
            click.echo(f"Error: {error}; nothing from this file was stored.", err=True)
            failed += 1
            continue
        progress.done()
        click.echo(
            f"{path}: {stats.records} records: {stats.new} new, {stats.updated} updated, "
            f"{stats.unchanged + stats.kept_richer} unchanged, {stats.deleted} marked deleted"
        )
    if failed:
        ctx.exit(1)


@cli.command("reparse")
@click.pass_context
def reparse_command(ctx):
    """Re-derive every paper's columns from its stored raw record, without the network."""
    stats = reparse(_db(ctx))
    click.echo(f"Reparsed {stats.records} records: {stats.updated} changed, {stats.unchanged} unchanged")


def _parse_since(value: str | None) -> date | None:
    if value is None:
        return None
    for pattern in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            pass
    raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint="--since")


@cli.command()
@click.option("--search", "search_name", help="Run only this saved search (or name a --term search).")
@click.option("--term", help="Run this PubMed query instead of the saved searches.")
@click.option("--since", help="Fetch records created or modified since this date (YYYY-MM-DD).")
@click.option("--full", is_flag=True, help="Fetch everything the searches match, not just what changed.")
@click.option("--searches", "searches_path", type=click.Path(path_type=Path), default=DEFAULT_SEARCHES,
              show_default=True, help="The saved searches file.")
@click.option("--batch-size", type=click.IntRange(1, 10000), default=FETCH_BATCH, show_default=True,
              help="Records per efetch request.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
@click.option("--offline-ok", is_flag=True,
              help="If PubMed cannot be reached, say so in one line and exit 0 (used by scripts/run).")
@click.option("--claims/--no-claims", "with_claims", default=True, show_default=True,
              help="Also run each loaded canonical claim's own PubMed query (as search claim-<id>).")
@click.pass_context
def sync(ctx, search_name, term, since, full, searches_path, batch_size, quiet, offline_ok, with_claims):
    """Fetch PubMed records for the saved searches into the database.

    Incremental by default: records created or revised since the last successful run
    of each search (with a few days of overlap). Uses NCBI_EMAIL and NCBI_API_KEY
    from the environment, and TRACKER_EUTILS_URL to point at another E-utilities server.

    Exit codes: 0 done; 1 failed (batches already fetched are kept: run again to
    finish); 3 PubMed could not be reached; 75 another sync is running.
    """
    if full and since:
        raise click.UsageError("--full and --since cannot be used together")
    since_date = _parse_since(since)
    mode = "full" if full else "since" if since_date else "incremental"
    if term:
        searches = [adhoc_search(term, search_name)]
    else:
        searches = load_searches(searches_path)
        if with_claims:
            searches += claim_searches(_db(ctx))
        if search_name:
            names = ", ".join(s.name for s in searches)
            searches = [s for s in searches if s.name == search_name]
            if not searches:
                raise TrackerError(f"no saved search named {search_name!r} in {searches_path} (have: {names})")
    if quiet:
        logging.getLogger("tracker").setLevel(logging.ERROR)
    database = _db(ctx)
    client = EutilsClient()
    progress = _progress(quiet)

    def show(summary):
        progress.show(
            f"{summary.search}: {summary.fetched} of {summary.found} records fetched "
            f"({summary.new} new, {summary.updated} updated), {summary.requests} requests"
        )

    try:
        with sync_lock(ctx.obj["db_path"]):  # never two syncs at once (scripts/sync takes it too)
            summaries = sync_searches(
                database, client, searches, mode=mode, since=since_date, progress=show, batch_size=batch_size
            )
    except PubMedUnreachable as error:
        progress.done()  # end the status line before the message
        if not offline_ok:
            raise
        papers = database["papers"].count
        click.echo(f"{error}; going on with the {papers} papers the database holds.", err=True)
        return
    finally:
        progress.done()
    if not quiet:
        for s in summaries:
            line = (
                f"{s.search} ({s.mode}): {s.found} found, {s.fetched} fetched: {s.new} new, "
                f"{s.updated} updated, {s.unchanged} unchanged; {s.requests} requests"
            )
            click.echo(line)
            for warning in s.warnings:
                click.echo(f"  note: {warning}")


@cli.command("searches")
@click.option("--searches", "searches_path", type=click.Path(path_type=Path), default=DEFAULT_SEARCHES,
              show_default=True)
def searches_command(searches_path):
    """List the saved searches."""
    for search in load_searches(searches_path):
        click.echo(f"{search.name}: {search.term}")


@cli.command()
@click.pass_context
def summary(ctx):
    """Counts of what the database holds."""
    database = _db(ctx)
    row = database.execute(
        "SELECT count(*), sum(is_seed), sum(retracted), sum(deleted) FROM papers"
    ).fetchone()
    click.echo(f"{row[0]} papers ({row[1] or 0} starter records awaiting a sync, "
               f"{row[2] or 0} retracted, {row[3] or 0} deleted by PubMed)")
    articles = database.execute(
        "SELECT count(DISTINCT article_id), count(*), coalesce(sum(label = 'claim'), 0) "
        "FROM article_sentences WHERE is_current = 1"
    ).fetchone()
    unmatched = database.execute(
        "SELECT count(*) FROM article_sentences s WHERE s.label = 'claim' AND s.is_current = 1 "
        "AND NOT EXISTS (SELECT 1 FROM claim_mentions m WHERE m.sentence_id = s.id)"
    ).fetchone()[0]
    catalog = database.execute(
        "SELECT coalesce(sum(status = 'active'), 0), coalesce(sum(status = 'retired'), 0) FROM claims"
    ).fetchone()
    click.echo(f"{articles[0]} articles ({articles[1]} sentences, {articles[2]} claims, {unmatched} matching no "
               f"canonical claim); {catalog[0]} canonical claims ({catalog[1]} retired)")
    for run in database.query(
        "SELECT search, max(finished_at) AS finished FROM sync_runs WHERE status = 'ok' GROUP BY search"
    ):
        click.echo(f"last successful sync of {run['search']}: {run['finished']}")


from .cli_claims import articles, claims  # noqa: E402  (commands of their own modules, added to the group here)

cli.add_command(articles)
cli.add_command(claims)

from .cli_link import claims_summary, curate, link  # noqa: E402

cli.add_command(link)
cli.add_command(curate)
claims.add_command(claims_summary)

from .cli_serve import serve  # noqa: E402

cli.add_command(serve)

from .cli_export import export  # noqa: E402

cli.add_command(export)

from .cli_ops import backup, digest, job, status  # noqa: E402

for command in (job, status, digest, backup):
    cli.add_command(command)
