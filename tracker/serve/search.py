"""One search over claims, papers and articles, with the query widened by the catalog and MeSH.

"hepatotoxicity" is a synonym the catalog gives for liver injury; the papers on liver injury
are indexed under the MeSH heading "Chemical and Drug Induced Liver Injury" and say "liver
injury" or "hepatitis" in their abstracts. So a query is widened to the synonyms of every
catalog claim that lists it among its synonyms, then to the MeSH headings the
papers carry whose names hold any of those words; papers match by full text or by heading.
"""

from __future__ import annotations

import functools
import json
import re

import sqlite_utils

from ..core.database import database_file
from ..core.schema import PAPER_SEARCH
from ..link.verdict import claim_evidence, verdict_of
from .plugins.counts import file_version

LIMIT = 100
QUERY_LIMIT = 200  # characters of a query searched; a longer one is shortened, and the page says so
SNIPPET = 160  # characters of an article sentence shown

# Words: letters and digits, joined by an inner apostrophe or hyphen. Punctuation, '_' and '%' are
# not words, so they are never searched for (nor act as LIKE's wildcards).
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
# Endings that make one word of "hepatotoxic" and "hepatotoxicity" when a query is matched to the
# catalog's synonyms (the papers' full-text index stems with Porter's rules already).
_ENDINGS = ("icities", "icity", "ities", "ity", "ically", "ical", "ic", "ations", "ation", "ness", "ing", "ed",
            "es", "s")


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 5:
            return word[:-len(ending)]
    return word


@functools.lru_cache(maxsize=4096)  # the catalog's synonyms are stemmed again for every query otherwise
def _stems(text: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in _WORD.findall(text.lower()))


def _term_matches(term: str, query: str, query_stems: tuple[str, ...]) -> bool:
    term = term.strip().lower()
    if term.endswith("*"):
        return query.startswith(term[:-1]) and len(term) > 3
    return _stems(term) == query_stems


def shorten_query(text: str, limit: int = QUERY_LIMIT) -> tuple[str, bool]:
    """(the query to search, whether it was shortened): cut at a word boundary within `limit`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text, False
    return text[:limit].rsplit(" ", 1)[0] or text[:limit], True


def _word_pattern(terms: list[str]) -> re.Pattern:
    """Any of the terms as whole words: "ALT" is not in "Always" nor in "health"."""
    return re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
                      + r")(?![^\W_])", re.IGNORECASE)


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def expand(db: sqlite_utils.Database, query: str) -> dict:
    """The query's words, the catalog synonyms it brings in, and the MeSH headings they name."""
    wanted = _words(query)
    terms: list[str] = [wanted] if wanted else []
    if not wanted:
        return {"terms": [], "synonyms": [], "mesh": []}
    synonyms: list[str] = []
    stems = _stems(wanted)
    for row in db.query("SELECT synonyms FROM claims WHERE status = 'active'"):
        listed = [t for t in json.loads(row["synonyms"] or "[]") if isinstance(t, str)]
        if any(_term_matches(t, wanted, stems) for t in listed):  # synonyms only: a topic term names the field, not the thing
            for synonym in json.loads(row["synonyms"] or "[]"):
                word = _words(synonym)
                if word and word not in terms and word not in synonyms and len(word) > 3:
                    synonyms.append(word)
    terms += synonyms
    mesh = [descriptor for descriptor, name in _mesh_names(db)
            if any(f" {t} " in f" {name} " for t in terms if len(t) > 3)]
    return {"terms": terms, "synonyms": synonyms, "mesh": sorted(mesh)}


_MESH_NAMES: dict = {}  # (database file, its version) -> [(descriptor, its words)]


def _mesh_names(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """Every MeSH descriptor the papers carry, with its words; kept until the database changes (reading
    them was a third of a search's time at 10,000 papers)."""
    path = database_file(db)
    key = (str(path), file_version(str(path))) if path else None
    if key is not None and key in _MESH_NAMES:
        return _MESH_NAMES[key]
    names = [(descriptor, _words(descriptor or ""))
             for (descriptor,) in db.execute("SELECT DISTINCT descriptor FROM mesh_headings")]
    if key is not None:
        _MESH_NAMES.clear()  # only the current version is worth keeping
        _MESH_NAMES[key] = names
    return names


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
    like = [_like(t) for t in terms]
    conditions = " OR ".join("lower(s.text) LIKE ? ESCAPE '\\'" for _ in like)
    whole = _word_pattern(terms)
    articles: dict[str, dict] = {}
    for row in db.query(
            f"SELECT a.id, a.title, a.note, s.text FROM article_sentences s JOIN articles a ON a.id = s.article_id "
            f"WHERE s.is_current = 1 AND ({conditions}) ORDER BY a.id, s.position", like):
        if whole.search(row["text"]):  # LIKE finds the candidates; whole words decide
            article = articles.setdefault(row["id"], {"id": row["id"], "title": row["title"], "note": row["note"],
                                                      "sentences": 0, "example": snippet(row["text"], whole)})
            article["sentences"] += 1
    result["articles"] = sorted(articles.values(), key=lambda a: (-a["sentences"], a["id"]))
    _add_verdicts(db, result["claims"])
    return result


def snippet(text: str, pattern: re.Pattern | None = None, limit: int = SNIPPET) -> str:
    """Up to `limit` characters of `text` around its first match, cut at word boundaries, with
    an ellipsis where it was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    found = pattern.search(text) if pattern else None
    start = max(0, (found.start() if found else 0) - limit // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    end = start + limit
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def _add_verdicts(db: sqlite_utils.Database, claims: list[dict]) -> None:
    """Each claim found with its graded verdict, as the claim page shows it."""
    for claim in claims:
        claim["verdict"] = verdict_of(claim_evidence(db, claim["id"]))
