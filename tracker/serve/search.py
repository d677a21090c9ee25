"""One search over claims, papers and articles, with the query widened by the catalog and MeSH.

"hepatotoxicity" is a synonym the catalog gives for liver injury; the papers on liver injury
are indexed under the MeSH heading "Chemical and Drug Induced Liver Injury" and say "liver
injury" or "hepatitis" in their abstracts. So a query is widened to the synonyms of every
catalog claim that lists it among its synonyms, then to the MeSH headings the
papers carry whose names hold any of those words; papers match by full text or by heading.
"""

from __future__ import annotations

import json
import re

import sqlite_utils

from ..core.schema import PAPER_SEARCH

LIMIT = 100


def _words(text: str) -> str:
    return " ".join(re.findall(r"[\w'-]+", text.lower()))


def _term_matches(term: str, query: str) -> bool:
    term = term.strip().lower()
    if term.endswith("*"):
        return query.startswith(term[:-1]) and len(term) > 3
    return _words(term) == query


def expand(db: sqlite_utils.Database, query: str) -> dict:
    """The query's words, the catalog synonyms it brings in, and the MeSH headings they name."""
    wanted = _words(query)
    terms: list[str] = [wanted] if wanted else []
    if not wanted:
        return {"terms": [], "synonyms": [], "mesh": []}
    synonyms: list[str] = []
    for row in db.query("SELECT synonyms FROM claims WHERE status = 'active'"):
        listed = [t for t in json.loads(row["synonyms"] or "[]") if isinstance(t, str)]
        if any(_term_matches(t, wanted) for t in listed):  # synonyms only: a topic term names the field, not the thing
            for synonym in json.loads(row["synonyms"] or "[]"):
                word = _words(synonym)
                if word and word not in terms and word not in synonyms and len(word) > 3:
                    synonyms.append(word)
    terms += synonyms
    mesh = []
    for (descriptor,) in db.execute("SELECT DISTINCT descriptor FROM mesh_headings"):
        name = _words(descriptor or "")
        if any(f" {t} " in f" {name} " for t in terms if len(t) > 3):
            mesh.append(descriptor)
    return {"terms": terms, "synonyms": synonyms, "mesh": sorted(mesh)}


def _fts_query(terms: list[str]) -> str:
    return " OR ".join('"' + t.replace('"', " ") + '"' for t in terms)


def search(db: sqlite_utils.Database, query: str, limit: int = LIMIT) -> dict:
    widened = expand(db, query)
    terms = widened["terms"]
    result = {"query": query, **widened, "claims": [], "papers": [], "articles": [], "paper_total": 0}
    if not terms:
        return result
    fts = _fts_query(terms)
    result["claims"] = list(db.query(
        "SELECT c.id, c.statement, c.category FROM claims_fts f JOIN claims c ON c.rowid = f.rowid "
        "WHERE claims_fts MATCH ? AND c.status = 'active' ORDER BY f.rank LIMIT 50", [fts]))
    found: dict[int, dict] = {}
    for row in db.query(
            f"SELECT p.pmid, p.title, p.journal, p.pub_year, p.retracted FROM {PAPER_SEARCH} s "
            f"JOIN papers p ON p.pmid = s.rowid WHERE {PAPER_SEARCH} MATCH ? ORDER BY s.rank", [fts]):
        found.setdefault(row["pmid"], {**row, "why": "words"})
    if widened["mesh"]:
        marks = ", ".join("?" for _ in widened["mesh"])
        for row in db.query(
                f"SELECT DISTINCT p.pmid, p.title, p.journal, p.pub_year, p.retracted FROM mesh_headings m "
                f"JOIN papers p ON p.pmid = m.pmid WHERE m.descriptor IN ({marks}) ORDER BY p.pub_year DESC",
                widened["mesh"]):
            found.setdefault(row["pmid"], {**row, "why": "MeSH"})
    result["paper_total"] = len(found)
    result["papers"] = list(found.values())[:limit]
    like = [f"%{t}%" for t in terms]
    conditions = " OR ".join("lower(s.text) LIKE ?" for _ in like)
    result["articles"] = list(db.query(
        f"SELECT a.id, a.title, a.note, count(*) AS sentences, min(s.text) AS example FROM article_sentences s "
        f"JOIN articles a ON a.id = s.article_id WHERE s.is_current = 1 AND ({conditions}) "
        f"GROUP BY a.id ORDER BY sentences DESC, a.id", like))
    return result
