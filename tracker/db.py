"""The database: opening it and bringing its shape up to date.

`ensure_schema` is idempotent and only ever adds (tables, columns, indexes), so an
older database upgrades in place and nothing stored is lost.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from .errors import TrackerError

DEFAULT_DB = "db/tracker.db"

# table -> (columns in order, primary key, indexes). Types are SQLite's.
SCHEMA: dict[str, tuple[dict, object, list]] = {
    "papers": (
        {
            "pmid": int,
            "kind": str,  # article | book
            "record_source": str,  # pubmed-xml | medline | seed
            "is_seed": int,  # 1 while only the starter bibliography row is known
            "title": str,
            "vernacular_title": str,
            "abstract": str,
            "abstract_sections": str,  # JSON [{label, nlm_category, text}]
            "journal": str,
            "iso_abbreviation": str,
            "issn": str,
            "volume": str,
            "issue": str,
            "pages": str,
            "pub_year": int,
            "pub_date": str,  # partial ISO: 2017 | 2017-06 | 2017-06-15
            "pub_date_text": str,  # as PubMed gave it (MedlineDate, Season, ...)
            "epub_date": str,
            "doi": str,
            "pmcid": str,
            "languages": str,  # JSON list
            "publication_types": str,  # JSON list
            "keywords": str,  # JSON list
            "medline_status": str,
            "publication_status": str,
            "publisher": str,
            "date_revised": str,
            "entrez_date": str,
            "retracted": int,
            "has_erratum": int,
            "deleted": int,  # PubMed issued a DeleteCitation for it
            "content_hash": str,
            "first_seen": str,
            "last_updated": str,
        },
        "pmid",
        [["pub_year"], ["pub_date"], ["journal"], ["doi"], ["retracted"], ["last_updated"], ["first_seen"]],
    ),
    "authors": (
        {
            "pmid": int,
            "role": str,  # author | editor
            "position": int,
            "last_name": str,
            "fore_name": str,
            "initials": str,
            "suffix": str,
            "collective_name": str,
            "affiliations": str,  # JSON list
            "orcid": str,
            "equal_contrib": int,
        },
        ("pmid", "role", "position"),
        [["last_name"], ["orcid"]],
    ),
    "mesh_headings": (
        {
            "pmid": int,
            "position": int,
            "descriptor_ui": str,
            "descriptor": str,
            "descriptor_major": int,
            "major_topic": int,
            "qualifiers": str,  # JSON [{ui, name, major}]
        },
        ("pmid", "position"),
        [["descriptor"]],
    ),
    "chemicals": (
        {"pmid": int, "position": int, "registry_number": str, "name": str, "ui": str},
        ("pmid", "position"),
        [["name"]],
    ),
    "comments_corrections": (
        {"pmid": int, "position": int, "ref_type": str, "ref_pmid": int, "ref_source": str, "note": str},
        ("pmid", "position"),
        [["ref_type"], ["ref_pmid"]],
    ),
    "raw_records": (
        {"pmid": int, "format": str, "compressed": bytes, "stored_at": str},
        "pmid",
        [],
    ),
    "searches": (
        {"name": str, "term": str, "description": str, "updated_at": str},
        "name",
        [],
    ),
    "search_results": (
        {"search": str, "pmid": int, "first_run_id": int, "last_run_id": int, "first_found": str, "last_found": str},
        ("search", "pmid"),
        [["pmid"]],
    ),
    "sync_runs": (
        {
            "id": int,
            "search": str,
            "term": str,
            "mode": str,  # full | incremental | since
            "window_start": str,
            "window_end": str,
            "windows": str,  # JSON: the date windows the query was split into
            "status": str,  # running | ok | failed
            "found": int,  # PMIDs the searches reported
            "fetched": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "requests": int,
            "warnings": str,
            "error": str,
            "started_at": str,
            "finished_at": str,
            "seconds": float,
        },
        "id",
        [["search", "status"]],
    ),
    "load_runs": (
        {
            "id": int,
            "path": str,
            "format": str,
            "status": str,
            "records": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "deleted": int,
            "error": str,
            "started_at": str,
            "finished_at": str,
        },
        "id",
        [],
    ),
    # ---- articles and their claims (tracker/articles, tracker/claims) ----
    "articles": (
        {
            "id": str,  # the file name without suffix, or a slug of the URL
            "title": str,
            "source": str,  # path or URL it was added from
            "note": str,  # what is known of it (db/articles/README.md)
            "content_type": str,
            "current_version": int,
            "versions": int,
            "first_added": str,
            "last_changed": str,
        },
        "id",
        [],
    ),
    "article_versions": (
        {
            "article_id": str,
            "version": int,
            "is_current": int,
            "content_hash": str,  # sha1 of the stored text
            "text": str,  # what offsets refer to: the file's text, or the main text of a page
            "content_type": str,
            "source": str,
            "added": str,
        },
        ("article_id", "version"),
        [["content_hash"]],
    ),
    "article_blocks": (
        {
            "id": str,  # <article>/v<version>/b<position>
            "article_id": str,
            "version": int,
            "position": int,
            "kind": str,  # title | summary | teaser | contents_item | heading | paragraph | list_item | closing | disclaimer
            "start": int,
            "end": int,
            "text": str,
            "heading_id": str,  # the heading the block falls under
        },
        "id",
        [["article_id", "version"]],
    ),
    "article_sentences": (
        {
            "id": str,  # <article>/v<version>/s<position>
            "article_id": str,
            "version": int,
            "is_current": int,
            "position": int,
            "block_id": str,
            "block_kind": str,
            "start": int,  # article_versions.text[start:end] == text
            "end": int,
            "text": str,
            "label": str,  # claim | advice | heading | question | other
            "reason": str,  # the rule that decided the label
            "hedged": int,
            "hedges": str,  # JSON list of the hedging words found
            "category": str,
        },
        "id",
        [["article_id", "version"], ["label"], ["category"]],
    ),
    "claims": (
        {
            "id": str,
            "statement": str,
            "category": str,
            "pubmed_query": str,
            "synonyms": str,  # JSON list
            "match_rules": str,  # JSON list of rules (lists of term groups)
            "status": str,  # active | retired (removed from db/claims.yml; kept with its links)
            "first_loaded": str,
            "last_loaded": str,
            "retired_at": str,
        },
        "id",
        [["category"], ["status"]],
    ),
    "claim_mentions": (
        {
            "sentence_id": str,
            "claim_id": str,
            "rank": int,  # 1 = the best match for the sentence
            "score": float,
            "method": str,  # rule | lexical
            "evidence": str,  # the terms that matched
            "matched_at": str,
        },
        ("sentence_id", "claim_id"),
        [["claim_id"]],
    ),
    # ---- links between claims and papers (tracker/link) ----
    "claim_papers": (
        {
            "claim_id": str,
            "pmid": int,
            "rank": int,  # 1 = the strongest candidate for the claim in the last run that kept it
            "score": float,  # reciprocal-rank fusion of the methods below
            "methods": str,  # JSON list: pubmed-search, fts, semantic, curated
            "pubmed_search": int,  # found by the claim's own PubMed query
            "fts_score": float,  # -bm25 over title, abstract, MeSH, keywords (higher is better)
            "fts_rank": int,
            "semantic_score": float,  # cosine similarity (all-MiniLM-L6-v2), when the extra is installed
            "semantic_rank": int,
            "rationale": str,  # the abstract (or title) sentence that best matches the claim
            "rationale_field": str,  # abstract | title
            "rationale_start": int,  # papers.<field>[start:end] == rationale
            "rationale_end": int,
            "evidence_level": str,
            "retracted": int,
            "has_erratum": int,
            "in_last_run": int,  # 0 when the last run ranked it below --top (kept, never deleted)
            "first_linked": str,
            "last_linked": str,
        },
        ("claim_id", "pmid"),
        [["pmid"], ["evidence_level"]],
    ),
    "paper_evidence": (
        {"pmid": int, "level": str, "basis": str, "content_hash": str},
        "pmid",
        [["level"]],
    ),
    "curation": (
        {
            "claim_id": str,
            "pmid": int,
            "stance": str,  # supports | contradicts | mentions | unrelated
            "note": str,
            "reviewer": str,
            "date": str,
            "line": int,  # line of db/curation.csv it came from
            "conflict": str,  # other decisions about the same pair in the file, if any
            "loaded_at": str,
        },
        ("claim_id", "pmid"),
        [["pmid"], ["stance"]],
    ),
    # ---- day-to-day operation (tracker/ops) ----
    "link_runs": (
        {"id": int, "started_at": str, "finished_at": str, "status": str, "claims": int, "links": int, "new_links": int},
        "id",
        [],
    ),
    "job_runs": (  # each scheduled job (scripts/sync): sync, link, digest, exports
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | ok | partial | failed
            "searches_ok": int,
            "searches_failed": str,  # JSON list of "name: error"
            "new": int,
            "updated": int,
            "new_links": int,
            "digest_id": int,
            "error": str,
        },
        "id",
        [],
    ),
    "digests": (
        {"id": int, "created_at": str, "since": str, "new_links": int, "retracted": int, "markdown": str},
        "id",
        [],
    ),
    "digest_items": (
        {
            "digest_id": int,
            "kind": str,  # new-link | retracted
            "claim_id": str,
            "pmid": int,
            "title": str,
            "evidence_level": str,
            "rank": int,
            "stance": str,
        },
        ("digest_id", "kind", "claim_id", "pmid"),
        [["claim_id"], ["pmid"]],
    ),
    "curation_rows": (  # every row of the loaded file, in order, so `tracker export curation` gives it back
        {"line": int, "claim_id": str, "pmid": int, "stance": str, "note": str, "reviewer": str, "date": str},
        "line",
        [],
    ),
}

FOREIGN_KEYS = {
    "authors": [("pmid", "papers", "pmid")],
    "mesh_headings": [("pmid", "papers", "pmid")],
    "chemicals": [("pmid", "papers", "pmid")],
    "comments_corrections": [("pmid", "papers", "pmid")],
    "raw_records": [("pmid", "papers", "pmid")],
    "search_results": [("search", "searches", "name"), ("pmid", "papers", "pmid")],
    "article_versions": [("article_id", "articles", "id")],
    "article_blocks": [("article_id", "articles", "id")],
    "article_sentences": [("article_id", "articles", "id"), ("block_id", "article_blocks", "id")],
    "claim_mentions": [("sentence_id", "article_sentences", "id"), ("claim_id", "claims", "id")],
}


def open_db(path: str | os.PathLike) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    path = Path(path)
    if str(path) != ":memory:":
        directory = path.parent if str(path.parent) else Path(".")
        if directory.exists() and not directory.is_dir():
            raise TrackerError(f"cannot create the folder for --db {path}: {directory} is a file (pass another --db)")
        if not directory.exists():
            try:
                directory.mkdir(parents=True)
            except OSError as error:
                raise TrackerError(
                    f"cannot create the folder for --db {path}: {error.strerror} (pass another --db)"
                ) from None
        if path.is_dir():
            raise TrackerError(f"--db {path} is a folder; give the path of a database file")
        if (path.exists() and not os.access(path, os.W_OK)) or not os.access(directory, os.W_OK):
            raise TrackerError(
                f"the database {path} is not writable (check its permissions, or pass another --db)"
            )
    try:
        db = sqlite_utils.Database(path)
        ensure_schema(db)
    except sqlite3.DatabaseError as error:
        raise TrackerError(f"cannot use {path} as the tracker database: {error}") from None
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables, columns and indexes. Safe to run any number of times."""
    if db.journal_mode != "wal" and not db.memory:
        db.enable_wal()  # readers (Datasette) keep reading while a sync writes
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA foreign_keys = OFF")  # children are written in the same transaction as papers
    for name, (columns, pk, indexes) in SCHEMA.items():
        table = db[name]
        if not table.exists():
            table.create(columns, pk=pk, foreign_keys=FOREIGN_KEYS.get(name))
        else:
            existing = set(table.columns_dict)
            for column, column_type in columns.items():
                if column not in existing:
                    table.add_column(column, column_type)
        for index in indexes:
            table.create_index(index, if_not_exists=True)
    if not db["claims"].detect_fts():  # search over claims in Datasette; triggers keep it current
        db["claims"].enable_fts(["statement", "synonyms", "category"], create_triggers=True, tokenize="porter")
    from .link.views import ensure_views  # the views read the tables above

    ensure_views(db)
