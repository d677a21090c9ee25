"""Full-text index of the papers (SQLite FTS5) and the queries a claim makes of it.

`paper_search` indexes title, abstract, MeSH headings and keywords with the Porter stemmer;
its rowid is the PMID. Only papers whose content changed since they were indexed are
re-indexed, so keeping it current after a sync is cheap.
"""

from __future__ import annotations

import json
import re

import sqlite_utils
from sqlite_utils.utils import chunks

from ..claims.catalog import Claim, normalise
from ..claims.match import STOP_WORDS
from ..core.schema import PAPER_SEARCH
from ..papers.store import mesh_descriptors

FTS_TABLE = PAPER_SEARCH  # declared in core/schema.py
STATE_TABLE = "paper_search_state"
# bm25() column weights: title, abstract, mesh, keywords
COLUMN_WEIGHTS = (4.0, 1.0, 2.0, 2.0)
QUERY_STOP = STOP_WORDS | {"kratom's", "mitragyna", "speciosa", "kratom", "like", "those", "similar", "such", "own",
                      "usually", "people", "serve", "can", "than"}


def refresh_index(db: sqlite_utils.Database) -> int:
    """Index new and changed papers; returns how many were (re)indexed."""
    stale = [
        row[0]
        for row in db.execute(
            f"SELECT p.pmid FROM papers p LEFT JOIN {STATE_TABLE} s ON s.pmid = p.pmid "
            "WHERE s.content_hash IS NULL OR s.content_hash IS NOT p.content_hash"
        )
    ]
    if not stale:
        return 0
    with db.atomic():
        for chunk in chunks(stale, 500):
            chunk = list(chunk)
            marks = ", ".join("?" for _ in chunk)
            mesh = mesh_descriptors(db, chunk)
            db.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", chunk)
            rows = db.execute(
                f"SELECT pmid, title, abstract, keywords, content_hash FROM papers WHERE pmid IN ({marks})", chunk
            ).fetchall()
            db.conn.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, title, abstract, mesh, keywords) VALUES (?, ?, ?, ?, ?)",
                [
                    (pmid, title or "", abstract or "", "; ".join(mesh.get(pmid, [])),
                     "; ".join(json.loads(keywords or "[]")))
                    for pmid, title, abstract, keywords, _ in rows
                ],
            )
            db.conn.executemany(
                f"INSERT OR REPLACE INTO {STATE_TABLE} (pmid, content_hash) VALUES (?, ?)",
                [(pmid, digest) for pmid, _, _, _, digest in rows],
            )
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
