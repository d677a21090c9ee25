"""The exported tables: their columns (stable, documented) and the rows, filtered.

Each table is a SELECT over the same views Datasette shows, so an export and the browser never
disagree. Columns are listed here once, with what they mean; docs/exports.md is generated from
this list (`tracker docs exports`), and a test checks the two agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterator

import sqlite_utils

from ..core.errors import TrackerError
from ..core.urls import doi_url, pubmed_url
from ..core.vocabulary import LEVELS, STANCES
from ..link.verdict import evidence_counts, grade
from ..papers.store import mesh_descriptors

UNDECIDED = "undecided"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | int | float | flag | list | url
    description: str


def _columns(table: str) -> tuple[Column, ...]:
    """Columns from a table of lines: name, kind, then what it means ({levels} and {stances} filled in)."""
    columns = []
    for line in table.strip().splitlines():
        name, kind, description = line.split(None, 2)
        columns.append(Column(name, kind, description.format(levels=", ".join(LEVELS), stances=", ".join(STANCES))))
    return tuple(columns)


_PAPER_LINKS = _columns("""
    pubmed_url                  url    The paper on PubMed.
    doi                         text   The article's own DOI (never one from its reference list); empty when PubMed gives none.
    doi_url                     url    The DOI as a link (https://doi.org/...).
""")

LINK_COLUMNS = _columns("""
    claim_id                    text   The canonical claim's id (db/claims.yml).
    claim                       text   The claim's statement.
    category                    text   The claim's category.
    pmid                        int    PubMed id of the paper.
    title                       text   The paper's title, markup removed.
    journal                     text   The journal (or book) title.
    year                        int    Publication year.
    pub_date                    text   Publication date, as precise as PubMed gives it: YYYY, YYYY-MM or YYYY-MM-DD.
    evidence_level              text   Kind of study: {levels}.
    evidence_basis              text   What decided the evidence level (publication type, MeSH heading, words, bibliography).
    stance                      text   A person's decision from db/curation.csv: {stances}; empty while undecided.
    stance_note                 text   The reviewer's note on the decision.
    reviewer                    text   Who decided.
    decided                     text   Date of the decision (YYYY-MM-DD).
    conflict                    text   Other, different decisions about the same claim and paper in the file; the latest applies.
    rationale                   text   The sentence of the abstract (or the title) that bears most on the claim.
    rationale_field             text   Where the rationale comes from: abstract or title.
    score                       float  Fused retrieval score (reciprocal-rank fusion of the methods); higher is closer.
    rank                        int    The paper's rank among the claim's candidates (1 = strongest); empty for decisions the linker did not propose.
    methods                     list   How the paper was found: pubmed-search, fts, semantic, curated.
    pubmed_search               flag   1 when the claim's own PubMed query found the paper.
    fts_score                   float  Full-text relevance (-bm25 over title, abstract, MeSH, keywords); higher is closer.
    semantic_score              float  Cosine similarity of claim and paper embeddings, when the semantic extra ran.
    retracted                   flag   1 when PubMed marks the paper retracted.
    has_erratum                 flag   1 when PubMed links an erratum to the paper.
    starter_record              flag   1 while the paper is known only from the starter bibliography (a sync brings the full record).
    in_last_run                 flag   1 when the last `tracker link` kept the paper among the claim's top candidates.
    first_linked                text   When the link was first made (UTC).
""") + _PAPER_LINKS + _columns("""
    relevant                    flag   1 when the paper is on the claim's topic, for or against; 0 for other candidates.
    relevance_basis             text   The claim's topic terms found in the paper, and where.
    suggested_stance            text   The tracker's suggestion where no one decided: {stances}. A suggestion, not a decision.
    suggestion_confidence       float  The suggesting method's score, 0 to 1, for ordering suggestions: not a calibrated probability (pages say a suggestion in words, with its reason).
    suggestion_reason           text   Why the tracker suggests it, in words.
    suggestion_sentence         text   The sentence of the paper the suggestion rests on.
    suggestion_method           text   What made the suggestion: catalog findings, the topic check, or the learned stance model (learned model (stance-lr-1:digest)).
    rationale_section           text   The section of a structured abstract the rationale is in.
    rationale_source            text   Where the rationale comes from, in words: "from the abstract", "from the abstract, RESULTS section", "from the title", or "from the title; no abstract stored" (the paper has no abstract yet, as starter records do).
    sentence_source             text   Where the sentence the pages and the report show comes from (the suggestion's sentence where there is one, else the rationale), in the same words.
""")

CLAIM_COLUMNS = _columns("""
    claim_id                    text   The canonical claim's id.
    statement                   text   The claim's statement.
    category                    text   The claim's category.
    status                      text   active, or retired when it left db/claims.yml (kept with its links).
    direction                   text   Which way the decided evidence points: supported, contradicted, mixed, or undecided (from people's decisions only; retracted papers never count).
    certainty                   text   How much the decided evidence can bear, after GRADE: high, moderate, low or very low; empty while undecided.
    certainty_reasons           list   Each step of the certainty: where it started (the strongest decided design), each rating down (inconsistency, indirectness, imprecision), retracted papers set aside.
    suggestion_lean             text   For an undecided claim: what the tracker's suggestions lean to, said as a suggestion, not a verdict.
    decided                     int    Papers a person decided on (any stance).
    suggested                   int    Undecided papers on the claim's topic the tracker suggests support or contradict it.
    candidates                  int    Every paper linked to the claim or decided about.
    articles                    int    Articles whose current text makes the claim.
    mentions                    int    Sentences of those articles matched to the claim.
    papers                      int    Papers linked to the claim or decided about.
    supports                    int    Papers a person judged to support the claim.
    contradicts                 int    Papers a person judged to contradict it.
    mentions_only               int    Papers judged to mention the topic without bearing on the claim.
    unrelated                   int    Papers judged unrelated.
    undecided                   int    Linked papers no one has judged yet.
    human                       int    Papers of human evidence (systematic review, trial, observational study, case report or series).
    animal_or_in_vitro          int    Papers of animal or in-vitro work.
    newest_pmid                 int    The most recently published paper linked to the claim.
    newest_date                 text   Its publication date.
    contradicted_by_human       flag   1 when human evidence was judged to contradict the claim.
    supported_only_preclinical  flag   1 when all support comes from animal or in-vitro work.
    relies_on_retracted         flag   1 when a supporting paper is retracted.
    no_evidence                 flag   1 when no paper is linked or decided.
    pubmed_query                text   The claim's own PubMed query (synced as search claim-<id>).
""")

PAPER_COLUMNS = _columns("""
    pmid                        int    PubMed id.
    title                       text   Title, markup removed.
    authors                     list   Authors in order, as 'Last FM' (a group's name as it stands).
    journal                     text   Journal (or book) title.
    iso_abbreviation            text   The journal's ISO abbreviation.
    year                        int    Publication year.
    pub_date                    text   Publication date: YYYY, YYYY-MM or YYYY-MM-DD.
    volume                      text   Volume.
    issue                       text   Issue.
    pages                       text   Pages as PubMed gives them (or the electronic location).
    publication_types           list   PubMed publication types.
    evidence_level              text   Kind of study: {levels}.
    claims                      list   Claims the paper is linked to or decided about.
    retracted                   flag   1 when PubMed marks the paper retracted.
    has_erratum                 flag   1 when PubMed links an erratum.
    starter_record              flag   1 while known only from the starter bibliography.
    pmcid                       text   PubMed Central id, when there is one.
""") + _PAPER_LINKS + _columns("""
    abstract                    text   The abstract; labelled sections keep their labels ('BACKGROUND: ...'), one per line.
""")

MENTION_COLUMNS = _columns("""
    article_id                  text   The article (file name without suffix, or a slug of its URL).
    article_title               text   The article's title.
    article_source              text   Where the article was added from (path or URL).
    version                     int    The article's current version.
    sentence_id                 text   <article>/v<version>/s<position>.
    start                       int    Character offset where the sentence starts in the stored text.
    end                         int    Character offset where it ends (text[start:end] is the sentence).
    sentence                    text   The sentence as the article words it.
    label                       text   claim, advice, heading, question or other.
    hedged                      flag   1 when the sentence hedges (may, might, some say, ...).
    claim_id                    text   The canonical claim it was matched to.
    claim                       text   The claim's statement.
    category                    text   The claim's category.
    match_rank                  int    1 = the best-matching claim for the sentence.
    match_score                 float  Match score.
    match_method                text   rule (a curated match rule) or lexical (shared words).
    matched_terms               list   The terms that matched.
""")


@dataclass
class Filters:
    claims: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    stances: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    since: str | None = None  # publication date, YYYY[-MM[-DD]]
    include_retired: bool = False

    def given(self) -> list[str]:
        names = [("claims", "--claim"), ("categories", "--category"), ("stances", "--stance"),
                 ("levels", "--level"), ("since", "--since")]
        return [option for name, option in names if getattr(self, name)]


@dataclass
class Table:
    name: str
    columns: tuple[Column, ...]
    filters: tuple[str, ...]  # the options that apply
    description: str
    rows: object = field(repr=False, default=None)  # (db, Filters) -> Iterator[dict]


def check_filters(db: sqlite_utils.Database, table: Table, filters: Filters) -> None:
    """Refuse, before anything is written, a filter that does not apply or names nothing."""
    unusable = [option for option in filters.given() if option not in table.filters]
    if unusable:
        raise TrackerError(f"{', '.join(unusable)} does not apply to `export {table.name}` "
                           f"(it takes: {', '.join(table.filters) or 'no filters'})")
    known = {row[0]: row[1] for row in db.execute("SELECT id, status FROM claims")}
    unknown = [c for c in filters.claims if c not in known]
    if unknown:
        raise TrackerError(f"no claim {', '.join(repr(c) for c in unknown)}; `tracker claims list --all` shows the ids")
    categories = tuple(row[0] for row in db.execute(
        "SELECT name FROM claim_categories UNION SELECT category FROM claims ORDER BY 1"))  # as db/claims.yml has them
    for values, allowed, option in ((filters.categories, categories, "--category"),
                                    (filters.stances, STANCES + (UNDECIDED,), "--stance"),
                                    (filters.levels, LEVELS, "--level")):
        wrong = [v for v in values if v not in allowed]
        if wrong:
            raise TrackerError(f"{option} {', '.join(repr(v) for v in wrong)} is not one of: {', '.join(allowed)}")
    if filters.since and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", filters.since):
        raise TrackerError(f"--since {filters.since!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")


def _in(column: str, values, params: list) -> str:
    params.extend(values)
    return f"{column} IN ({', '.join('?' for _ in values)})"


def claim_conditions(filters: Filters, params: list, prefix: str = "") -> list[str]:
    conditions = []
    if filters.claims:
        conditions.append(_in(f"{prefix}claim_id", filters.claims, params))
    elif not filters.include_retired:
        conditions.append(f"{prefix}claim_status = 'active'")
    if filters.categories:
        conditions.append(_in(f"{prefix}category", filters.categories, params))
    return conditions


def _evidence_conditions(filters: Filters, params: list, prefix: str = "") -> list[str]:
    conditions = claim_conditions(filters, params, prefix)
    if filters.stances:
        decided = [s for s in filters.stances if s != UNDECIDED]
        either = []
        if decided:
            either.append(_in(f"{prefix}stance", decided, params))
        if UNDECIDED in filters.stances:
            either.append(f"{prefix}stance IS NULL")
        conditions.append("(" + " OR ".join(either) + ")")
    return conditions


def _since_condition(filters: Filters, params: list, column: str) -> list[str]:
    if not filters.since:
        return []
    # Compare at the paper's own precision: a paper dated only "2021" counts for --since 2021-06.
    params.append(filters.since)
    return [f"{column} >= substr(?, 1, length({column}))"]


def _level_condition(filters: Filters, params: list, column: str) -> list[str]:
    return [_in(column, filters.levels, params)] if filters.levels else []


def _where(conditions: list[str]) -> str:
    return ("WHERE " + " AND ".join(conditions)) if conditions else ""


def _with_urls(row: dict) -> dict:
    row["pubmed_url"] = pubmed_url(row["pmid"])
    row["doi_url"] = doi_url(row.get("doi"))
    return row


def _decode_lists(row: dict, columns: tuple[Column, ...]) -> dict:
    for column in columns:
        if column.kind == "list" and isinstance(row.get(column.name), str):
            row[column.name] = json.loads(row[column.name])
    return row


def link_rows(db: sqlite_utils.Database, filters: Filters) -> Iterator[dict]:
    params: list = []
    conditions = _evidence_conditions(filters, params, "ce.")
    conditions += _level_condition(filters, params, "ce.evidence_level")
    conditions += _since_condition(filters, params, "ce.pub_date")
    sql = f"""
        SELECT ce.claim_id, ce.claim, ce.category, ce.pmid, ce.title, ce.journal, ce.pub_year AS year, ce.pub_date,
               ce.evidence_level, ce.evidence_basis, ce.stance, ce.stance_note, ce.reviewer, ce.decided, ce.conflict,
               ce.rationale, ce.rationale_field, ce.score, ce.rank, ce.methods, l.pubmed_search, l.fts_score,
               l.semantic_score, ce.retracted, ce.has_erratum, ce.is_seed AS starter_record, ce.in_last_run,
               l.first_linked, ce.doi, ce.relevant, ce.relevance_basis, ce.suggested_stance,
               ce.suggestion_confidence, ce.suggestion_reason, ce.suggestion_sentence, ce.suggestion_method,
               ce.rationale_section, ce.rationale_source, ce.sentence_source
        FROM claim_evidence ce LEFT JOIN claim_papers l ON l.claim_id = ce.claim_id AND l.pmid = ce.pmid
        {_where(conditions)}
        ORDER BY ce.claim_id, ce.relevant = 0, ce.rank IS NULL, ce.rank, ce.pmid"""
    for row in db.query(sql, params):
        yield _decode_lists(_with_urls(row), LINK_COLUMNS)


def claim_rows(db: sqlite_utils.Database, filters: Filters) -> Iterator[dict]:
    params: list = []
    conditions = claim_conditions(filters, params, "")
    sql = """
        SELECT s.claim_id, s.statement, s.category, s.status AS claim_status,
               (SELECT count(DISTINCT st.article_id) FROM claim_mentions m
                  JOIN article_sentences st ON st.id = m.sentence_id AND st.is_current = 1
                 WHERE m.claim_id = s.claim_id) AS articles,
               (SELECT count(*) FROM claim_mentions m
                  JOIN article_sentences st ON st.id = m.sentence_id AND st.is_current = 1
                 WHERE m.claim_id = s.claim_id) AS mentions,
               s.papers, s.supports, s.contradicts, s.mentions AS mentions_only, s.unrelated, s.undecided, s.human,
               s.animal_or_in_vitro, s.newest_pmid, s.newest_date, s.contradicted_by_human,
               s.supported_only_preclinical, s.relies_on_retracted, s.no_evidence, c.pubmed_query
        FROM claim_summary s JOIN claims c ON c.id = s.claim_id"""
    sql = f"SELECT * FROM ({sql}) {_where(conditions)} ORDER BY claim_id"
    evidence: dict[str, list[dict]] = {}
    for link in db.query("SELECT * FROM claim_evidence"):
        evidence.setdefault(link["claim_id"], []).append(link)
    for row in db.query(sql, params):
        row["status"] = row.pop("claim_status")
        rows = evidence.get(row["claim_id"], [])
        graded = grade(rows)
        row.update(direction=graded.direction, certainty=graded.certainty, certainty_reasons=graded.reasons,
                   suggestion_lean=graded.lean or None, **evidence_counts(rows))
        yield row


def people_of(db: sqlite_utils.Database, pmids: list[int]) -> dict[int, dict[str, list[dict]]]:
    """Each paper's authors and editors in order, as stored rows: {pmid: {"author": [...], "editor": [...]}}."""
    found: dict[int, dict[str, list[dict]]] = {}
    marks = ", ".join("?" for _ in pmids)
    for row in db.query(f"SELECT * FROM authors WHERE pmid IN ({marks}) ORDER BY pmid, role, position", pmids):
        found.setdefault(row["pmid"], {}).setdefault(row["role"], []).append(row)
    return found


def author_label(author: dict) -> str:
    if author.get("collective_name"):
        return author["collective_name"]
    return " ".join(part for part in (author.get("last_name"), author.get("initials") or author.get("fore_name"),
                                      author.get("suffix")) if part)


def paper_records(db: sqlite_utils.Database, filters: Filters, batch: int = 500) -> Iterator[dict]:
    """Papers as stored (all columns), with `authors`, `editors` (rows), `mesh` (descriptors) and `claims` (ids), filtered."""
    params: list = []
    conditions = []
    linked = filters.claims or filters.categories or filters.stances
    if linked:
        inner = _evidence_conditions(filters, params, "ce.")
        conditions.append(f"EXISTS (SELECT 1 FROM claim_evidence ce WHERE ce.pmid = p.pmid AND {' AND '.join(inner)})")
    conditions += _since_condition(filters, params, "p.pub_date")
    sql = (f"SELECT p.*, e.level AS evidence_level FROM papers p LEFT JOIN paper_evidence e ON e.pmid = p.pmid "
           f"{_where(conditions + ['p.deleted IS NOT 1'])} ORDER BY p.pmid")
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    while chunk := cursor.fetchmany(batch):
        papers = [dict(zip(names, values)) for values in chunk]
        pmids = [p["pmid"] for p in papers]
        people = people_of(db, pmids)
        claims: dict[int, list[str]] = {}
        marks = ", ".join("?" for _ in pmids)
        for pmid, claim_id in db.execute(
            f"SELECT DISTINCT pmid, claim_id FROM claim_evidence WHERE pmid IN ({marks}) ORDER BY claim_id", pmids
        ):
            claims.setdefault(pmid, []).append(claim_id)
        mesh = mesh_descriptors(db, pmids)
        for paper in papers:
            paper["mesh"] = mesh.get(paper["pmid"], [])
            if filters.levels and paper["evidence_level"] not in filters.levels:
                continue
            paper["authors"] = people.get(paper["pmid"], {}).get("author", [])
            paper["editors"] = people.get(paper["pmid"], {}).get("editor", [])
            paper["claims"] = claims.get(paper["pmid"], [])
            yield paper


def paper_rows(db: sqlite_utils.Database, filters: Filters) -> Iterator[dict]:
    for paper in paper_records(db, filters):
        row = {column.name: paper.get(column.name) for column in PAPER_COLUMNS}
        row.update(year=paper["pub_year"], starter_record=paper["is_seed"],
                   authors=[author_label(a) for a in paper["authors"]],
                   publication_types=json.loads(paper["publication_types"] or "[]"))
        yield _with_urls(row)


def mention_rows(db: sqlite_utils.Database, filters: Filters) -> Iterator[dict]:
    params: list = []
    conditions = claim_conditions(filters, params, "")
    sql = f"""
        SELECT * FROM (
            SELECT a.id AS article_id, a.title AS article_title, a.source AS article_source, s.version,
                   s.id AS sentence_id, s.start, s."end", s.text AS sentence, s.label, s.hedged, m.claim_id,
                   c.statement AS claim, c.category, c.status AS claim_status, m.rank AS match_rank,
                   m.score AS match_score, m.method AS match_method, m.evidence AS matched_terms, s.position
            FROM claim_mentions m
            JOIN article_sentences s ON s.id = m.sentence_id AND s.is_current = 1
            JOIN articles a ON a.id = s.article_id
            JOIN claims c ON c.id = m.claim_id)
        {_where(conditions)}
        ORDER BY article_id, position, match_rank"""
    for row in db.query(sql, params):
        del row["claim_status"], row["position"]
        row["matched_terms"] = row["matched_terms"].split("; ") if row["matched_terms"] else []
        yield row


CLAIM_FILTERS = ("--claim", "--category")
EVIDENCE_FILTERS = CLAIM_FILTERS + ("--stance", "--level", "--since")
TABLES = {table.name: table for table in (
    Table("links", LINK_COLUMNS, EVIDENCE_FILTERS, "One row per claim-paper link (and per decision about a pair "
          "the linker did not propose).", link_rows),
    Table("claims", CLAIM_COLUMNS, CLAIM_FILTERS, "One row per canonical claim: where articles make it, counts by "
          "stance and evidence, flags.", claim_rows),
    Table("papers", PAPER_COLUMNS, EVIDENCE_FILTERS, "One row per paper; --claim, --category and --stance keep the "
          "papers linked to those claims.", paper_rows),
    Table("mentions", MENTION_COLUMNS, CLAIM_FILTERS, "One row per article sentence matched to a claim (current "
          "article versions).", mention_rows),
)}
