"""The canonical claims catalog, db/claims.yml: reading, checking and compiling it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import InputError
from ..core.paths import CLAIMS
from ..core.yamlfile import read_yaml_list

DEFAULT_CLAIMS = CLAIMS
CATEGORIES = (
    "mechanism",
    "withdrawal",
    "safety",
    "liver",
    "dependence",
    "respiratory",
    "interactions",
    "dosage",
    "mood-cognition",
    "product-regulation",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def normalise(text: str) -> str:
    """Lower case with typographic apostrophes and dashes made plain, for matching only."""
    return text.replace("’", "'").replace("‘", "'").replace("‐", "-").replace("–", "-").casefold()


def compile_term(term: str) -> str:
    """One term of a match rule as a regex: whole words, '*' standing for any word ending."""
    term = normalise(term.strip())
    if not term:
        raise ValueError("empty term")
    body = re.escape(term.rstrip("*")).replace(r"\ ", r"\s+")
    if term.endswith("*"):
        body += r"[\w-]*"
    return r"(?<![\w-])" + body + (r"" if term.endswith("*") else r"(?![\w-])")


@dataclass
class Claim:
    id: str
    statement: str
    category: str
    pubmed: str
    synonyms: list[str] = field(default_factory=list)
    match: list[list[str]] = field(default_factory=list)  # rules; each a list of '|'-separated groups
    rules: list[list[re.Pattern]] = field(default_factory=list, repr=False)

    def row(self) -> dict:
        import json

        return {
            "id": self.id,
            "statement": self.statement,
            "category": self.category,
            "pubmed_query": self.pubmed,
            "synonyms": json.dumps(self.synonyms, ensure_ascii=False),
            "match_rules": json.dumps(self.match, ensure_ascii=False),
        }


def load_catalog(path: str | Path = DEFAULT_CLAIMS) -> list[Claim]:
    """Read and check the catalog. Every problem names the claim and the field."""
    path = Path(path)
    entries = read_yaml_list(path, "claims", "the claim catalog lives in db/claims.yml")
    claims, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        claim = make_claim(entry, f"{path}: claim #{number}", str(path))
        if claim.id in seen:
            raise InputError(f"{path}: claim {claim.id}: the id is used twice")
        seen.add(claim.id)
        claims.append(claim)
    return claims


def claims_from_rows(rows) -> list[Claim]:
    """Claims as stored in the database (JSON fields), compiled for matching."""
    import json

    return [
        make_claim(
            {**row, "pubmed": row["pubmed_query"], "synonyms": json.loads(row["synonyms"] or "[]"),
             "match": json.loads(row["match_rules"] or "[]")},
            f"claims table: claim {row['id']}",
            "claims table",
        )
        for row in rows
    ]


def make_claim(entry, where: str, origin: str) -> Claim:
    """One checked, compiled claim. Every problem names the claim and the field."""
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a mapping with id, statement, category, pubmed")
    claim_id = str(entry.get("id") or "").strip()
    if claim_id:
        where = f"{origin}: claim {claim_id}"
    if not _ID.match(claim_id):
        raise InputError(f"{where}: 'id' must be lowercase letters, digits and '-'")
    for name in ("statement", "category", "pubmed"):
        if not str(entry.get(name) or "").strip():
            raise InputError(f"{where}: '{name}' is missing")
    category = str(entry["category"]).strip()
    if category not in CATEGORIES:
        raise InputError(f"{where}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    synonyms = entry.get("synonyms") or []
    match = entry.get("match") or []
    if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
        raise InputError(f"{where}: 'synonyms' must be a list of words or phrases")
    if not isinstance(match, list) or not all(
        isinstance(rule, list) and rule and all(isinstance(g, str) and g.strip() for g in rule) for rule in match
    ):
        raise InputError(f"{where}: 'match' must be a list of rules, each a list of term groups")
    claim = Claim(
        id=claim_id,
        statement=" ".join(str(entry["statement"]).split()),
        category=category,
        pubmed=" ".join(str(entry["pubmed"]).split()),
        synonyms=[" ".join(s.split()) for s in synonyms],
        match=[[g.strip() for g in rule] for rule in match],
    )
    try:
        claim.rules = [
            [re.compile("|".join(compile_term(t) for t in group.split("|"))) for group in rule]
            for rule in claim.match
        ]
    except (ValueError, re.error) as error:
        raise InputError(f"{where}: a 'match' term is not usable: {error}") from None
    return claim
