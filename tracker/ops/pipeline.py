"""The tracker's work, in order, declared once: `tracker run` (scripts/run) and `tracker job`
(scripts/sync) both run these stages.

create or upgrade -> starter bibliography -> claim catalog -> articles -> sync -> decisions
-> related papers (ELink) -> link (with suggestions) -> digest -> exports

- The setup stages load the project's own files (db/kratom_bibliography.tsv, db/claims.yml,
  db/articles, db/curation.csv). `tracker run` always runs them; the scheduled job only on a new
  database, so an existing one keeps what a person loaded into it.
- Linking, the digest and the exports are worth running only when something arrived: a search
  synced, or the setup stages ran.
- The digest and the exports belong to the scheduled job.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Callable

import sqlite_utils

from ..articles.source import article_id_for, expand_inputs, read_article, with_known
from ..articles.store import add_article
from ..claims.catalog import read_catalog
from ..claims.store import active_claims, classifier_for, load_claims, sentence_handler
from ..core import paths
from ..core.database import database_file
from ..core.errors import PubMedError, TrackerError
from ..core.files import open_output
from ..export.tables import Filters
from ..export.write import write_export
from ..link.curate import load_curation, read_curation
from ..link.link import link_claims
from ..link.related import find_related
from ..papers.seed import load_seed
from ..papers.sync import FETCH_BATCH, sync_each
from .digest import Digest, make_digest, write_digest_file


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # nothing could be synced, or a later stage broke
    PARTIAL = 2  # some searches failed; what was fetched is kept and the next run finishes them
    UNREACHABLE = 3  # PubMed could not be reached at all
    ALREADY_RUNNING = 75  # another sync holds the lock (EX_TEMPFAIL: try again later)


@dataclass
class SyncOptions:
    mode: str = "incremental"  # incremental | full | since
    since: object = None  # a date, with mode "since"
    batch_size: int = FETCH_BATCH
    progress: Callable | None = None


@dataclass
class Outcome:
    """What a run did; `status` is ok, partial or failed."""

    status: str = "running"
    searches_ok: int = 0
    failures: list[str] = field(default_factory=list)
    unreachable: str | None = None
    new: int = 0
    updated: int = 0
    new_links: int = 0
    digest: Digest | None = None
    digest_file: Path | None = None
    exports: list[Path] = field(default_factory=list)
    error: str | None = None

    @property
    def exit_code(self) -> ExitCode:
        return {"ok": ExitCode.OK, "partial": ExitCode.PARTIAL}.get(self.status, ExitCode.FAILED)


@dataclass
class Run:
    """What the stages are given, and what they report to."""

    db: sqlite_utils.Database
    client: object  # an EutilsClient
    searches: list
    say: Callable[..., None]  # say(line, problem=False): the terminal for `tracker run`, the log for the job
    setup: bool = True
    offline_ok: bool = False  # PubMed unreachable is said, not a failure (`tracker run` on a machine offline)
    scheduled: bool = False
    semantic: object = None
    sync: SyncOptions = field(default_factory=SyncOptions)
    digest_dir: Path | None = None
    exports_dir: Path | None = None
    outcome: Outcome = field(default_factory=Outcome)
    arrived: bool = False  # a search synced or the setup stages ran: worth linking


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Run], None]
    setup: bool = False  # loads the project's own files
    on_arrival: bool = False  # only when something arrived
    scheduled: bool = False  # only in the scheduled job


def _bibliography(run: Run) -> None:
    stats = load_seed(run.db, paths.BIBLIOGRAPHY)
    run.say(f"starter bibliography: {stats.new} new, {stats.kept_richer} already have full records")


def _catalog(run: Run) -> None:
    catalog = read_catalog(paths.CLAIMS)
    result = load_claims(run.db, catalog.claims, categories=catalog.categories)
    run.say(f"{len(catalog.claims)} claims in {paths.shown(paths.CLAIMS)}: {len(result.added)} new, "
            f"{len(result.changed)} changed, {len(result.retired)} retired")


def _articles(run: Run) -> None:
    classifier, _ = classifier_for(run.db)
    results = [add_article(run.db, with_known(read_article(source), known), article_id_for(source),
                           sentence_handler(classifier), known.get("note"))
               for source, known in expand_inputs([str(paths.ARTICLES)])]
    changed = [r for r in results if r.status != "unchanged"]
    run.say(f"{len(results)} articles in {paths.shown(paths.ARTICLES)}: {len(changed)} added or changed")


def _sync(run: Run) -> None:
    options = run.sync
    summaries, failures, unreachable = sync_each(run.db, run.client, run.searches, mode=options.mode,
                                                 since=options.since, progress=options.progress,
                                                 batch_size=options.batch_size)
    outcome = run.outcome
    if unreachable and run.offline_ok:
        failures = [f for f in failures if not f.endswith("not run, PubMed unreachable")]
    outcome.searches_ok, outcome.failures = len(summaries), failures
    outcome.new, outcome.updated = sum(s.new for s in summaries), sum(s.updated for s in summaries)
    outcome.unreachable = str(unreachable) if unreachable else None
    run.arrived = run.arrived or bool(summaries)
    for s in summaries:
        run.say(f"{s.search} ({s.mode}): {s.found} found, {s.fetched} fetched, {s.new} new, {s.updated} updated, "
                f"{s.unchanged} unchanged, {s.requests} requests")
    for failure in failures if not unreachable else []:
        run.say(f"sync failed: {failure}", problem=True)
    if unreachable:
        run.say(f"{unreachable}; going on with the {run.db['papers'].count} papers the database holds", problem=True)


def _decisions(run: Run) -> None:
    path = decisions_file(run.db)
    if not path.exists() and paths.CURATION.exists():  # a new database elsewhere starts from the project's
        shutil.copyfile(paths.CURATION, path)
        run.say(f"started {path} from the project's decisions ({paths.shown(paths.CURATION)})")
    result = load_curation(run.db, read_curation(path))
    run.say(f"{result.decisions} decisions in {paths.shown(path)}: {result.applied} about papers in the "
            f"database, {len(result.pending)} waiting for their paper")


def decisions_file(db: sqlite_utils.Database) -> Path:
    """The database's decisions file (paths.curation_file); the project's for an in-memory database."""
    where = database_file(db)
    return paths.curation_file(where) if where else paths.CURATION


def _related(run: Run) -> None:
    try:
        stats = find_related(run.db, run.client)
    except PubMedError as error:  # the links can wait for the next run; what the sync brought still links
        run.say(f"related papers (ELink) not fetched: {error}", problem=True)
        return
    run.arrived = run.arrived or bool(stats.links)
    run.say(f"related papers (ELink): {stats.links} links from {stats.sources} decided papers, {stats.fetched} new "
            "records")


def _link(run: Run) -> None:
    claims = active_claims(run.db)
    if claims:
        links = link_claims(run.db, claims, semantic=run.semantic)
        run.outcome.new_links = sum(r.new for r in links)
        run.say(f"linked {len(links)} claims: {sum(r.kept for r in links)} links, {run.outcome.new_links} new; "
                "stances suggested for the undecided ones")


def _digest(run: Run) -> None:
    digest = run.outcome.digest = make_digest(run.db)
    run.say(f"digest {digest.id}: {digest.new_links} new links, {digest.retracted} newly retracted")
    if run.digest_dir and not digest.empty:
        run.outcome.digest_file = write_digest_file(digest, run.digest_dir)
        run.say(f"digest written to {run.outcome.digest_file}")


EXPORTS = (("links.csv", "links", "csv"), ("claims.csv", "claims", "csv"), ("report.md", "report", "md"),
           ("papers.bib", "papers", "bibtex"))


def write_exports(db: sqlite_utils.Database, folder: str | Path) -> list[Path]:
    """The files a git-scraping workflow commits: links and claims as CSV, the report, the citations."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, what, fmt in EXPORTS:
        with open_output(folder / name) as handle:
            write_export(db, what, fmt, Filters(), handle)
    return [folder / name for name, _, _ in EXPORTS]


