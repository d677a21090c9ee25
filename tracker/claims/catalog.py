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


STANCE_FINDINGS = ("supports", "contradicts")


@dataclass
class Finding:
    """A kind of result that bears on a claim, as a paper's sentence states it."""

    stance: str  # supports | contradicts
    says: str  # what such a paper reports, in words a reader understands
    when: list[list[str]]  # rules, as in `match`
    rules: list[list[re.Pattern]] = field(default_factory=list, repr=False)


def compile_rules(rules: list[list[str]]) -> list[list[re.Pattern]]:
    """Rules (lists of '|'-separated term groups) as regexes, one per group."""
    return [[re.compile("|".join(compile_term(t) for t in group.split("|"))) for group in rule] for rule in rules]


def rule_hits(rules: list[list[re.Pattern]], plain: str) -> list[str] | None:
    """The matched term of each group of the first rule that holds in `plain` (normalised text), or None."""
    for rule in rules:
        hits = [group.search(plain) for group in rule]
        if all(hits):
            return [h.group(0) for h in hits]
    return None


@dataclass
class Claim:
    id: str
    statement: str
    category: str
    pubmed: str
    synonyms: list[str] = field(default_factory=list)
    match: list[list[str]] = field(default_factory=list)  # rules; each a list of '|'-separated groups
    topic: list[str] = field(default_factory=list)  # what a paper must be about to bear on the claim, for or against
    findings: list[Finding] = field(default_factory=list)
    rules: list[list[re.Pattern]] = field(default_factory=list, repr=False)
    topic_pattern: re.Pattern | None = field(default=None, repr=False)

    def row(self) -> dict:
        import json

        return {
            "id": self.id,
            "statement": self.statement,
            "category": self.category,
            "pubmed_query": self.pubmed,
            "synonyms": json.dumps(self.synonyms, ensure_ascii=False),
            "match_rules": json.dumps(self.match, ensure_ascii=False),
            "topic": json.dumps(self.topic, ensure_ascii=False),
            "findings": json.dumps([{"stance": f.stance, "says": f.says, "when": f.when} for f in self.findings],
                                   ensure_ascii=False),
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
             "match": json.loads(row["match_rules"] or "[]"), "topic": json.loads(row.get("topic") or "[]"),
             "findings": _findings_by_stance(json.loads(row.get("findings") or "[]"))},
            f"claims table: claim {row['id']}",
            "claims table",
        )
        for row in rows
    ]


def _findings_by_stance(stored: list[dict]) -> dict:
    grouped: dict = {}
    for finding in stored:
        grouped.setdefault(finding["stance"], []).append({"says": finding["says"], "when": finding["when"]})
    return grouped


def _is_rules(value) -> bool:
    return isinstance(value, list) and all(
        isinstance(rule, list) and rule and all(isinstance(g, str) and g.strip() for g in rule) for rule in value)


def _findings(entry: dict, where: str) -> list[Finding]:
    """`findings: {supports: [{says, when}], contradicts: [...]}`, checked."""
    given = entry.get("findings") or {}
    if not isinstance(given, dict) or set(given) - set(STANCE_FINDINGS):
        raise InputError(f"{where}: 'findings' must map supports and/or contradicts to lists of findings")
    found = []
    for stance in STANCE_FINDINGS:
        for item in given.get(stance) or []:
            if not isinstance(item, dict) or not str(item.get("says") or "").strip() or not _is_rules(item.get("when")):
                raise InputError(f"{where}: each of 'findings: {stance}' needs 'says' (words) and 'when' (rules)")
            when = [[g.strip() for g in rule] for rule in item["when"]]
            found.append(Finding(stance, " ".join(str(item["says"]).split()), when, compile_rules(when)))
    return found


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
    if not _is_rules(match):
        raise InputError(f"{where}: 'match' must be a list of rules, each a list of term groups")
    topic = entry.get("topic") or []
    if not isinstance(topic, list) or not all(isinstance(t, str) and t.strip() for t in topic):
        raise InputError(f"{where}: 'topic' must be a list of terms")
    claim = Claim(
        id=claim_id,
        statement=" ".join(str(entry["statement"]).split()),
        category=category,
        pubmed=" ".join(str(entry["pubmed"]).split()),
        synonyms=[" ".join(s.split()) for s in synonyms],
        match=[[g.strip() for g in rule] for rule in match],
        topic=[" ".join(t.split()) for t in topic],
    )
    try:
        claim.rules = compile_rules(claim.match)
        claim.findings = _findings(entry, where)
        claim.topic_pattern = re.compile("|".join(compile_term(t) for t in claim.topic)) if claim.topic else None
    except (ValueError, re.error) as error:
        raise InputError(f"{where}: a 'match', 'topic' or 'findings' term is not usable: {error}") from None
    return claim
