"""Proposing catalog entries for what the articles claim and the catalog lacks.

Claim sentences that match no canonical claim are grouped by what they say: same category
(from the catalog's category words) and enough shared content words. Each group becomes a
proposal, an entry a person can paste into db/claims.yml: a statement (the group's most
representative sentence), its category, a PubMed query built from the words the group shares,
and the sentences it stands for. Nothing is written to the catalog: a person decides.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import sqlite_utils

from .catalog import normalise
from .match import STOP_WORDS, stem, words
from .store import unmatched_sentences

GROUP_OVERLAP = 0.2  # Jaccard overlap of content words for a sentence to join a group
QUERY_TERMS = 2  # the group's most shared words that the suggested PubMed query asks for
KRATOM_QUERY = '("Mitragyna"[MeSH Terms] OR kratom[tiab] OR mitragynine[tiab])'
# Words every kratom claim shares, which say nothing about what this one claims.
GENERIC = frozenset(stem(w) for w in """kratom mitragyna speciosa herb plant leaf leaves tree substance people
    users individuals user research studies study evidence help effect effects also many well
    however known often typically like make makes made find found feel one two three not though therefore
    always nowadays generally most some offer offering just lot than apart very said since upon yet whose
    both while others other way ways""".split())
_LEAD = re.compile(r"^(?:however|but|and|also|moreover|what's more|in addition|therefore|thus),?\s+", re.IGNORECASE)


@dataclass
class Proposal:
    id: str
    statement: str
    category: str | None
    pubmed: str
    terms: list[str]
    sentences: list[dict] = field(default_factory=list)  # {id, text}

    def as_yaml(self) -> str:
        """The proposal as a db/claims.yml entry, its sentences as comments."""
        quote = lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
        lines = [f"  # proposed from {len(self.sentences)} sentence(s) that match no claim:"]
        lines += [f"  #   {s['id']}: {s['text']}" for s in self.sentences]
        lines += [f"  - id: {self.id}", f"    statement: {quote(self.statement)}",
                  f"    category: {self.category or 'CHOOSE-A-CATEGORY'}", f"    pubmed: {quote(self.pubmed)}",
                  f"    synonyms: [{', '.join(quote(t) for t in self.terms)}]",
                  f"    match:\n      - [{', '.join(quote(t) for t in self.terms)}]"]
        return "\n".join(lines) + "\n"


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in GENERIC}


def group_sentences(sentences: list[dict]) -> list[list[dict]]:
    """Sentences ({id, text, category}) in groups: same category and shared content words."""
    groups: list[tuple[str | None, set[str], list[dict]]] = []
    for sentence in sentences:
        bag = content_words(sentence["text"])
        best, best_overlap = None, 0.0
        for group in groups:
            if group[0] != sentence["category"] or not bag:
                continue
            overlap = len(bag & group[1]) / len(bag | group[1])
            if overlap > best_overlap:
                best, best_overlap = group, overlap
        if best is not None and best_overlap >= GROUP_OVERLAP:
            best[1].update(bag)
            best[2].append(sentence)
        else:
            groups.append((sentence["category"], set(bag), [sentence]))
    return [members for _, _, members in groups]


def _surface_terms(texts: list[str], limit: int) -> list[str]:
    """The content words the group's sentences share most, as written (for a query a person can read)."""
    counts: Counter = Counter()
    for text in texts:
        seen = set()
        for word in re.findall(r"[a-z][a-z-]{2,}", normalise(text)):
            if word in STOP_WORDS or stem(word) in GENERIC or stem(word) in seen:
                continue
            seen.add(stem(word))
            counts[word] += 1
    return [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], -len(item[0]), item[0]))[:limit]]


def _representative(members: list[dict]) -> dict:
    """The sentence sharing the most content words with the rest of its group (the first on a tie)."""
    bags = [content_words(m["text"]) for m in members]
    return max(zip(members, bags), key=lambda pair: sum(len(pair[1] & other) for other in bags))[0]


def proposals(db: sqlite_utils.Database) -> list[Proposal]:
    """One proposal per group of unmatched claim sentences, largest groups first."""
    found, taken = [], set()
    for members in sorted(group_sentences(unmatched_sentences(db)), key=len, reverse=True):
        terms = _surface_terms([m["text"] for m in members], QUERY_TERMS)
        base = "-".join(terms) or "new-claim"
        claim_id, number = base, 2
        while claim_id in taken:
            claim_id, number = f"{base}-{number}", number + 1
        taken.add(claim_id)
        statement = _LEAD.sub("", _representative(members)["text"]).strip()
        statement = statement[:1].upper() + statement[1:]
        query = KRATOM_QUERY + "".join(f" AND {t}[tiab]" for t in terms)
        found.append(Proposal(claim_id, statement, members[0]["category"], query, terms,
                              [{"id": m["id"], "text": m["text"]} for m in members]))
    return found
