"""Saved PubMed searches, kept in db/searches.yml under version control."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import TrackerError
from ..core.paths import SEARCHES
from ..core.yamlfile import read_yaml_list

DEFAULT_SEARCHES = SEARCHES
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Search:
    name: str
    term: str
    description: str = ""


def load_searches(path: str | Path = DEFAULT_SEARCHES) -> list:
    """The saved searches of a YAML file, checked: unique names, a term each."""
    path = Path(path)
    entries = read_yaml_list(path, "searches", "the saved searches live in db/searches.yml")
    searches, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("term"):
            raise TrackerError(f"{path}: search #{number} needs a 'name' and a 'term'")
        name = str(entry["name"]).strip()
        if not _NAME.match(name):
            raise TrackerError(f"{path}: search name {name!r}: use lowercase letters, digits, '-', '_' or '.'")
        if name in seen:
            raise TrackerError(f"{path}: the search name {name!r} is used twice")
        seen.add(name)
        term = " ".join(str(entry["term"]).split())
        searches.append(Search(name=name, term=term, description=str(entry.get("description") or "").strip()))
    return searches


def adhoc_search(term: str, name: str | None = None) -> Search:
    """A search given on the command line; its name is derived from the term unless given."""
    term = " ".join(term.split())
    if not term:
        raise TrackerError("--term is empty")
    if name is None:
        name = "term-" + hashlib.sha1(term.encode("utf-8")).hexdigest()[:10]
    return Search(name=name, term=term, description="given with --term")


def claim_searches(db) -> list:
    """Each active canonical claim's own PubMed query, as a search named claim-<id>."""
    if not db["claims"].exists():
        return []
    return [
        Search(name=f"claim-{row['id']}", term=row["pubmed_query"], description=f"evidence for claim {row['id']}")
        for row in db.query("SELECT id, pubmed_query FROM claims WHERE status = 'active' ORDER BY rowid")
    ]


def select_searches(db, path: str | Path = DEFAULT_SEARCHES, name: str | None = None, term: str | None = None,
                    with_claims: bool = True) -> list:
    """The searches a sync runs: `term` alone, or the saved ones (and the claims' own), or the one named."""
    if term:
        return [adhoc_search(term, name)]
    searches = load_searches(path) + (claim_searches(db) if with_claims else [])
    if name:
        names = ", ".join(s.name for s in searches)
        searches = [s for s in searches if s.name == name]
        if not searches:
            raise TrackerError(f"no saved search named {name!r} in {path} (have: {names})")
    return searches