def _exports(run: Run) -> None:
    if run.exports_dir:
        run.outcome.exports = write_exports(run.db, run.exports_dir)
        run.say(f"exports written to {run.exports_dir}")


STAGES = (
    Stage("bibliography", _bibliography, setup=True),
    Stage("catalog", _catalog, setup=True),
    Stage("articles", _articles, setup=True),
    Stage("sync", _sync),
    Stage("decisions", _decisions, setup=True),
    Stage("related", _related),
    Stage("link", _link, on_arrival=True),
    Stage("digest", _digest, on_arrival=True, scheduled=True),
    Stage("exports", _exports, on_arrival=True, scheduled=True),
)
# The first stage, creating or upgrading the database, is opening it (core/database.py `open_db`).


def run_pipeline(run: Run) -> Outcome:
    """Run the stages in order. A TrackerError stops the run and is recorded as its outcome."""
    outcome = run.outcome
    run.arrived = run.setup
    try:
        for stage in STAGES:
            if (stage.setup and not run.setup) or (stage.scheduled and not run.scheduled):
                continue
            if stage.on_arrival and not run.arrived:
                continue
            stage.run(run)
        if not outcome.failures:
            outcome.status = "ok"
        else:
            outcome.status = "partial" if outcome.searches_ok else "failed"
            outcome.error = outcome.unreachable or "; ".join(outcome.failures)
    except TrackerError as error:
        outcome.status, outcome.error = "failed", str(error)
    except BaseException as error:  # something unexpected (Ctrl-C too): recorded with its message, then it rises
        outcome.status = "failed"
        outcome.error = f"{type(error).__name__}: {error}" if str(error) else f"interrupted ({type(error).__name__})"
        raise
    return outcome
