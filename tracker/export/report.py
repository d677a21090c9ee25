"""`tracker export report`: one Markdown section per claim, for a fact-check or a briefing.

Each section: the statement, where the articles make it (quoted), the verdict flags, the counts,
and the evidence table: the papers a person has judged first (contradicting, supporting, ...),
then the strongest undecided candidates. The date at the top is the database's (its last
change to papers, links or decisions), not the clock's, so unchanged data gives an identical report.
"""

from __future__ import annotations

from typing import TextIO

import sqlite_utils

from ..articles.store import article_name
from ..core.errors import InputError
from ..core.vocabulary import STANCE_RANK
from ..link.verdict import article_scorecard, claim_evidence, grade
from .formats import markdown_text
from .tables import Filters, claim_conditions, link_rows

FLAGS = (
    ("contradicted_by_human", "Contradicted by human evidence"),
    ("supported_only_preclinical", "Supported only by animal or in-vitro work"),
    ("relies_on_retracted", "Relies on a retracted paper"),
    ("no_evidence", "No paper linked or judged yet"),
)
DEFAULT_CANDIDATES = 10


def _claims(db: sqlite_utils.Database, filters: Filters) -> list[dict]:
    params: list = []
    conditions = claim_conditions(filters, params)
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    return list(db.query(f"SELECT * FROM (SELECT s.*, s.status AS claim_status FROM claim_summary s) {where} "
                         f"ORDER BY category, claim_id", params))


def _mentions(db: sqlite_utils.Database, claim_id: str) -> list[dict]:
    return list(db.query(
        "SELECT a.id AS article_id, a.title AS article_title, s.text AS sentence, "
        "coalesce(m.polarity, 'asserts') AS polarity FROM claim_mentions m "
        "JOIN article_sentences s ON s.id = m.sentence_id AND s.is_current = 1 JOIN articles a ON a.id = s.article_id "
        "WHERE m.claim_id = ? ORDER BY a.id, s.position", [claim_id]))


def _as_of(db: sqlite_utils.Database) -> str:
    # The newest change to the data, not the clock or the last sync: an unchanged database gives
    # an identical report, so a nightly export commits only real changes.
    row = db.execute("""SELECT max(coalesce((SELECT max(last_updated) FROM papers), ''),
                                   coalesce((SELECT max(first_linked) FROM claim_papers), ''),
                                   coalesce((SELECT max(loaded_at) FROM curation), ''))""").fetchone()
    synced = db.execute("SELECT count(*) FROM sync_runs WHERE status = 'ok'").fetchone()[0]
    when = f"data as of {row[0][:10]}" if row and row[0] else "no data yet"
    return when + ("" if synced else " (starter bibliography only: no PubMed sync yet)")


def _paper_cell(row: dict) -> str:
    return f"[{row['pmid']}]({row['pubmed_url']})"


def write_report(db: sqlite_utils.Database, filters: Filters, handle: TextIO,
                 candidates: int = DEFAULT_CANDIDATES, article: str | None = None) -> int:
    """Write the report; returns the number of claim sections. With `article`: that article's
    scorecard first, then a section for each claim it makes."""
    claims = _claims(db, filters)
    if article is not None:
        made = _write_scorecard(db, article, handle)
        claims = [c for c in claims if c["claim_id"] in made]
    else:
        handle.write("# What the published literature says about kratom claims\n\n")
    as_of = _as_of(db)
    handle.write(f"{as_of[0].upper() + as_of[1:]}. {len(claims)} claim{'s' if len(claims) != 1 else ''}. Stances are a person's decisions "
                 f"(db/curation.csv); \"undecided\" papers were found by the linker and await a reader. "
                 f"Evidence levels come from PubMed publication types and MeSH.\n")
    for claim in claims:
        handle.write(f"\n## {markdown_text(claim['statement'])}\n\n")
        handle.write(f"`{claim['claim_id']}` · {claim['category']}"
                     + (" · retired from the catalog" if claim["status"] != "active" else "") + "\n\n")
        graded = grade(claim_evidence(db, claim["claim_id"]))
        handle.write(f"**Verdict:** {graded.direction_label}" + (
            f"; certainty {graded.scale}. Why: {markdown_text(graded.why)}." if graded.certainty
            else (f" ({markdown_text(graded.lean)}: a suggestion, not a verdict)." if graded.lean else ".")) + "\n\n")
        flags = [label for name, label in FLAGS if claim[name]]
        handle.write("**Verdict flags:** " + ("; ".join(flags) if flags else "none") + "\n\n")
        handle.write(
            f"**Evidence:** {claim['papers']} papers: {claim['supports']} support, {claim['contradicts']} contradict, "
            f"{claim['mentions']} mention, {claim['unrelated']} unrelated, {claim['undecided']} undecided; "
            f"{claim['human']} human, {claim['animal_or_in_vitro']} animal or in vitro.\n\n")
        mentions = _mentions(db, claim["claim_id"])
        handle.write("**Where the articles make it (or deny it):**" + ("" if mentions else " no article sentence matched.") + "\n\n")
        for mention in mentions:
            source = (f"*{markdown_text(mention['article_title'])}*" if mention["article_title"]
                      else f"article `{mention['article_id']}`")
            opposite = " (says the opposite)" if mention["polarity"] == "denies" else ""
            handle.write(f"- {source}{opposite}: \u201c{markdown_text(mention['sentence'])}\u201d\n")
        if mentions:
            handle.write("\n")
        _write_evidence(db, claim["claim_id"], filters, handle, candidates)
    return len(claims)


