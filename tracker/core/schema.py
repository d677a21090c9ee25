"""The database's shape, in one place: tables, their columns and what each holds, indexes,
foreign keys, full-text tables, triggers and views.

`ensure_schema` creates whatever is missing and is idempotent. It only ever adds (tables, columns,
indexes) and re-creates views, so an older database upgrades in place and nothing stored is lost.
The stores derive their insert statements from these declarations (`insert_sql`, `to_row`), so a
column is written down once. Column descriptions are shown by Datasette (serve/datasette.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlite_utils

from .vocabulary import HUMAN, LEVELS, PRECLINICAL


class JSON:
    """A TEXT column holding JSON (a list or an object); None stays NULL."""


class JSON_OR_NULL:
    """A TEXT column holding a JSON list; an empty list is stored as NULL."""


class FLAG:
    """An INTEGER column holding 0 or 1 (a Python truth value becomes 0 or 1)."""


class LABELLED_SECTIONS:
    """A TEXT column holding an abstract's sections as JSON, NULL unless one of them has a label or
    category: an unlabelled abstract is its own only section, and its text is not kept twice."""


_SQLITE_TYPE = {JSON: str, JSON_OR_NULL: str, FLAG: int, LABELLED_SECTIONS: str}


@dataclass(frozen=True)
class Column:
    name: str
    type: type
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    pk: str | tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    # Columns the store fills (bookkeeping), as opposed to those a parser reads from a record.
    store_columns: frozenset[str] = field(default_factory=frozenset)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def create_spec(self) -> dict:
        return {c.name: _SQLITE_TYPE.get(c.type, c.type) for c in self.columns}


_TYPES = {"int": int, "text": str, "real": float, "blob": bytes, "json": JSON, "json-or-null": JSON_OR_NULL,
          "flag": FLAG, "labelled-sections": LABELLED_SECTIONS}


def _table(name, pk, columns: str, indexes=(), foreign_keys=(), store_columns=()) -> Table:
    """A table from a text table of its columns, one a line: name, type, what it holds."""
    parsed = []
    for line in columns.strip().splitlines():
        column, kind, *description = line.split(None, 2)
        text = description[0].replace("{levels}", ", ".join(LEVELS)) if description else ""
        parsed.append(Column(column, _TYPES[kind], text))
    return Table(name, tuple(parsed), pk, tuple(tuple(i) for i in indexes), tuple(foreign_keys),
                 frozenset(store_columns))


_PAPER_CHILD = [("pmid", "papers", "pmid")]

TABLES: dict[str, Table] = {t.name: t for t in (
    # ---- papers from PubMed (tracker/papers) ----
    _table("papers", "pmid", """
        pmid                int          PubMed identifier
        kind                text         article, or book (a book or chapter, such as LiverTox's)
        record_source       text         Where the stored record came from: pubmed-xml, medline or seed
        is_seed             int          1 while only the starter bibliography row is known
        title               text         Title as PubMed gives it (markup shown as text)
        vernacular_title    text         The title in the article's own language, when it is not English
        abstract            text         Abstract with its section labels
        abstract_sections   labelled-sections  A structured abstract's sections as JSON: [{label, nlm_category, text}]; NULL when no section has a label (the abstract is then the one section)
        journal             text         Journal title (a book's title for book records)
        iso_abbreviation    text         The journal's ISO abbreviation
        issn                text         The journal's ISSN
        volume              text         Volume
        issue               text         Issue
        pages               text         Pages as PubMed gives them
        pub_year            int          Publication year
        pub_date            text         Publication date with the precision the record has (YYYY, YYYY-MM or YYYY-MM-DD)
        pub_date_text       text         The date as PubMed wrote it (MedlineDate, Season, ...)
        epub_date           text         Date of electronic publication
        doi                 text         The article's own DOI (never one from its reference list)
        pmcid               text         PubMed Central id
        languages           json         Languages (JSON list)
        publication_types   json         PubMed publication types (JSON list)
        keywords            json         Author keywords (JSON list)
        medline_status      text         MEDLINE indexing status
        publication_status  text         ppublish, epublish or aheadofprint
        publisher           text         Publisher (books)
        date_revised        text         When PubMed last revised the record
        entrez_date         text         When the record entered PubMed
        retracted           int          1 if PubMed marks it retracted
        has_erratum         int          1 if an erratum is linked
        deleted             int          1 when PubMed issued a DeleteCitation for it
        content_hash        text         Hash of everything derived from the record; equal hashes mean nothing changed
        first_seen          text         When the tracker first stored it (UTC)
        last_updated        text         When its stored content last changed (UTC)
    """, indexes=[["pub_year"], ["pub_date"], ["journal"], ["doi"], ["retracted"], ["is_seed"], ["last_updated"],
                  ["first_seen"]],
        store_columns=["record_source", "is_seed", "deleted", "content_hash", "first_seen", "last_updated"]),
    _table("authors", ("pmid", "role", "position"), """
        pmid             int
        role             text         author or editor
        position         int          Place in the author list, from 1
        last_name        text
        fore_name        text
        initials         text
        suffix           text
        collective_name  text         A group author's name
        affiliations     json-or-null Affiliations (JSON list)
        orcid            text
        equal_contrib    flag         1 when marked as an equal contributor
    """, indexes=[["last_name"], ["orcid"]], foreign_keys=_PAPER_CHILD),
    _table("mesh_headings", ("pmid", "position"), """
        pmid              int
        position          int
        descriptor_ui     text
        descriptor        text         MeSH descriptor
        descriptor_major  flag         1 when the descriptor itself is a major topic
        major_topic       flag         1 when the descriptor or one of its qualifiers is a major topic (PubMed's asterisk)
        qualifiers        json-or-null Qualifiers as JSON: [{ui, name, major}]
    """, indexes=[["descriptor"]], foreign_keys=_PAPER_CHILD),
    _table("chemicals", ("pmid", "position"), """
        pmid             int
        position         int
        registry_number  text
        name             text
        ui               text
    """, indexes=[["name"]], foreign_keys=_PAPER_CHILD),
    _table("comments_corrections", ("pmid", "position"), """
        pmid        int
        position    int
        ref_type    text         RetractionIn, ErratumIn, CommentIn, ...
        ref_pmid    int          The linked record
        ref_source  text
        note        text
    """, indexes=[["ref_type"], ["ref_pmid"]], foreign_keys=_PAPER_CHILD),
    _table("raw_records", "pmid", """
        pmid        int
        format      text         pubmed-xml or medline
        compressed  blob         The record as received, compressed by its codec
        stored_at   text
        codec       text         How `compressed` is compressed: zstd-dict (zstd with the dictionary in raw_dictionaries the frame names), zstd, or NULL for zlib (what earlier versions wrote)
    """, foreign_keys=_PAPER_CHILD),
    _table("raw_dictionaries", "dict_id", """
        dict_id     int          The zstd dictionary's ID, which each frame compressed with it names
        dictionary  blob         The dictionary (`zstd -D` reads raw records with it)
        file        text         The file the tracker ships it as (tracker/papers/)
    """),
    _table("paper_evidence", "pmid", """
        pmid          int
        level         text         Kind of study: {levels}
        basis         text         What decided the level (publication type, MeSH heading, words, bibliography)
        content_hash  text         The paper's content hash when the level was decided
    """, indexes=[["level"]]),
    _table("paper_search_state", "pmid", """
        pmid          int
        content_hash  text
    """),
    # filled only with the semantic extra (link/semantic.py)
    _table("paper_embeddings", "pmid", """
        pmid          int
        model         text         The embedding model (all-MiniLM-L6-v2)
        content_hash  text
        vector        blob         The title and abstract's embedding, float32
    """),
    _table("text_embeddings", "digest", """
        digest  text  SHA-1 of the model and the text (a paper's sentence, a word, a claim)
        model   text  The embedding model (all-MiniLM-L6-v2)
        vector  blob  The text's embedding, float32
    """),
    _table("searches", "name", """
        name         text
        term         text
        description  text
        updated_at   text
    """),
    _table("search_results", ("search", "pmid"), """
        search        text
        pmid          int
        first_run_id  int
        last_run_id   int
        first_found   text
        last_found    text
    """, indexes=[["pmid"]], foreign_keys=[("search", "searches", "name"), ("pmid", "papers", "pmid")]),
    _table("sync_runs", "id", """
        id            int
        search        text
        term          text
        mode          text         full, incremental or since
        window_start  text
        window_end    text
        windows       text         JSON: the date windows the query was split into
        status        text         running, ok or failed
        found         int          PMIDs the searches reported
        fetched       int
        new           int
        updated       int
        unchanged     int
        requests      int
        warnings      text
        error         text
        started_at    text
        finished_at   text
        seconds       real
    """, indexes=[["search", "status"]]),
    _table("load_runs", "id", """
        id           int
        path         text
        format       text
        status       text
        records      int
        new          int
        updated      int
        unchanged    int
        deleted      int
        error        text
        started_at   text
        finished_at  text
        stage        text         While publishing a large file: the staging file it is published from
        published    int          While publishing: the last staged batch committed (a resumed load goes on after it)
    """),
    # ---- articles (tracker/articles) and their claims (tracker/claims) ----
    _table("articles", "id", """
        id               text         The file name without suffix, a slug of a page's title or URL, or --id
        title            text         As the article or db/articles/index.yml gives it
        source           text         Path or URL it was added from
        note             text         What is known of it (db/articles/index.yml)
        content_type     text
        current_version  int
        versions         int
        first_added      text
        last_changed     text
        url              text         The page's own address (canonical link, Open Graph, JSON-LD), or as index.yml gives it
        site             text         The site's name, else its host
        author           text         As the page names it
        published        text         Publication date the page gives (YYYY-MM-DD)
    """),
    _table("article_versions", ("article_id", "version"), """
        article_id    text
        version       int
        is_current    int
        content_hash  text         sha1 of the stored text
        text          text         What offsets refer to: the file's text, or the main text of a page
        content_type  text
        source        text
        added         text
    """, indexes=[["content_hash"]], foreign_keys=[("article_id", "articles", "id")]),
    _table("article_blocks", "id", """
        id          text         <article>/v<version>/b<position>
        article_id  text
        version     int
        position    int
        kind        text         title, summary, teaser, contents_item, heading, paragraph, list_item, closing or disclaimer
        start       int
        end         int
        text        text
        heading_id  text         The heading the block falls under
    """, indexes=[["article_id", "version"]], foreign_keys=[("article_id", "articles", "id")]),
    _table("article_sentences", "id", """
        id          text         <article>/v<version>/s<position>
        article_id  text
        version     int
        is_current  int
        position    int
        block_id    text
        block_kind  text
        start       int          Character offset where the sentence starts in the article's text
        end         int          Character offset where it ends
        text        text
        label       text         claim, advice, heading, question or other
        reason      text         The rule that decided the label
        hedged      int
        hedges      text         Hedging words found ("may", "potentially", ...)
        category    text
    """, indexes=[["article_id", "version"], ["label"], ["category"]],
        foreign_keys=[("article_id", "articles", "id"), ("block_id", "article_blocks", "id")]),
    _table("claims", "id", """
        id            text
        statement     text
        category      text
        pubmed_query  text
        synonyms      text         JSON list
        match_rules   text         JSON list of rules (lists of term groups)
        status        text         active, or retired (removed from db/claims.yml; kept with its links)
        first_loaded  text
        last_loaded   text
        retired_at    text
        topic         text         What a paper must be about to bear on the claim, for or against (JSON list of terms)
        findings      text         Kinds of result that support or contradict the claim (JSON), for suggestions
        opposite_rules text        JSON list of rules recognising a sentence that asserts the opposite
        subject       text         What every paper bearing on the claim names: the catalog's words for kratom and its alkaloids (JSON list)
        about         text         What the claim is about: people (its verdict rates animal and in-vitro work down as indirect) or mechanism (how kratom acts, which laboratory work answers directly)
        contrary      text         JSON list of claims a sentence asserting this one asserts too only where it states one of their findings
    """, indexes=[["category"], ["status"]]),
    _table("claim_categories", "name", """
        name         text
        position     int          Order in db/claims.yml: an unmatched sentence takes the first category whose words it has
        description  text
        words        text         JSON list of terms
    """),
    _table("claim_mentions", ("sentence_id", "claim_id"), """
        sentence_id  text
        claim_id     text
        rank         int          1 = the best match for the sentence
        score        real
        method       text         rule, opposite (a rule for the opposite assertion held) or lexical
        evidence     text         The terms that matched
        matched_at   text
        polarity     text         asserts, or denies: the sentence says the opposite of the claim
    """, indexes=[["claim_id"]],
        foreign_keys=[("sentence_id", "article_sentences", "id"), ("claim_id", "claims", "id")]),
    # ---- links between claims and papers (tracker/link) ----
    _table("claim_papers", ("claim_id", "pmid"), """
        claim_id           text
        pmid               int
        rank               int          1 = the strongest candidate for the claim in the last run that kept it
        score              real         Reciprocal-rank fusion of the methods below
        methods            text         JSON list: pubmed-search, fts, semantic, curated
        pubmed_search      int          Found by the claim's own PubMed query
        fts_score          real         -bm25 over title, abstract, MeSH, keywords (higher is better)
        fts_rank           int
        semantic_score     real         Cosine similarity (all-MiniLM-L6-v2), when the extra is installed
        semantic_rank      int
        rationale          text         The abstract (or title) sentence that best matches the claim
        rationale_field    text         abstract or title
        rationale_start    int          papers.<field>[start:end] == rationale
        rationale_end      int
        evidence_level     text
        retracted          int
        has_erratum        int
        in_last_run        int          0 when the last run ranked it below --top (kept, never deleted)
        first_linked       text
        last_linked        text
        relevant           int          1 when the paper is on the claim's topic (link/relevance.py); 0 for other candidates
        relevance_score    real         How strongly the paper is on the claim's topic; the basis says why
        relevance_basis    text         The topic terms found, and where (title, abstract, MeSH)
        rationale_section  text         The structured abstract's section the rationale is in (RESULTS, CONCLUSIONS, ...)
    """, indexes=[["pmid"], ["evidence_level"]]),
    # What the tracker suggests about a claim and a paper. Apart from decisions (curation): a
    # suggestion never changes one, and wherever both exist the decision is shown as the stance.
    _table("suggestions", ("claim_id", "pmid"), """
        claim_id          text
        pmid              int
        stance            text         Suggested: supports, contradicts, mentions or unrelated (a suggestion, not a decision)
        confidence        real         0 to 1: how sure the method is
        sentence          text         The sentence of the paper the suggestion rests on
        sentence_field    text         title or abstract
        sentence_start    int          papers.<field>[start:end] == sentence
        sentence_end      int          Where the sentence ends in the field
        sentence_section  text         The abstract section the sentence is in, when the abstract is structured
        reason            text         Why, in words: the kind of study, what it reports, what the claim says
        method            text         What produced it: catalog findings, the stance model, or the topic check
        inputs            text         Hash of the claim, the paper and the method; a change recomputes the suggestion
        computed_at       text         When the suggestion was computed (UTC)
    """, indexes=[["pmid"], ["stance"]]),
    # How a paper became a candidate beyond the linker's own methods: asked for (`tracker suggest
    # --pairs`), or found through PubMed's links from a paper a person decided on (ELink).
    _table("candidate_sources", ("claim_id", "pmid", "source", "via_pmid"), """
        claim_id  text
        pmid      int
        source    text         requested, related (ELink pubmed_pubmed) or cited-by (ELink pubmed_pubmed_citedin)
        via_pmid  int          The decided paper it was found from (0 when requested)
        found_at  text         When it was found (UTC)
    """, indexes=[["pmid"]]),
    # When each decided paper's PubMed links were last asked for (link/related.py).
    _table("related_checks", ("pmid", "linkname"), """
        pmid        int
        linkname    text         pubmed_pubmed (related) or pubmed_pubmed_citedin (citing)
        checked_at  text         When ELink was last asked (UTC)
        links       int          How many links it gave
    """),
    _table("curation", ("claim_id", "pmid"), """
        claim_id   text
        pmid       int
        stance     text         supports, contradicts, mentions or unrelated
        note       text
        reviewer   text
        date       text
        line       int          Line of db/curation.csv it came from
        conflict   text         Other decisions about the same pair in the file, if any
        loaded_at  text
    """, indexes=[["pmid"], ["stance"]]),
    # Every row of the loaded file, in order, so `tracker export curation` gives it back.
    _table("curation_rows", "line", """
        line      int
        claim_id  text
        pmid      int
        stance    text
        note      text
        reviewer  text
        date      text
    """),
    # ---- day-to-day operation (tracker/ops) ----
    _table("link_runs", "id", """
        id           int
        started_at   text
        finished_at  text
        status       text
        claims       int
        links        int
        new_links    int
    """),
    # each scheduled job (scripts/sync)
    _table("job_runs", "id", """
        id               int
        started_at       text
        finished_at      text
        status           text         running, ok, partial or failed
        searches_ok      int
        searches_failed  text         JSON list of "name: error"
        new              int
        updated          int
        new_links        int
        digest_id        int
        error            text
    """),
    _table("digests", "id", """
        id          int
        created_at  text
        since       text
        new_links   int
        retracted   int
        markdown    text
    """),
    _table("digest_items", ("digest_id", "kind", "claim_id", "pmid"), """
        digest_id         int
        kind              text         new-link or retracted
        claim_id          text
        pmid              int
        title             text
        evidence_level    text
        rank              int
        stance            text
        suggested_stance  text         The tracker's suggestion where no one decided (a suggestion, not a decision)
    """, indexes=[["claim_id"], ["pmid"]]),
)}

# Full-text tables. `paper_search` is kept current by link/index.py (its rowid is the PMID);
# the claims' index by triggers, for search over claims in Datasette.
# The index keeps no copy of the text (an external-content table): it reads it from `papers`
# and `mesh_headings` through the view below. So an indexed paper's entry must be removed
# (papers/store.py, unindex_papers) before its text changes, while the view still shows the
# text that was indexed.
PAPER_SEARCH = "paper_search"
PAPER_SEARCH_SOURCE = "paper_search_source"
PAPER_SEARCH_SQL = (
    f"CREATE VIRTUAL TABLE {PAPER_SEARCH} USING fts5(title, abstract, mesh, keywords, "
    f"content = '{PAPER_SEARCH_SOURCE}', content_rowid = 'pmid', "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
PAPER_SEARCH_SOURCE_SQL = """
SELECT p.pmid, coalesce(p.title, '') AS title, coalesce(p.abstract, '') AS abstract,
       coalesce((SELECT group_concat(m.descriptor, '; ') FROM
                 (SELECT descriptor FROM mesh_headings WHERE pmid = p.pmid ORDER BY position) m), '') AS mesh,
       coalesce(p.keywords, '') AS keywords
FROM papers p
"""  # keywords as their JSON array: the tokenizer reads the same words from it (and FTS5 cannot rebuild
# from a view that calls json_each)
CLAIMS_FTS = {"table": "claims", "columns": ["statement", "synonyms", "category"], "tokenize": "porter"}


# ---- views: computed at read time, so they are never stale ----

def _in(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


def _sentence_source(field: str, section: str) -> str:
    """Where a shown sentence comes from, in words: a title quoted for want of an abstract says so."""
    return (f"CASE WHEN {field} = 'title' AND coalesce(p.abstract, '') = '' THEN 'from the title; no abstract stored' "
            f"WHEN {field} = 'title' THEN 'from the title' "
            f"WHEN {field} = 'abstract' AND {section} IS NOT NULL THEN 'from the abstract, ' || {section} || ' section' "
            f"WHEN {field} = 'abstract' THEN 'from the abstract' END")


# Every link with its paper, evidence level, flags and the person's stance; plus decisions about
# pairs the linker did not propose (method "curated"). `sentence_source` says where the sentence a page
# shows comes from (the suggestion's sentence where there is one, else the rationale).
CLAIM_EVIDENCE = """
SELECT l.claim_id, c.statement AS claim, c.category, c.about AS claim_about, c.status AS claim_status, l.pmid, p.title, p.journal,
       p.pub_year, p.pub_date, p.doi, l.rank, l.score, l.methods, l.rationale, l.rationale_field,
       coalesce(e.level, l.evidence_level) AS evidence_level, e.basis AS evidence_basis,
       p.retracted, p.has_erratum, p.is_seed, cur.stance, cur.note AS stance_note, cur.reviewer,
       cur.date AS decided, cur.conflict, l.in_last_run, l.relevant, l.relevance_score, l.relevance_basis,
       l.rationale_section, s.stance AS suggested_stance, s.confidence AS suggestion_confidence,
       s.sentence AS suggestion_sentence, s.reason AS suggestion_reason, s.method AS suggestion_method,
       """ + _sentence_source("l.rationale_field", "l.rationale_section") + """ AS rationale_source,
       """ + _sentence_source("CASE WHEN s.sentence IS NOT NULL THEN s.sentence_field ELSE l.rationale_field END",
                              "CASE WHEN s.sentence IS NOT NULL THEN s.sentence_section ELSE l.rationale_section END") + """
       AS sentence_source
FROM claim_papers l
JOIN claims c ON c.id = l.claim_id
JOIN papers p ON p.pmid = l.pmid
LEFT JOIN paper_evidence e ON e.pmid = l.pmid
LEFT JOIN curation cur ON cur.claim_id = l.claim_id AND cur.pmid = l.pmid
LEFT JOIN suggestions s ON s.claim_id = l.claim_id AND s.pmid = l.pmid AND cur.stance IS NULL
UNION ALL
SELECT cur.claim_id, c.statement, c.category, c.about, c.status, cur.pmid, p.title, p.journal, p.pub_year, p.pub_date,
       p.doi, NULL, NULL, '["curated"]', NULL, NULL, e.level, e.basis, p.retracted, p.has_erratum, p.is_seed,
       cur.stance, cur.note, cur.reviewer, cur.date, cur.conflict, NULL, 1, NULL, 'decided by a person', NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM curation cur
JOIN claims c ON c.id = cur.claim_id
JOIN papers p ON p.pmid = cur.pmid
LEFT JOIN paper_evidence e ON e.pmid = cur.pmid
WHERE NOT EXISTS (SELECT 1 FROM claim_papers l WHERE l.claim_id = cur.claim_id AND l.pmid = cur.pmid)
"""


def _claim_summary() -> str:
    """One row per claim: counts by stance and level, human versus preclinical, newest paper, flags."""
    level_counts = ",\n       ".join(
        f"coalesce(sum(g.evidence_level = '{level}'), 0) AS \"{level}\"" for level in LEVELS
    )
    return f"""
WITH g AS (
    SELECT claim_id, pmid, evidence_level, stance, retracted, pub_date, suggested_stance, relevant,
           CASE WHEN evidence_level IN {_in(HUMAN)} THEN 'human'
                WHEN evidence_level IN {_in(PRECLINICAL)} THEN 'preclinical' ELSE 'other' END AS evidence_group
    FROM claim_evidence
)
SELECT c.id AS claim_id, c.statement, c.category, c.status,
       count(g.pmid) AS papers,
       coalesce(sum(g.stance = 'supports'), 0) AS supports,
       coalesce(sum(g.stance = 'contradicts'), 0) AS contradicts,
       coalesce(sum(g.stance = 'mentions'), 0) AS mentions,
       coalesce(sum(g.stance = 'unrelated'), 0) AS unrelated,
       coalesce(sum(g.pmid IS NOT NULL AND g.stance IS NULL), 0) AS undecided,
       coalesce(sum(g.relevant = 1), 0) AS relevant,
       coalesce(sum(g.stance IS NULL AND g.relevant = 1 AND g.suggested_stance = 'supports'), 0) AS suggested_supports,
       coalesce(sum(g.stance IS NULL AND g.relevant = 1 AND g.suggested_stance = 'contradicts'), 0)
           AS suggested_contradicts,
       coalesce(sum(g.evidence_group = 'human'), 0) AS human,
       coalesce(sum(g.evidence_group = 'preclinical'), 0) AS animal_or_in_vitro,
       {level_counts},
       (SELECT g2.pmid FROM g g2 WHERE g2.claim_id = c.id ORDER BY g2.pub_date DESC, g2.pmid DESC LIMIT 1)
           AS newest_pmid,
       max(g.pub_date) AS newest_date,
       coalesce(sum(g.stance = 'contradicts' AND g.evidence_group = 'human'), 0) > 0 AS contradicted_by_human,
       (coalesce(sum(g.stance = 'supports'), 0) > 0
        AND coalesce(sum(g.stance = 'supports' AND g.evidence_group != 'preclinical'), 0) = 0)
           AS supported_only_preclinical,
       coalesce(sum(g.stance = 'supports' AND g.retracted = 1), 0) > 0 AS relies_on_retracted,
       count(g.pmid) = 0 AS no_evidence
FROM claims c LEFT JOIN g ON g.claim_id = c.id
GROUP BY c.id
"""


VIEWS = {"claim_evidence": CLAIM_EVIDENCE, "claim_summary": _claim_summary()}


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables, columns, indexes and full-text tables; (re)create the views. Idempotent."""
    if db.journal_mode != "wal" and not db.memory:
        db.enable_wal()  # readers (Datasette) keep reading while a sync writes
    db.execute("PRAGMA foreign_keys = OFF")  # children are written in the same transaction as papers
    for table in TABLES.values():
        handle = db[table.name]
        if not handle.exists():
            handle.create(table.create_spec(), pk=table.pk, foreign_keys=list(table.foreign_keys) or None)
        else:
            existing = set(handle.columns_dict)
            for name, column_type in table.create_spec().items():
                if name not in existing:
                    handle.add_column(name, column_type)
        for index in table.indexes:
            handle.create_index(index, if_not_exists=True)
    _ensure_view(db, PAPER_SEARCH_SOURCE, PAPER_SEARCH_SOURCE_SQL)
    search_sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [PAPER_SEARCH]).fetchone()
    if search_sql is None or "content =" not in search_sql[0]:
        _create_paper_search(db, rebuild=search_sql is not None)
    if not db[CLAIMS_FTS["table"]].detect_fts():
        db[CLAIMS_FTS["table"]].enable_fts(CLAIMS_FTS["columns"], create_triggers=True,
                                           tokenize=CLAIMS_FTS["tokenize"])
    for name, sql in VIEWS.items():  # re-created when changed, so a new definition takes effect at once
        _ensure_view(db, name, sql)
    _upgrade_stored_values(db)


def _ensure_view(db: sqlite_utils.Database, name: str, sql: str) -> None:
    """Create the view, or replace it if its definition changed, in one transaction. An unchanged view
    is left alone: every command opens the database, and a view dropped and created again on each
    open would, between the two, be missing for a page being read (and took the write lock each time)."""
    wanted = f"CREATE VIEW {name} AS {sql.strip()}"
    stored = db.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", [name]).fetchone()
    if stored and stored[0] == wanted:
        return
    with db.atomic():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(wanted)


# What `PRAGMA user_version` says of a database: which of the changes below its stored values have had.
STORAGE_VERSION = 1


def _upgrade_stored_values(db: sqlite_utils.Database) -> None:
    """Rewrite values an older version stored in a form this one no longer writes, once per database."""
    if db.execute("PRAGMA user_version").fetchone()[0] >= STORAGE_VERSION:
        return
    with db.atomic():
        # 1: an unlabelled abstract's sections are no longer kept (LABELLED_SECTIONS): its text was there twice.
        db.execute("""UPDATE papers SET abstract_sections = NULL
            WHERE abstract_sections IS NOT NULL AND json_valid(abstract_sections) AND NOT EXISTS (
                SELECT 1 FROM json_each(papers.abstract_sections)
                WHERE coalesce(json_extract(value, '$.label'), '') != ''
                   OR coalesce(json_extract(value, '$.nlm_category'), '') != '')""")
        db.execute(f"PRAGMA user_version = {STORAGE_VERSION}")


def _create_paper_search(db: sqlite_utils.Database, rebuild: bool) -> None:
    """The full-text index; an older database's (which kept its own copy of the text) replaced and rebuilt."""
    with db.atomic():
        db.execute(f"DROP TABLE IF EXISTS {PAPER_SEARCH}")
        db.execute(PAPER_SEARCH_SQL)
        if rebuild:  # every paper indexed as it is now, and known to be
            db.execute(f"INSERT INTO {PAPER_SEARCH} ({PAPER_SEARCH}) VALUES ('rebuild')")
            db.execute("DELETE FROM paper_search_state")
            db.execute("INSERT INTO paper_search_state (pmid, content_hash) SELECT pmid, content_hash FROM papers")


# ---- rows: a value as its column stores it ----

# One encoder, built once: json.dumps with a keyword argument builds a new one on every call.
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _json(value):
    return None if value is None else _encode_json(value)


def _json_or_null(value):
    return _encode_json(value) if value else None


def _flag(value):
    return int(bool(value))


def _labelled_sections(sections):
    if not sections or not any(s.get("label") or s.get("nlm_category") for s in sections):
        return None
    return _encode_json(sections)


_CONVERT = {JSON: _json, JSON_OR_NULL: _json_or_null, FLAG: _flag, LABELLED_SECTIONS: _labelled_sections}


def stored_value(value, column_type):
    convert = _CONVERT.get(column_type)
    return convert(value) if convert else value


def insert_sql(table_name: str, verb: str = "INSERT") -> str:
    """`INSERT INTO table (every column) VALUES (?, ...)` in the declared order."""
    names = TABLES[table_name].names
    return "{} INTO [{}] ({}) VALUES ({})".format(
        verb, table_name, ", ".join(f"[{n}]" for n in names), ", ".join("?" for _ in names))


# Each table's column names, and the positions and converters of those that convert: rows are built
# per record in a load, so this is the loader's inner loop.
_ROW_SPEC = {table.name: (tuple(c.name for c in table.columns),
                          tuple((i, _CONVERT[c.type]) for i, c in enumerate(table.columns) if c.type in _CONVERT))
             for table in TABLES.values()}


def to_row(table_name: str, values: dict) -> tuple:
    """A dict keyed by column name as a tuple in the declared order; absent columns are NULL."""
    names, conversions = _ROW_SPEC[table_name]
    row = list(map(values.get, names))
    for position, convert in conversions:
        row[position] = convert(row[position])
    return tuple(row)
