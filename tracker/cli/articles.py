"""`tracker articles ...`: add articles, list them, show their sentences, measure the extractor."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..articles.source import article_id_for, expand_inputs, read_article
from ..articles.store import add_article
from ..claims.catalog import load_catalog
from ..claims.evaluate import evaluate, read_gold
from ..claims.store import (
    article_listing,
    article_sentences,
    classifier_for,
    sentence_handler,
)
from ..core import paths
from ..core.errors import TrackerError
from .common import json_option, open_database


@click.group()
def articles():
    """Articles about kratom: add them, list them, show their sentences, measure the extractor."""


@articles.command("add")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--id", "article_id", help="The article's id (only with a single input). Default: file name or URL slug.")
@click.option("--note", help="What is known of the article (origin, date); stored with it.")
@click.pass_context
def articles_add(ctx, inputs, article_id, note):
    """Add articles from files (.txt, .md, .html), folders of them, or http(s) URLs.

    Each article is split into blocks and sentences with exact offsets, every sentence is
    classified, and claims are matched to the catalog. An unchanged article changes nothing; a
    changed one becomes a new version (the old one stays queryable). A file that fails is
    reported and stores nothing; the others still go in.
    """
    if article_id and len(inputs) != 1:
        raise click.UsageError("--id names one article; give a single input with it")
    database = open_database(ctx)
    classifier, loaded = classifier_for(database)
    if loaded:
        click.echo(f"Loaded the claim catalog {paths.shown(paths.CLAIMS)} ({loaded} claims)", err=True)
    failures = 0
    for source, folder_note in expand_inputs(inputs):
        try:
            result = add_article(database, read_article(source), article_id or article_id_for(source),
                                 sentence_handler(classifier), note or folder_note)
        except TrackerError as error:
            failures += 1
            click.echo(f"Error: {error}", err=True)
            continue
        if result.status == "unchanged":
            click.echo(f"{result.article_id}: unchanged (version {result.version})")
        else:
            click.echo(
                f"{result.article_id}: {'added' if result.status == 'new' else 'new version'} v{result.version}: "
                f"{result.sentences} sentences, {result.claims} claims"
                + (f", {result.unmatched} matching no canonical claim" if result.unmatched else "")
            )
    if failures:
        raise TrackerError(f"{failures} of the inputs could not be added (see above); nothing of them was stored")


@articles.command("list")
@click.pass_context
def articles_list(ctx):
    """The articles with their current version and counts of claims."""
    for row in article_listing(open_database(ctx)):
        click.echo(f"{row['id']}  v{row['version']}  {row['sentences']} sentences, {row['claims']} claims  {row['title']}")


@articles.command("show")
@click.argument("article_id")
@click.option("--version", type=int, help="Show this version instead of the current one.")
@click.option("--label", type=click.Choice(["claim", "advice", "heading", "question", "other"]),
              help="Only sentences with this label.")
@click.pass_context
def articles_show(ctx, article_id, version, label):
    """Every sentence of an article with its offsets, label, hedging and matched claims."""
    _, rows = article_sentences(open_database(ctx), article_id, version, label)
    for row in rows:
        hedge = " hedged" if row["hedged"] else ""
        click.echo(f"[{row['start']}:{row['end']}] {row['label']}{hedge} {row['category'] or ''}".rstrip())
        click.echo(f"    {row['text']}")
        if row["matched"]:
            click.echo(f"    -> {row['matched']}")


@articles.command("evaluate")
@click.option("--gold", type=click.Path(dir_okay=False, path_type=Path), default=paths.GOLD,
              show_default=paths.shown(paths.GOLD), help="Hand-labelled sentences (TSV).")
@click.option("--articles", "articles_dir", type=click.Path(file_okay=False, path_type=Path),
              default=paths.ARTICLES, show_default=paths.shown(paths.ARTICLES),
              help="Folder holding the gold file's articles.")
@click.option("--claims", "claims_path", type=click.Path(dir_okay=False, path_type=Path), default=paths.CLAIMS,
              show_default=paths.shown(paths.CLAIMS))
@click.option("--errors/--no-errors", default=False, help="List every disagreement with the gold file.")
@json_option
def articles_evaluate(gold, articles_dir, claims_path, errors, as_json):
    """Measure claim detection and claim matching against the hand-labelled gold file."""
    report = evaluate(read_gold(gold), articles_dir, load_catalog(claims_path))
    figures = report.as_dict()
    if as_json:
        click.echo(json.dumps(figures, indent=2))
    else:
        click.echo(f"{figures['sentences']} gold sentences, {figures['segmentation_misses']} not found by segmentation")
        click.echo(f"claim detection: precision {figures['claim_precision']:.3f}, recall {figures['claim_recall']:.3f}")
        click.echo(f"advice: precision {figures['advice_precision']:.3f}, recall {figures['advice_recall']:.3f}")
        click.echo(f"all labels: accuracy {figures['label_accuracy']:.3f}; hedging agrees on {figures['hedge_agreement']:.3f}")
        click.echo(
            f"claim matching ({figures['claims_both_detected']} claims found by both): top match correct "
            f"{figures['claim_match_top1_accuracy']:.3f}; all matches: precision "
            f"{figures['claim_match_set_precision']:.3f}, recall {figures['claim_match_set_recall']:.3f}"
        )
    if errors:
        for line in report.errors:
            click.echo("  " + line)


COMMANDS = (articles,)
