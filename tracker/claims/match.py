"""Matching a claim mention (a sentence) to the canonical claims of the catalog.

Three methods, recorded with every match:
- `rule`: one of the claim's `match` rules holds (every term group occurs in the sentence).
  Score 0.8 to 1.0: more groups and more word overlap with the statement rank higher.
- `opposite`: one of the claim's `opposite` rules holds ("safe for the liver"); the sentence
  denies the claim. Score 0.8.
- `lexical`: no rule holds, but the sentence shares enough weighted words with the claim's
  statement and synonyms (cosine over IDF-weighted word stems). Score is that cosine, below 0.8.

Polarity: a rule's last group carries the assertion (the effect, the risk). A negation just
before its term, in the same clause ("without the risk of addiction", "does not cause liver
damage", "non-addictive"), means the sentence denies the claim: the match is recorded with
polarity `denies`, never as making the claim. A lexical match is never a denial: it is too weak
to read polarity from, so a negated sentence gets no lexical match at all.
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


# "does not have the same risk of overdose": a comparison, not a denial
_HAS_THE_SAME = r"(?:have|has|carry|carries|pose|poses|cause|causes) the same"
# A negation cue, unless it is "not only", "no longer", "without doubt", "not without" and the like.
NEGATION = re.compile(
    r"(?:\b(?:not|no|never|(?<!not )without|cannot|neither|nor|zero)\b|n't\b|\b(?:is|are|be|remains?) free (?:of|from)\b"
    r"|\blacks?\b|\black of\b|\bfar from\b)"
    # "not without risk" asserts; "without the same risks" compares
    r"(?!\s+(?:only|just|merely|longer|doubt|wonder|matter|exception|without|the same|as many|as much|some|many|most"
    rf"|{_HAS_THE_SAME})\b)"
)
NON = re.compile(r"\bnon\b(?= )")
# "without some of the adverse effects", "lower risk of addiction", "fewer side effects": a comparison,
# which asserts neither the harm nor its absence (a claim of its own, such as lower-addiction-risk, says it).
COMPARISON = re.compile(
    r"\bwithout (?:some|many|most|all|the same|as many|the (?:intensity|severity|level|degree))\b"
    rf"|\b(?:not|n't) {_HAS_THE_SAME}\b"
    r"|\b(?:lower|less|fewer|milder|reduced|minimal|little|low|minimi[sz]\w*)\b"
)
# "no evidence that kratom causes liver damage", "has not been shown to cause", "instead of helping one detox":
# denies whatever its clause says.
NO_EVIDENCE = re.compile(
    r"\b(?:no|little|not any|lack of|without) (?:\w+ )?(?:evidence|proof|study|studies|research|data) (?:yet |so far )?"
    r"(?:that|of|to suggest|suggesting|showing|linking|(?:has|have) (?:yet )?(?:shown|proven|proved|found))\b"
    r"|\bnot (?:been )?(?:shown|proven|found|demonstrated) to\b|\binstead of\b"
    # "a mistaken belief that kratom is harmless"
    r"|\b(?:mistaken|false|wrong) (?:belief|idea|notion|claim|assumption)s? that\b|\b(?:myth|misconception)s? that\b")
# "which is relevant when considering long-term use and potential side effects", "enzymes, which are indicators
# of liver damage", "concerns about its impact on liver health": names them, asserts nothing.
MENTION = re.compile(r"\bwhen considering\b|\bprevent(?:s|ing)?\b|\b(?:indicators?|markers?) of\b"
                     r"|\b(?:concerns?|worries|questions) (?:about|over|regarding)\b"
                     # "too early to determine if kratom causes liver damage": undecided, neither said nor denied
                     r"|\b(?:too early|too soon|unclear|unknown|not (?:yet )?known) (?:\w+ ){0,3}?(?:if|whether)\b")
NEGATION_REACH_WORDS = 3  # "without [the risk of] addiction", "not [cause] liver damage"
# ... and across a list joined by "or"/"nor": "without the risk of addiction or [harmful] side effects" (a comparison
# too: "does not have the same risk of overdose or death")
LISTED = re.compile(r"\b(?:or|nor)\b")
LIST_REACH_WORDS = 8
_CONTRASTING = r"but|although|though|whereas|however|yet"
CLAUSE_BREAK = re.compile(rf"[,;:.!?()]|\b(?:{_CONTRASTING}|while)\b")
# A sentence that turns ("..., but long-term use can lead to severe issues") may say contrary things.
CONTRAST = re.compile(rf";|\b(?:{_CONTRASTING})\b")
ASSERTS, DENIES, COMPARES, MENTIONS = "asserts", "denies", "compares", "mentions"


def negation_plain(plain: str) -> str:
    """'non-addictive' read as 'non addictive' (same length, so offsets and masks still hold): the prefix negates
    the one word it is joined to (NON), never the words after it ('non-medical settings to treat pain')."""
    return re.sub(r"\bnon-(?=[a-z])", "non ", plain)


def reading(plain: str, hit: re.Match, rule_hits: list[re.Match]) -> str:
    """How the sentence takes the term `hit`: asserts it, denies it (a negation governs it), compares
    it or only mentions it ("when considering"). A cue governs the term when it stands before it in its clause, at most a few words away,
    and is not part of a term the rule itself matched ("without causing" in a rule's own words)."""
    before = plain[: hit.start()]
    found = ASSERTS
    for pattern, kind, reach in ((COMPARISON, COMPARES, NEGATION_REACH_WORDS), (NEGATION, DENIES, NEGATION_REACH_WORDS),
                                 (NON, DENIES, 0),
                                 (NO_EVIDENCE, DENIES, None), (MENTION, MENTIONS, None)):
        for cue in pattern.finditer(before):
            if any(h.start() <= cue.start() < h.end() for h in rule_hits):
                continue
            between = before[cue.end():]
            listed = kind in (DENIES, COMPARES) and reach and LISTED.search(between)
            if not CLAUSE_BREAK.search(between) and (reach is None or len(between.split()) <= reach or (
                    listed and len(between.split()) <= LIST_REACH_WORDS)):
                found = kind
    return found


def strongest_reading(plain: str, last_group: re.Pattern, hits: list[re.Match]) -> tuple[str, list[re.Match]]:
    """The reading of the rule's assertion term, over every place the term occurs: one plain assertion
    ("not without risks of addiction") outweighs a compared or denied mention elsewhere in the sentence."""
    readings = {}
    for occurrence in last_group.finditer(plain):
        readings.setdefault(reading(plain, occurrence, hits[:-1] + [occurrence]), hits[:-1] + [occurrence])
    for kind in (ASSERTS, DENIES, COMPARES, MENTIONS):
        if kind in readings:
            return kind, readings[kind]
    return ASSERTS, hits


@dataclass
class Match:
    claim_id: str
    score: float
    method: str  # rule | lexical
    evidence: str  # the terms that matched, for a reviewer
    polarity: str = ASSERTS  # asserts | denies (the sentence says the opposite of the claim)


class Matcher:
    """Matches sentences against one catalog; built once per catalog."""

    def __init__(self, claims: list[Claim]):
        self.claims = claims
        self.by_id = {c.id: c for c in claims}
        documents = {c.id: Counter(words(c.statement + " " + " ".join(c.synonyms))) for c in claims}
        frequency = Counter(w for bag in documents.values() for w in bag)
        count = len(claims)
        self.idf = {w: math.log((1 + count) / (1 + n)) + 1 for w, n in frequency.items()}
        self.vectors = {cid: self._vector(bag) for cid, bag in documents.items()}
        self.comparative = {c.id for c in claims if COMPARISON.search(normalise(c.statement)) or " than " in c.statement}

    def _vector(self, bag: Counter) -> dict[str, float]:
        vector = {w: n * self.idf.get(w, 0.0) for w, n in bag.items() if w in self.idf}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {w: v / norm for w, v in vector.items()}

    def similarity(self, text: str, claim_id: str) -> float:
        sentence = self._vector(Counter(words(text)))
        claim = self.vectors[claim_id]
        return sum(v * claim.get(w, 0.0) for w, v in sentence.items())

    def match(self, text: str) -> list[Match]:
        """Every claim the sentence matches or denies, best first. `text` may have masked (blanked) spans."""
        plain = negation_plain(normalise(text))
        found: list[Match] = []
        for claim in self.claims:
            asserted, denied = None, None
            for rule in claim.rules:
                hits = [group.search(plain) for group in rule]
                if not all(hits):
                    continue
                taken, hits = strongest_reading(plain, rule[-1], hits)
                key = (len(rule), "; ".join(h.group(0) for h in hits))
                if taken == DENIES:
                    denied = max(denied or key, key)
                elif taken == ASSERTS:
                    asserted = max(asserted or key, key)
            if asserted:
                overlap = self.similarity(text, claim.id)
                score = min(1.0, 0.8 + 0.05 * asserted[0] + 0.15 * overlap)
                found.append(Match(claim.id, round(score, 3), "rule", asserted[1]))
                continue
            opposite = rule_hits(claim.opposite_rules, plain)
            if denied or opposite:
                method, evidence = ("rule", "not: " + denied[1]) if denied else ("opposite", "; ".join(opposite))
                found.append(Match(claim.id, 0.8, method, evidence, DENIES))
        if not found and not NEGATION.search(plain) and not NON.search(plain):
            sentence_words = set(words(text))
            scored = sorted(((self.similarity(text, c.id), c.id) for c in self.claims), reverse=True)
            for overlap, claim_id in scored[:3]:
                shared = sentence_words & set(self.vectors[claim_id])
                # A claim that compares ("less respiratory depression than opioids") is never made by shared
                # words alone: "impaired breathing" shares its words and says the opposite.
                if claim_id in self.comparative and not COMPARISON.search(plain):
                    continue
                if overlap >= LEXICAL_THRESHOLD and len(shared) >= LEXICAL_MIN_SHARED:
                    found.append(Match(claim_id, round(min(overlap, 0.79), 3), "lexical", "; ".join(sorted(shared))))
        found = self._without_contrary(found, plain)
        found.sort(key=lambda m: (-m.score, m.claim_id))
        return found

    def _without_contrary(self, found: list[Match], plain: str) -> list[Match]:
        """A claim contrary to one the sentence asserts is kept only where the sentence states one of its findings
        (db/claims.yml `contrary`): "beneficial effects on liver health" is no report of liver harm."""
        if CONTRAST.search(plain):  # "liver-protective, but ... long-term use can lead to severe issues": both
            return found
        asserted = {m.claim_id for m in found if m.polarity == ASSERTS}
        doubted = {c for claim_id in asserted for c in self.by_id[claim_id].contrary}
        return [m for m in found if m.polarity != ASSERTS or m.claim_id not in doubted or any(
            f.stance == "supports" and rule_hits(f.rules, plain) for f in self.by_id[m.claim_id].findings)]
