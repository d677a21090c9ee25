"""Full-text index of the papers (SQLite FTS5) and the queries a claim makes of it.

`paper_search` indexes title, abstract, MeSH headings and keywords with the Porter stemmer;
its rowid is the PMID. Only papers whose content changed since they were indexed are
re-indexed, so keeping it current after a sync is cheap.
"""

from __future__ import annotations

import re

import sqlite_utils
from sqlite_utils.utils import chunks

from ..claims.catalog import Claim, normalise
from ..claims.match import STOP_WORDS
from ..core.schema import PAPER_SEARCH, PAPER_SEARCH_SOURCE

FTS_TABLE = PAPER_SEARCH  # declared in core/schema.py
STATE_TABLE = "paper_search_state"
# bm25() column weights: title, abstract, mesh, keywords
COLUMN_WEIGHTS = (4.0, 1.0, 2.0, 2.0)
QUERY_STOP = STOP_WORDS | {"kratom's", "mitragyna", "speciosa", "kratom", "like", "those", "similar", "such", "own",
                      "usually", "people", "serve", "can", "than"}


def refresh_index(db: sqlite_utils.Database) -> int:
    """Index new and changed papers; returns how many were (re)indexed.

    The store takes a paper out of the index before changing it (papers/store.py, unindex_papers),
    so a stale paper here has no entry. One indexed under other text (by an older version of the
    tracker) cannot be taken out safely: then the whole index is rebuilt from the papers.
    """
    stale = [
        (row[0], row[1])
        for row in db.execute(
            f"SELECT p.pmid, s.pmid IS NOT NULL FROM papers p LEFT JOIN {STATE_TABLE} s ON s.pmid = p.pmid "
            "WHERE s.content_hash IS NULL OR s.content_hash IS NOT p.content_hash"
        )
    ]
    if not stale:
        return 0
    with db.atomic():
        if any(indexed for _, indexed in stale):
            db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")
            db.execute(f"DELETE FROM {STATE_TABLE}")
            db.execute(f"INSERT INTO {STATE_TABLE} (pmid, content_hash) SELECT pmid, content_hash FROM papers")
            return len(stale)
        for chunk in chunks([pmid for pmid, _ in stale], 500):
            chunk = list(chunk)
            marks = ", ".join("?" for _ in chunk)
            db.execute(f"INSERT INTO {FTS_TABLE} (rowid, title, abstract, mesh, keywords) "
                       f"SELECT pmid, title, abstract, mesh, keywords FROM {PAPER_SEARCH_SOURCE} "
                       f"WHERE pmid IN ({marks})", chunk)
            db.execute(f"INSERT OR REPLACE INTO {STATE_TABLE} (pmid, content_hash) "
                       f"SELECT pmid, content_hash FROM papers WHERE pmid IN ({marks})", chunk)
    return len(stale)


def query_terms(claim: Claim) -> list[str]:
    """The claim's synonyms as phrases, and the content words of its statement."""
    terms = []
    for phrase in claim.synonyms:
        phrase = " ".join(re.findall(r"[\w-]+", normalise(phrase)))
        if phrase and phrase not in terms:
            terms.append(phrase)
    for word in re.findall(r"[\w-]+", normalise(claim.statement)):
        if len(word) > 2 and word not in QUERY_STOP and word not in terms:
            terms.append(word)
    return terms


def topic_query(claim: Claim) -> str:
    """The claim's topic terms as an FTS5 query: phrases quoted, a trailing '*' kept as a prefix search."""
    parts = []
    for term in claim.topic:
        prefix = term.endswith("*")
        words = re.findall(r"[\w]+", normalise(term.rstrip("*")))
        if words:
            parts.append('"' + " ".join(words) + '"' + ("*" if prefix else ""))
    return " OR ".join(parts)


def fts_query(terms: list[str]) -> str:
    """Each term quoted (so "mu-opioid" is not read as syntax) and joined with OR."""
    quoted = ['"' + t.replace('"', " ") + '"' for t in terms if t.strip()]
    return " OR ".join(quoted)


def search(db: sqlite_utils.Database, query: str, limit: int) -> list[tuple[int, float]]:
    """(pmid, score) best first; the score is -bm25, so higher is better."""
    if not query:
        return []
    weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
    rows = db.execute(
        f"SELECT rowid, -bm25({FTS_TABLE}, {weights}) AS score FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH ? ORDER BY bm25({FTS_TABLE}, {weights}) LIMIT ?",
        [query, limit],
    ).fetchall()
    return [(pmid, score) for pmid, score in rows]
