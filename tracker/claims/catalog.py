"""The canonical claims catalog, db/claims.yml: reading, checking and compiling it.

Besides the claims, the file holds the `categories` (each with the words that place an unmatched
claim sentence in it) and named `terms` (lists of words that mean one thing, such as the kinds of
liver injury), which a rule names as `@name` so that one list serves every claim that needs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import InputError
from ..core.paths import CLAIMS
from ..core.yamlfile import read_yaml_file, read_yaml_list

DEFAULT_CLAIMS = CLAIMS
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TERM_NAME = re.compile(r"^@([a-z0-9][a-z0-9-]*)$")


def normalise(text: str) -> str:
    """Lower case with typographic apostrophes and dashes made plain, for matching only."""
    return text.replace("’", "'").replace("‘", "'").replace("‐", "-").replace("–", "-").casefold()


GAP, GAP_WORDS = "...", 3


def compile_term(term: str) -> str:
    """One term of a match rule as a regex: whole words, '*' at the end of any word standing for any ending,
    '...' for up to three words of any kind."""
    term = normalise(term.strip())
    if not term:
        raise ValueError("empty term")
    if GAP in (term.split()[0], term.split()[-1]):
        raise ValueError(f"'{GAP}' stands between two words, not at either end: {term!r}")
    pieces = []
    for word in term.split():
        if word == GAP:  # "interact* with ... medication*": the words between are free, a few at most
            pieces.append(rf"(?:[\w'-]+,?\s+){{0,{GAP_WORDS}}}?")  # a list's commas too
        else:
            pieces.append(re.escape(word.rstrip("*")) + (r"[\w-]*" if word.endswith("*") else "") + r"\s+")
    body = "".join(pieces).removesuffix(r"\s+")
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
class Category:
    """A kind of claim, with the words that place a claim sentence no claim matches in it."""

    name: str
    description: str = ""
    words: list[str] = field(default_factory=list)
    pattern: re.Pattern | None = field(default=None, repr=False)

    def row(self, position: int) -> dict:
        import json

        return {"name": self.name, "position": position, "description": self.description,
                "words": json.dumps(self.words, ensure_ascii=False)}


@dataclass
class Catalog:
    claims: list["Claim"]
    categories: list[Category]


# What a claim is about: people (effects, risks, use) or mechanism (how kratom acts: receptors, alkaloids).
ABOUT = ("people", "mechanism")


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
    opposite: list[list[str]] = field(default_factory=list)  # rules for a sentence asserting the opposite
    rules: list[list[re.Pattern]] = field(default_factory=list, repr=False)
    opposite_rules: list[list[re.Pattern]] = field(default_factory=list, repr=False)
    topic_pattern: re.Pattern | None = field(default=None, repr=False)
    # What every paper bearing on a claim of the catalog names (kratom or its alkaloids): `subject:`.
    subject: list[str] = field(default_factory=list)
    subject_pattern: re.Pattern | None = field(default=None, repr=False)
    about: str = "people"  # or "mechanism": what the claim is about, for its verdict's indirectness
    # Claims a sentence asserting this one asserts too only where it states one of their findings: "beneficial
    # effects on liver health ... long-term use" calls kratom liver-protective, not harmful to the liver.
    contrary: list[str] = field(default_factory=list)

    def row(self) -> dict:
        import json

        return {
            "id": self.id,
            "statement": self.statement,
            "category": self.category,
            "pubmed_query": self.pubmed,
            "synonyms": json.dumps(self.synonyms, ensure_ascii=False),
            "match_rules": json.dumps(self.match, ensure_ascii=False),
            "opposite_rules": json.dumps(self.opposite, ensure_ascii=False),
            "topic": json.dumps(self.topic, ensure_ascii=False),
            "subject": json.dumps(self.subject, ensure_ascii=False),
            "about": self.about,
            "contrary": json.dumps(self.contrary),
            "findings": json.dumps([{"stance": f.stance, "says": f.says, "when": f.when} for f in self.findings],
                                   ensure_ascii=False),
        }


def load_catalog(path: str | Path = DEFAULT_CLAIMS) -> list[Claim]:
    """Read and check the catalog's claims. Every problem names the claim and the field."""
    return read_catalog(path).claims


def read_catalog(path: str | Path = DEFAULT_CLAIMS) -> Catalog:
    """Read and check the whole catalog: categories, named terms and claims."""
    path = Path(path)
    data = read_yaml_file(path, "the claim catalog lives in db/claims.yml")
    entries = read_yaml_list(path, "claims", "the claim catalog lives in db/claims.yml", data)
    terms = _terms(data.get("terms") or {}, str(path))
    categories = _categories(data.get("categories"), str(path))
    subject = data.get("subject") or []
    if not isinstance(subject, list) or not all(isinstance(t, str) and t.strip() for t in subject):
        raise InputError(f"{path}: 'subject' must be a list of terms (the words for kratom and its alkaloids)")
    subject = [" ".join(t.split()) for t in subject]
    names = {c.name for c in categories}
    claims, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        claim = make_claim(entry, f"{path}: claim #{number}", str(path), terms, subject)
        if claim.category not in names:
            raise InputError(f"{path}: claim {claim.id}: category {claim.category!r} is not one of the file's "
                             f"categories ({', '.join(sorted(names))}); add it under 'categories:' or use one of them")
        if claim.id in seen:
            raise InputError(f"{path}: claim {claim.id}: the id is used twice")
        seen.add(claim.id)
        claims.append(claim)
    for claim in claims:
        unknown = [c for c in claim.contrary if c not in seen]
        if unknown:
            raise InputError(f"{path}: claim {claim.id}: 'contrary' names {', '.join(unknown)}, not a claim of the file")
    return Catalog(claims, categories)


