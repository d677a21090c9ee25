"""Is a candidate paper on the claim's topic at all? (For or against: a liver-injury report is on the
topic of "kratom protects the liver".)

A paper must first name the catalog's `subject` (db/claims.yml: kratom, Mitragyna, its alkaloids) in
its title, abstract, MeSH headings, keywords or substances, unless it is known to be about it (a
starter-bibliography paper): a telomere study or another drug's liver injury bears on no kratom claim,
whatever its topic words. Then the claim's `topic` terms are looked for in the paper's title, MeSH
headings and keywords, and abstract. A term in the title or among the MeSH headings counts 2, in the abstract 1
(once per term); a sentence stating one of the claim's findings counts 2 more. A paper scoring 2 or
more is relevant. A claim without topic terms falls back on its synonyms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..claims.catalog import Claim, compile_term, normalise

RELEVANT_AT = 2.0


@dataclass
class Relevance:
    relevant: bool
    score: float
    basis: str  # for a reader: which terms were found where


def _topic_pattern(claim: Claim) -> re.Pattern | None:
    if claim.topic_pattern is not None:
        return claim.topic_pattern
    terms = [s for s in claim.synonyms if s.strip()]
    return re.compile("|".join(compile_term(t) for t in terms)) if terms else None


def names_subject(claim: Claim, title: str | None, abstract: str | None, mesh: list[str], keywords: list[str],
                  chemicals: list[str]) -> bool:
    if claim.subject_pattern is None:
        return True
    text = normalise(" ; ".join([title or "", abstract or "", *mesh, *keywords, *chemicals]))
    return bool(claim.subject_pattern.search(text))


def relevance(claim: Claim, title: str | None, abstract: str | None, mesh: list[str], keywords: list[str],
              states_finding: bool = False, chemicals: list[str] = (), on_subject: bool = False) -> Relevance:
    """`on_subject`: the paper is known to be about the catalog's subject whatever its text says."""
    if not on_subject and not names_subject(claim, title, abstract, mesh, keywords, list(chemicals)):
        return Relevance(False, 0.0, f"does not name {claim.subject[0] if claim.subject else 'the subject'} or its "
                                     "alkaloids in its title, abstract, MeSH or substances")
    pattern = _topic_pattern(claim)
    if pattern is None:
        return Relevance(True, RELEVANT_AT, "the claim names no topic terms")
    places = (("title", title or "", 2.0), ("MeSH", "; ".join(mesh + keywords), 2.0), ("abstract", abstract or "", 1.0))
    score, seen, found = 0.0, set(), []
    for place, text, weight in places:
        terms = sorted({m.group(0) for m in pattern.finditer(normalise(text))} - seen)
        if terms:
            seen.update(terms)
            score += weight * len(terms)
            found.append(f"{place}: {', '.join(terms[:4])}")
    if states_finding:
        score += 2.0
        found.append("states one of the claim's findings")
    if not found:
        return Relevance(False, 0.0, "none of the claim's topic terms in the title, abstract or MeSH")
    return Relevance(score >= RELEVANT_AT, score, "; ".join(found))
