"""`tracker claims ...`: the canonical claims (db/claims.yml), their mentions and their evidence."""

from __future__ import annotations

import click

from ..claims.catalog import read_catalog
from ..claims.propose import proposals
from ..claims.store import claim_listing, load_claims, unmatched_sentences
from ..core import paths
from ..link.summary import claim_summaries, summary_line
from ..link.verdict import claim_verdicts, verdicts_table
from .common import all_option, open_database, project_file_argument


@click.group()
def claims():
    """The canonical claims (db/claims.yml) and the mentions matched to them."""


@claims.command("load")
@project_file_argument("path", paths.CLAIMS)
@click.pass_context
def claims_load(ctx, path):
    """Load the claim catalog (idempotent) and match every stored sentence again.

    A claim no longer in the file is retired: kept with its mentions and links, not deleted.
    """
    catalog = read_catalog(path)
    result = load_claims(open_database(ctx), catalog.claims, categories=catalog.categories)
    click.echo(
        f"{len(catalog.claims)} claims in {path}: {len(result.added)} new, {len(result.changed)} changed, "
        f"{result.unchanged} unchanged, {len(result.revived)} back from retirement, {len(result.retired)} retired"
    )
    for claim_id in result.retired:
        click.echo(f"  retired: {claim_id}")
    click.echo(f"{result.sentences} sentences matched again: {result.claim_sentences} claims, "
               f"{result.unmatched} matching no canonical claim")


@claims.command("list")
@all_option
@click.pass_context
def claims_list(ctx, show_all):
    """The canonical claims with how many article sentences make each."""
    for row in claim_listing(open_database(ctx), include_retired=show_all):
        status = "" if row["status"] == "active" else f" [{row['status']}]"
        click.echo(f"{row['id']}{status} ({row['category']}): {row['mentions']} mentions in {row['articles']} articles")
        click.echo(f"    {row['statement']}")


@claims.command("unmatched")
@click.pass_context
def claims_unmatched(ctx):
    """Claim sentences that match no canonical claim: candidates for db/claims.yml."""
    rows = unmatched_sentences(open_database(ctx))
    if not rows:
        click.echo("Every claim sentence matches a canonical claim.")
    for row in rows:
        click.echo(f"{row['id']} ({row['category'] or 'no category'}): {row['text']}")


@claims.command("propose")
@click.pass_context
def claims_propose(ctx):
    """Propose catalog entries for claim sentences that match no canonical claim.

    The sentences are grouped by what they say (category and shared words); each group is printed
    as a db/claims.yml entry (statement, category, suggested PubMed query, match rule) with the
    sentences it stands for. Nothing is added: to accept one, edit it and paste it into
    db/claims.yml, then run `tracker claims load`.
    """
    found = proposals(open_database(ctx))
    if not found:
        click.echo("Every claim sentence matches a canonical claim; nothing to propose.")
        return
    click.echo(f"# {len(found)} proposed claims for db/claims.yml (under 'claims:'); review each before adding it.")
    for proposal in found:
        click.echo("")
        click.echo(proposal.as_yaml(), nl=False)


@claims.command("summary")
@all_option
@click.pass_context
def claims_summary(ctx, show_all):
    """Per claim: papers by stance and evidence level, the newest paper, and warning flags."""
    for row in claim_summaries(open_database(ctx), include_retired=show_all):
        click.echo(summary_line(row))


@click.command("verdicts")
@all_option
@click.pass_context
def verdicts(ctx, show_all):
    """Each claim's verdict as a Markdown table: its direction (supported, contradicted, mixed or not yet
    decided, from people's decisions only), the certainty of the evidence (high, moderate, low or very
    low, after GRADE) and why, step by step. An undecided claim shows what the suggestions lean to, as a
    suggestion."""
    click.echo(verdicts_table(claim_verdicts(open_database(ctx), include_retired=show_all)), nl=False)


COMMANDS = (claims, verdicts)
