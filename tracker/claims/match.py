"""Matching a claim mention (a sentence) to the canonical claims of the catalog.

Two methods, recorded with every match:
- `rule`: one of the claim's `match` rules holds (every term group occurs in the sentence).
  Score 0.8 to 1.0: more groups and more word overlap with the statement rank higher.
- `lexical`: no rule holds, but the sentence shares enough weighted words with the claim's
  statement and synonyms (cosine over IDF-weighted word stems). Score is that cosine, below 0.8.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from .catalog import Claim, normalise, rule_hits

LEXICAL_THRESHOLD = 0.30
LEXICAL_MIN_SHARED = 2  # one shared word ("products") is coincidence, not a paraphrase
_WORD = re.compile(r"[a-z0-9μ][a-z0-9μ-]*")
STOP_WORDS = frozenset(
    """a an and are as at be been but by can could for from has have how in into is it its it's
    may might of on or such than that the their them these this those to was were what when which
    while who will with without would kratom kratom's
    effect effects produce produces use used using help helps other some more very""".split()
)


def stem(word: str) -> str:
    """A crude suffix stripper: enough to make 'cravings', 'craving' and 'crave' meet."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s", "e", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    plain = normalise(text).replace("'s", "")
    return [stem(w) for w in _WORD.findall(plain) if w not in STOP_WORDS and len(w) > 2]


@dataclass
class Match:
    claim_id: str
    score: float
    method: str  # rule | lexical
    evidence: str  # the terms that matched, for a reviewer


class Matcher:
    """Matches sentences against one catalog; built once per catalog."""

    def __init__(self, claims: list[Claim]):
        self.claims = claims
        documents = {c.id: Counter(words(c.statement + " " + " ".join(c.synonyms))) for c in claims}
        frequency = Counter(w for bag in documents.values() for w in bag)
        count = len(claims)
        self.idf = {w: math.log((1 + count) / (1 + n)) + 1 for w, n in frequency.items()}
        self.vectors = {cid: self._vector(bag) for cid, bag in documents.items()}

    def _vector(self, bag: Counter) -> dict[str, float]:
        vector = {w: n * self.idf.get(w, 0.0) for w, n in bag.items() if w in self.idf}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {w: v / norm for w, v in vector.items()}

    def similarity(self, text: str, claim_id: str) -> float:
        sentence = self._vector(Counter(words(text)))
        claim = self.vectors[claim_id]
        return sum(v * claim.get(w, 0.0) for w, v in sentence.items())

    def match(self, text: str) -> list[Match]:
        """Every claim the sentence matches, best first. `text` may have masked (blanked) spans."""
        plain = normalise(text)
        found: list[Match] = []
        for claim in self.claims:
            best = None
            for rule in claim.rules:
                hits = rule_hits([rule], plain)
                if hits:
                    best = max(best or (0, ""), (len(rule), "; ".join(hits)))
            if best:
                overlap = self.similarity(text, claim.id)
                score = min(1.0, 0.8 + 0.05 * best[0] + 0.15 * overlap)
                found.append(Match(claim.id, round(score, 3), "rule", best[1]))
        if not found:
            sentence_words = set(words(text))
            scored = sorted(((self.similarity(text, c.id), c.id) for c in self.claims), reverse=True)
            for overlap, claim_id in scored[:3]:
                shared = sentence_words & set(self.vectors[claim_id])
                if overlap >= LEXICAL_THRESHOLD and len(shared) >= LEXICAL_MIN_SHARED:
                    found.append(Match(claim_id, round(min(overlap, 0.79), 3), "lexical", "; ".join(sorted(shared))))
        found.sort(key=lambda m: (-m.score, m.claim_id))
        return found