def _write_scorecard(db: sqlite_utils.Database, article_id: str, handle: TextIO) -> set[str]:
    """The article against the literature: each claim it makes, with its verdict and basis."""
    found = list(db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
    if not found:
        known = ", ".join(r["id"] for r in db.query("SELECT id FROM articles ORDER BY id")) or "none yet"
        raise InputError(f"no article {article_id!r} (articles: {known})")
    article = found[0]
    handle.write(f"# {markdown_text(article_name(article))}: its claims against the published literature\n\n")
    source = article.get("source") or ""
    handle.write(f"Article `{article_id}`" + (f" · <{source}>" if source.startswith(("http://", "https://")) else "")
                 + (f" · added {article['first_added'][:10]}" if article.get("first_added") else "") + "\n\n")
    scorecard = article_scorecard(db, article_id)
    total = len(scorecard["claims"])
    tally = "; ".join(f"{n} {label}" for label, n, _ in scorecard["tally"])
    handle.write(f"## Scorecard\n\n{total} claim{'s' if total != 1 else ''}" + (f": {tally}." if tally else ".") + "\n\n")
    if total:
        handle.write("| Claim | The article | Direction | Certainty | Why |\n| --- | --- | --- | --- | --- |\n")
        for claim in scorecard["claims"]:
            verdict, graded = claim["verdict"], claim["verdict"].grade
            why = graded.why
            handle.write(f"| {'**Main claim:** ' if claim['main'] else ''}{markdown_text(claim['statement'])} "
                         f"(`{claim['claim_id']}`) | {'**denies it**' if claim['denies'] else 'asserts it'} | "
                         f"{graded.direction_label} | {graded.scale} | {markdown_text(why or verdict.basis)} |\n")
        handle.write("\nVerdicts rest on stances a person decided (db/curation.csv); the papers awaiting a decision "
                     "are counted apart.\n\n## The claims, one by one\n\n")
    return {claim["claim_id"] for claim in scorecard["claims"]}


def _stance_cell(row: dict) -> str:
    """A person's decision as it is; the tracker's suggestion marked as one, with its reason."""
    if row["stance"]:
        return row["stance"]
    if row["suggested_stance"]:
        return f"*suggested: {row['suggested_stance']}* ({markdown_text(row['suggestion_reason'] or '')})"
    return "undecided"


def _write_evidence(db, claim_id: str, filters: Filters, handle: TextIO, candidates: int) -> None:
    only_this = Filters(claims=(claim_id,), stances=filters.stances, levels=filters.levels, since=filters.since)
    rows = sorted(link_rows(db, only_this),
                  key=lambda r: (STANCE_RANK.get(r["stance"], 4), r["rank"] is None, r["rank"] or 0, r["pmid"]))
    decided = [r for r in rows if r["stance"]]
    undecided = [r for r in rows if not r["stance"] and r["relevant"] != 0]  # other candidates are left to the export
    shown = decided + undecided[:candidates]
    if not shown:
        handle.write("No papers" + (" match the filters" if filters.given() else "") + ".\n")
        return
    handle.write("| Paper | Year | Title | Evidence | Stance | Retracted | Bearing sentence |\n")
    handle.write("| --- | --- | --- | --- | --- | --- | --- |\n")
    for row in shown:
        handle.write("| " + " | ".join([
            _paper_cell(row), str(row["year"] or ""), markdown_text(row["title"] or ""), row["evidence_level"] or "",
            _stance_cell(row), "**retracted**" if row["retracted"] else "",
            markdown_text(row["suggestion_sentence"] or row["rationale"] or "")
            + (f" ({row['sentence_source']})" if row.get("sentence_source") else ""),
        ]) + " |\n")
    if len(undecided) > candidates:
        handle.write(f"\n{len(undecided) - candidates} more undecided candidates: "
                     f"`tracker export links --claim {claim_id}`.\n")
