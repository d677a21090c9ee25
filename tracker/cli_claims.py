"""`tracker articles ...` and `tracker claims ...`: articles, their sentences and the claim catalog."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import yaml

from .articles.classify import SentenceClassifier
from .articles.source import article_id_for, fetch_article, read_article_file
from .articles.store import add_article
from .claims.catalog import DEFAULT_CLAIMS, load_catalog
from .claims.evaluate import DEFAULT_GOLD, evaluate, read_gold
from .claims.store import active_claims, load_claims
from .cli_context import open_database
from .errors import InputError, TrackerError

DEFAULT_ARTICLES = Path("db/articles")
ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
INDEX_FILE = "index.yml"  # in an articles folder: notes on each article, by id


def _classifier(database, echo=True) -> SentenceClassifier:
    """The loaded catalog; on a database without one, db/claims.yml is loaded first."""
    claims = active_claims(database)
    if not claims and DEFAULT_CLAIMS.exists():
        loaded = load_claims(database, load_catalog(DEFAULT_CLAIMS))
        if echo:
            click.echo(f"Loaded the claim catalog {DEFAULT_CLAIMS} ({len(loaded.added)} claims)", err=True)
        claims = active_claims(database)
    if not claims:
        raise TrackerError("no claims loaded; run `tracker claims load db/claims.yml` first")
    return SentenceClassifier(claims)


def _expand(inputs) -> list[tuple[str, str | None]]:
    """Inputs as (path or URL, note). A folder stands for its article files, with notes from its index.yml."""
    expanded = []
    for item in inputs:
        path = Path(item)
        if re.match(r"(?i)^[a-z][a-z0-9+.-]*://", item):
            expanded.append((item, None))
        elif path.is_dir():
            notes = {}
            index = path / INDEX_FILE
            if index.exists():
                try:
                    entries = yaml.safe_load(index.read_text(encoding="utf-8")) or {}
                except yaml.YAMLError as error:
                    raise InputError(f"{index}: not valid YAML: {error}") from None
                notes = {str(e["id"]): str(e.get("note") or "").strip() for e in entries.get("articles", [])}
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES
                           and p.name.lower() != "readme.md")
            if not files:
                raise InputError(f"{path}: no article files (.txt, .md, .html) in this folder")
            expanded.extend((str(p), notes.get(p.stem)) for p in files)
        else:
            expanded.append((item, None))
    return expanded


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
    classifier = _classifier(database)
    failures = 0
    for source, folder_note in _expand(inputs):
        try:
            is_url = bool(re.match(r"(?i)^[a-z][a-z0-9+.-]*://", source))
            document = fetch_article(source) if is_url else read_article_file(source)
            result = add_article(
                database, document, article_id or article_id_for(source), classifier, note or folder_note
            )
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
    database = open_database(ctx)
    rows = database.query(
        """SELECT a.id, a.current_version AS version, coalesce(a.title, '') AS title,
                  sum(s.label = 'claim') AS claims, count(s.id) AS sentences
           FROM articles a LEFT JOIN article_sentences s ON s.article_id = a.id AND s.is_current = 1
           GROUP BY a.id ORDER BY a.id"""
    )
    for row in rows:
        click.echo(f"{row['id']}  v{row['version']}  {row['sentences']} sentences, {row['claims']} claims  {row['title']}")


@articles.command("show")
@click.argument("article_id")
@click.option("--version", type=int, help="Show this version instead of the current one.")
@click.option("--label", type=click.Choice(["claim", "advice", "heading", "question", "other"]),
              help="Only sentences with this label.")
@click.pass_context
def articles_show(ctx, article_id, version, label):
    """Every sentence of an article with its offsets, label, hedging and matched claims."""
    database = open_database(ctx)
    article = list(database.query("SELECT * FROM articles WHERE id = ?", [article_id]))
    if not article:
        raise TrackerError(f"no article {article_id!r}; `tracker articles list` shows what is stored")
    version = version or article[0]["current_version"]
    sql = """SELECT s.*, (SELECT group_concat(claim_id || ' ' || printf('%.2f', score) || ' ' || method, '; ')
                           FROM (SELECT * FROM claim_mentions m WHERE m.sentence_id = s.id ORDER BY rank)) AS matched
             FROM article_sentences s WHERE article_id = ? AND version = ?"""
    params = [article_id, version]
    if label:
        sql += " AND label = ?"
        params.append(label)
    rows = list(database.query(sql + " ORDER BY position", params))
    if not rows:
        raise TrackerError(f"{article_id} has no version {version}")
    for row in rows:
        hedge = " hedged" if row["hedged"] else ""
        click.echo(f"[{row['start']}:{row['end']}] {row['label']}{hedge} {row['category'] or ''}".rstrip())
        click.echo(f"    {row['text']}")
        if row["matched"]:
            click.echo(f"    -> {row['matched']}")


@articles.command("evaluate")
@click.option("--gold", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_GOLD, show_default=True,
              help="Hand-labelled sentences (TSV).")
@click.option("--articles", "articles_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_ARTICLES, show_default=True, help="Folder holding the gold file's articles.")
@click.option("--claims", "claims_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CLAIMS,
              show_default=True)
@click.option("--errors/--no-errors", default=False, help="List every disagreement with the gold file.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
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


@click.group()
def claims():
    """The canonical claims (db/claims.yml) and the mentions matched to them."""


@claims.command("load")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CLAIMS)
@click.pass_context
def claims_load(ctx, path):
    """Load the claim catalog (idempotent) and match every stored sentence again.

    A claim no longer in the file is retired: kept with its mentions and links, not deleted.
    """
    catalog = load_catalog(path)
    result = load_claims(open_database(ctx), catalog)
    click.echo(
        f"{len(catalog)} claims in {path}: {len(result.added)} new, {len(result.changed)} changed, "
        f"{result.unchanged} unchanged, {len(result.revived)} back from retirement, {len(result.retired)} retired"
    )
    for claim_id in result.retired:
        click.echo(f"  retired: {claim_id}")
    click.echo(f"{result.sentences} sentences matched again: {result.claim_sentences} claims, "
               f"{result.unmatched} matching no canonical claim")


@claims.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include retired claims.")
@click.pass_context
def claims_list(ctx, show_all):
    """The canonical claims with how many article sentences make each."""
    database = open_database(ctx)
    where = "" if show_all else "WHERE c.status = 'active'"
    rows = database.query(
        f"""SELECT c.id, c.category, c.status, c.statement,
                   count(DISTINCT s.id) AS mentions, count(DISTINCT s.article_id) AS articles
            FROM claims c LEFT JOIN claim_mentions m ON m.claim_id = c.id
            LEFT JOIN article_sentences s ON s.id = m.sentence_id AND s.is_current = 1 AND s.label = 'claim'
            {where} GROUP BY c.id ORDER BY c.rowid"""
    )
    for row in rows:
        status = "" if row["status"] == "active" else f" [{row['status']}]"
        click.echo(f"{row['id']}{status} ({row['category']}): {row['mentions']} mentions in {row['articles']} articles")
        click.echo(f"    {row['statement']}")


@claims.command("unmatched")
@click.pass_context
def claims_unmatched(ctx):
    """Claim sentences that match no canonical claim: candidates for db/claims.yml."""
    database = open_database(ctx)
    rows = list(
        database.query(
            """SELECT s.id, s.text, s.category FROM article_sentences s
               WHERE s.label = 'claim' AND s.is_current = 1
                 AND NOT EXISTS (SELECT 1 FROM claim_mentions m WHERE m.sentence_id = s.id)
               ORDER BY s.article_id, s.position"""
        )
    )
    if not rows:
        click.echo("Every claim sentence matches a canonical claim.")
    for row in rows:
        click.echo(f"{row['id']} ({row['category'] or 'no category'}): {row['text']}")
