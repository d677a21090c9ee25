"""`tracker articles ...`: add articles, list them, show their sentences, measure the extractor."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..articles.source import article_id_for, expand_inputs, read_article, with_known
from ..articles.store import add_article, article_id_of_source
from ..claims.catalog import read_catalog
from ..claims.evaluate import evaluate, per_claim_lines, read_gold
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
@click.option("--id", "article_id", help="The article's id (only with a single input). Default: the file name; for a "
              "page, a slug of its title (else of its URL); the same id again for a source added before.")
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
    for source, known in expand_inputs(inputs):
        try:
            document = with_known(read_article(source), known)
            chosen = article_id or article_id_of_source(database, source) or article_id_for(source, document)
            result = add_article(database, document, chosen, sentence_handler(classifier), note or known.get("note"))
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
@click.option("--gold", type=click.Path(dir_okay=False, path_type=Path),
              help="Hand-labelled sentences (TSV). Default: both gold sets (see below).")
@click.option("--articles", "articles_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding the gold file's articles (with --gold).")
@click.option("--claims", "claims_path", type=click.Path(dir_okay=False, path_type=Path), default=paths.CLAIMS,
              show_default=paths.shown(paths.CLAIMS))
@click.option("--errors/--no-errors", default=False, help="List every disagreement with the gold file, then per claim "
              "what was missed, over-read or reversed, and what that changes on each article's scorecard.")
@json_option
def articles_evaluate(gold, articles_dir, claims_path, errors, as_json):
    """Measure claim detection and claim matching against hand-labelled gold files.

    By default two sets: the five source articles (db/articles, tests/gold/article_sentences.tsv),
    which the catalog was written from, and the development articles in ../shared/articles-dev
    (tests/gold/dev_article_sentences.tsv), which it was not. "Matched right" counts a claim
    sentence only when every claim it makes is found with the right polarity and nothing else is.
    """
    if articles_dir and not gold:
        raise click.UsageError("--articles goes with --gold")
    catalog = read_catalog(claims_path)
    if gold:
        sets = {"given": (gold, articles_dir or paths.ARTICLES)}
    else:
        sets = {"five": (paths.GOLD, paths.ARTICLES), "dev": (paths.DEV_GOLD, paths.DEV_ARTICLES)}
        if not paths.DEV_ARTICLES.is_dir():
            click.echo(f"No development articles at {paths.DEV_ARTICLES}; measuring the five only.", err=True)
            del sets["dev"]
    results = {}
    for name, (gold_path, folder) in sets.items():
        report = evaluate(read_gold(gold_path), folder, catalog.claims, catalog.categories)
        results[name] = report
    if as_json:
        figures = {name: report.as_dict() for name, report in results.items()}
        click.echo(json.dumps(figures.get("given") or figures, indent=2))
        return
    titles = {"given": str(gold), "five": "The five source articles (the catalog was written from them)",
              "dev": "The development articles (../shared/articles-dev: written by others; the rules were tuned on them)"}
    for name, report in results.items():
        figures = report.as_dict()
        click.echo(titles[name])
        click.echo(f"  {figures['sentences']} gold sentences, {figures['segmentation_misses']} not found by segmentation")
        click.echo(f"  claim detection: precision {figures['claim_precision']:.3f}, recall {figures['claim_recall']:.3f}")
        click.echo(f"  advice: precision {figures['advice_precision']:.3f}, recall {figures['advice_recall']:.3f}")
        click.echo(f"  all labels: accuracy {figures['label_accuracy']:.3f}; "
                   f"hedging agrees on {figures['hedge_agreement']:.3f}")
        click.echo(
            f"  claim matching ({figures['claims_both_detected']} claims found by both): matched right "
            f"{figures['claim_matched_right']:.3f}; top match right {figures['claim_match_top1_accuracy']:.3f}; "
            f"all matches: precision {figures['claim_match_set_precision']:.3f}, "
            f"recall {figures['claim_match_set_recall']:.3f}; polarity reversed {figures['polarity_reversals']}"
        )
        reading = figures["reading_ms_per_page"]
        click.echo(f"  reading a page (segment and classify): {reading['mean']:.0f} ms on average, "
                   f"{reading['longest']:.0f} ms the longest")
        if errors:
            for line in report.errors:
                click.echo("    " + line)
            lines = per_claim_lines(report)
            click.echo("  per claim (missed: a sentence makes it and it was not found; over-read: credited to a "
                       "sentence that does not make it)" if lines else "  every claim read right")
            for line in lines:
                click.echo("    " + line)


COMMANDS = (articles,)