def _terms(given, where: str) -> dict[str, list[str]]:
    if not isinstance(given, dict) or not all(
            isinstance(v, list) and v and all(isinstance(t, str) and t.strip() for t in v) for v in given.values()):
        raise InputError(f"{where}: 'terms' must map names to lists of words or phrases")
    bad = [name for name in given if not _ID.match(str(name))]
    if bad:
        raise InputError(f"{where}: term name {bad[0]!r} must be lowercase letters, digits and '-'")
    return {str(name): [" ".join(t.split()) for t in values] for name, values in given.items()}


def _categories(given, where: str) -> list[Category]:
    if not isinstance(given, list) or not given:
        raise InputError(f"{where}: expected a 'categories:' list (name, description, words) with at least one entry")
    categories, seen = [], set()
    for number, entry in enumerate(given, start=1):
        name = str(entry.get("name") or "").strip() if isinstance(entry, dict) else ""
        words = entry.get("words") or [] if isinstance(entry, dict) else None
        if not _ID.match(name) or not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise InputError(f"{where}: category #{number} needs a 'name' (lowercase letters, digits, '-') "
                             "and 'words' (a list of terms)")
        if name in seen:
            raise InputError(f"{where}: category {name} is listed twice")
        seen.add(name)
        categories.append(make_category(name, str(entry.get("description") or "").strip(), words, where))
    return categories


def make_category(name: str, description: str, words: list[str], where: str) -> Category:
    try:
        pattern = re.compile("|".join(compile_term(w) for w in words)) if words else None
    except ValueError as error:
        raise InputError(f"{where}: category {name}: a word is not usable: {error}") from None
    return Category(name, description, [" ".join(w.split()) for w in words], pattern)


def categories_from_rows(rows) -> list[Category]:
    import json

    return [make_category(row["name"], row["description"] or "", json.loads(row["words"] or "[]"), "claim_categories")
            for row in rows]


def expand_terms(rules: list[list[str]], terms: dict[str, list[str]], where: str) -> list[list[str]]:
    """Rules with each `@name` alternative replaced by the named term list."""
    expanded = []
    for rule in rules:
        groups = []
        for group in rule:
            alternatives = []
            for alternative in group.split("|"):
                named = _TERM_NAME.match(alternative.strip())
                if named and named.group(1) not in terms:
                    raise InputError(f"{where}: {alternative.strip()} names no list under 'terms:'")
                alternatives.extend(terms[named.group(1)] if named else [alternative.strip()])
            groups.append("|".join(alternatives))
        expanded.append(groups)
    return expanded


def claims_from_rows(rows) -> list[Claim]:
    """Claims as stored in the database (JSON fields), compiled for matching."""
    import json

    return [
        make_claim(
            {**row, "pubmed": row["pubmed_query"], "synonyms": json.loads(row["synonyms"] or "[]"),
             "match": json.loads(row["match_rules"] or "[]"), "topic": json.loads(row.get("topic") or "[]"),
             "opposite": json.loads(row.get("opposite_rules") or "[]"),
             "contrary": json.loads(row.get("contrary") or "[]"),
             "findings": _findings_by_stance(json.loads(row.get("findings") or "[]"))},
            f"claims table: claim {row['id']}",
            "claims table",
            subject=json.loads(row.get("subject") or "[]"),
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


def make_claim(entry, where: str, origin: str, terms: dict[str, list[str]] | None = None,
               subject: list[str] | None = None) -> Claim:
    """One checked, compiled claim. Every problem names the claim and the field. `subject`: the
    catalog's words for what every paper bearing on it names."""
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
    synonyms = entry.get("synonyms") or []
    match = entry.get("match") or []
    if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
        raise InputError(f"{where}: 'synonyms' must be a list of words or phrases")
    opposite = entry.get("opposite") or []
    for name, rules in (("match", match), ("opposite", opposite)):
        if not _is_rules(rules):
            raise InputError(f"{where}: '{name}' must be a list of rules, each a list of term groups")
    about = str(entry.get("about") or "people").strip()
    if about not in ABOUT:
        raise InputError(f"{where}: 'about' must be one of {', '.join(ABOUT)}, not {about!r}")
    topic = entry.get("topic") or []
    if not isinstance(topic, list) or not all(isinstance(t, str) and t.strip() for t in topic):
        raise InputError(f"{where}: 'topic' must be a list of terms")
    contrary = entry.get("contrary") or []
    if not isinstance(contrary, list) or not all(isinstance(c, str) and _ID.match(c) for c in contrary):
        raise InputError(f"{where}: 'contrary' must be a list of claim ids")
    claim = Claim(
        id=claim_id,
        statement=" ".join(str(entry["statement"]).split()),
        category=category,
        pubmed=" ".join(str(entry["pubmed"]).split()),
        synonyms=[" ".join(s.split()) for s in synonyms],
        match=expand_terms(match, terms or {}, where),
        opposite=expand_terms(opposite, terms or {}, where),
        topic=[" ".join(t.split()) for t in topic],
        subject=list(subject or []),
        about=about,
        contrary=list(contrary),
    )
    try:
        claim.rules = compile_rules(claim.match)
        claim.opposite_rules = compile_rules(claim.opposite)
        claim.findings = _findings(entry, where)
        claim.topic_pattern = re.compile("|".join(compile_term(t) for t in claim.topic)) if claim.topic else None
        claim.subject_pattern = (re.compile("|".join(compile_term(t) for t in claim.subject))
                                 if claim.subject else None)
    except (ValueError, re.error) as error:
        raise InputError(f"{where}: a 'match', 'topic' or 'findings' term is not usable: {error}") from None
    return claim
