"""`tracker export`: claim-to-paper tables, citations, the report and the curation file."""

from __future__ import annotations

import click

from ..core.errors import TrackerError
from ..core.files import open_output
from ..export.citations import CITATION_FORMATS
from ..export.formats import TABULAR
from ..export.report import DEFAULT_CANDIDATES
from ..export.tables import EVIDENCE_FILTERS, TABLES, Filters, Table, check_filters
from ..export.write import FORMATS, WHAT, write_export
from .common import open_database, output_option


def _columns_help(name: str) -> str:
    table = TABLES[name]
    lines = [f"{table.name}: {table.description}", ""]
    lines += [f"  {c.name:<28} {c.description}" for c in table.columns]
    return "\n".join(lines)


@click.command("export")
@click.argument("what", type=click.Choice(WHAT))
@click.option("--format", "-f", "fmt", type=click.Choice(sorted(set(TABULAR + CITATION_FORMATS))),
              help="csv, tsv, json, jsonl or md; papers also ris, bibtex, csljson. "
                   "Default: csv (md for the report).")
@output_option("Where to write; '-' is standard output. A file appears only when complete.")
@click.option("--claim", "claims", multiple=True, help="Only this claim id (repeatable).")
@click.option("--category", "categories", multiple=True, help="Only claims of this category (repeatable).")
@click.option("--stance", "stances", multiple=True,
              help="Only links with this stance: supports, contradicts, mentions, unrelated, undecided (repeatable).")
@click.option("--level", "levels", multiple=True, help="Only papers of this evidence level, e.g. rct (repeatable).")
@click.option("--since", help="Only papers published on or after this date (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--all-claims", is_flag=True, help="Include claims retired from the catalog.")
@click.option("--bom", is_flag=True, help="Start the file with a UTF-8 byte order mark (for Excel).")
@click.option("--candidates", type=click.IntRange(0), default=DEFAULT_CANDIDATES, show_default=True,
              help="Report: undecided candidates shown per claim, after the judged papers.")
@click.option("--article", help="Report: one article's scorecard (its claims against the literature), then "
                                 "a section for each claim it makes.")
@click.option("--columns", "show_columns", is_flag=True, help="Describe the table's columns and stop.")
@click.pass_context
def export(ctx, what, fmt, output, claims, categories, stances, levels, since, all_claims, bom, candidates,
           article, show_columns):
    """Export the claim-to-paper mapping: WHAT is links, claims, papers, mentions, report or curation.

    \b
      links     one row per claim-paper link: claim, paper, evidence level, stance,
                rationale, scores, retraction flag, PubMed and DOI links
      claims    one row per claim: where articles make it, counts, verdict flags
      papers    one row per paper, or citations (--format ris, bibtex, csljson)
      mentions  one row per article sentence matched to a claim
      report    Markdown, one section per claim with its evidence table
      curation  the decisions file (db/curation.csv); `tracker curate` reads it back

    Columns are stable and described by `tracker export TABLE --columns` and docs/exports.md.
    Examples: `tracker export links --claim liver-protective -f csv -o liver.csv`,
    `tracker export papers --stance contradicts -f bibtex -o contradicting.bib`.
    """
    if show_columns:
        if what not in TABLES:
            raise TrackerError(f"--columns describes the tables ({', '.join(TABLES)}), not {what}")
        click.echo(_columns_help(what))
        return
    fmt = fmt or ("md" if what == "report" else "csv")
    if fmt not in FORMATS[what]:
        raise TrackerError(f"--format {fmt} is not offered for `export {what}` (use: {', '.join(FORMATS[what])})")
    if article and what != "report":
        raise TrackerError("--article is for `export report` (an article's scorecard)")
    if bom and fmt not in ("csv", "tsv"):
        raise TrackerError("--bom is for csv and tsv (what Excel opens)")
    filters = Filters(tuple(claims), tuple(categories), tuple(stances), tuple(levels), since, all_claims)
    database = open_database(ctx)
    table = TABLES.get(what) or Table(what, (), EVIDENCE_FILTERS if what == "report" else (), what)
    check_filters(database, table, filters)
    with open_output(output, bom=bom) as handle:
        count, noun = write_export(database, what, fmt, filters, handle, candidates=candidates, article=article)
    if output != "-":
        click.echo(f"Wrote {count} {noun} to {output} ({fmt})", err=True)


COMMANDS = (export,)
