"""`tracker link`, `tracker curate` and `tracker claims summary`: evidence for each claim."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .claims.store import active_claims
from .cli_context import open_database
from .errors import TrackerError
from .link import semantic as semantic_extra
from .link.curate import DEFAULT_CURATION, load_curation, read_curation
from .link.link import DEFAULT_TOP, link_claims


@click.command("link")
@click.option("--claim", "claim_ids", multiple=True, help="Link only this claim (repeatable). Default: all active claims.")
@click.option("--top", type=click.IntRange(1, 10000), default=DEFAULT_TOP, show_default=True,
              help="Candidate papers to keep per claim.")
@click.option("--semantic/--no-semantic", "use_semantic", default=None,
              help="Use semantic similarity (needs the 'semantic' extra). Default: when installed.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
@click.pass_context
def link(ctx, claim_ids, top, use_semantic, quiet):
    """Find the papers that bear on each canonical claim and store them in claim_papers.

    Candidates come from the claim's own PubMed search (synced as claim-<id>), full-text
    retrieval over titles, abstracts, MeSH and keywords with the claim's synonyms, and, with the
    semantic extra installed, embedding similarity. Each link keeps its scores, the methods that
    found it, its rank, the paper's evidence level and flags, and the abstract sentence that best
    matches the claim. Relinking adds and updates; it never deletes a link or a person's stance.
    """
    database = open_database(ctx)
    claims = active_claims(database)
    if not claims:
        raise TrackerError("no claims loaded; run `tracker claims load` first")
    if claim_ids:
        unknown = sorted(set(claim_ids) - {c.id for c in claims})
        if unknown:
            raise TrackerError(f"no active claim {', '.join(unknown)}; `tracker claims list` shows them")
        claims = [c for c in claims if c.id in claim_ids]
    if use_semantic and not semantic_extra.available():
        raise TrackerError("semantic similarity needs the extra: pip install -e '.[semantic]'")
    semantic = semantic_extra.SemanticIndex() if (use_semantic is not False and semantic_extra.available()) else None
    tty = not quiet and sys.stderr.isatty()

    def progress(number, total, claim_id):
        if tty:
            sys.stderr.write(f"\rlinking {number}/{total}: {claim_id:<40}")
            sys.stderr.flush()

    results = link_claims(database, claims, top=top, semantic=semantic, progress=progress)
    if tty:
        sys.stderr.write("\n")
    if not quiet:
        methods = "PubMed search, full text" + (", semantic" if semantic else "")
        click.echo(f"Linked {len(results)} claims ({methods}):")
        for stats in results:
            click.echo(f"  {stats.claim_id}: {stats.kept} papers kept of {stats.candidates} candidates, {stats.new} new")


@click.command("curate")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CURATION)
@click.pass_context
def curate(ctx, path):
    """Load a person's decisions (db/curation.csv): stance per claim and paper.

    Columns: claim_id, pmid, stance (supports, contradicts, mentions, unrelated), note,
    reviewer, date (YYYY-MM-DD). The file replaces what was loaded before. Decisions about papers
    not yet in the database wait for them; conflicting rows are reported and the latest applies.
    """
    decisions = read_curation(path)
    result = load_curation(open_database(ctx), decisions)
    click.echo(f"{result.decisions} decisions in {path}: {result.applied} about papers in the database, "
               f"{len(result.pending)} waiting for their paper"
               + ("" if result.changed else "; the same as already loaded, nothing changed"))
    for claim_id in result.unknown_claims:
        click.echo(f"  warning: {claim_id} is not a claim in the catalog; its decisions are kept", err=True)
    for conflict in result.conflicts:
        click.echo(f"  conflict: {conflict}", err=True)


@click.command("summary")
@click.option("--all", "show_all", is_flag=True, help="Include retired claims.")
@click.pass_context
def claims_summary(ctx, show_all):
    """Per claim: papers by stance and evidence level, the newest paper, and warning flags."""
    database = open_database(ctx)
    where = "" if show_all else "WHERE status = 'active'"
    for row in database.query(f"SELECT * FROM claim_summary {where} ORDER BY claim_id"):
        flags = [name.replace("_", " ") for name in
                 ("contradicted_by_human", "supported_only_preclinical", "relies_on_retracted", "no_evidence") if row[name]]
        click.echo(
            f"{row['claim_id']}: {row['papers']} papers; supports {row['supports']}, contradicts {row['contradicts']}, "
            f"mentions {row['mentions']}, unrelated {row['unrelated']}, undecided {row['undecided']}; "
            f"human {row['human']}, animal/in vitro {row['animal_or_in_vitro']}"
            + (f"; newest PMID {row['newest_pmid']} ({row['newest_date']})" if row["newest_pmid"] else "")
            + (f"  [{', '.join(flags)}]" if flags else "")
        )
