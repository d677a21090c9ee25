"""The sentences of a paper, and the one that bears on a claim.

A paper's sentences come from its title and its abstract, each with its offsets into the stored
field (`papers.<field>[start:end] == text`) and, for a structured abstract, its section label.
The rationale for a link is the sentence that bears most on the claim:

- words shared with the claim (statement and synonyms), weighted by how rare each is among the
  sentences considered, and pairs of adjacent words shared (a phrase, not only its words);
- a sentence that states one of the claim's findings (db/claims.yml) counts extra;
- in a structured abstract, RESULTS and CONCLUSIONS sentences count extra, BACKGROUND and
  OBJECTIVE ones less: they say what was found rather than what was asked;
- a sentence that asks or states an aim ("whether", "we aimed to") counts less, and names no finding.

With the semantic extra and `tracker model build`, a learned ranker (link/ranker.py) picks instead.

The sentence's place in the abstract is not scored (it only breaks ties): a benchmark that lists
the annotated sentence first would reward it, real abstracts would not.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from ..articles.structure import split_sentences
from ..claims.catalog import Claim, normalise, rule_hits
from ..claims.match import words

# Section labels as PubMed's NlmCategory groups them, and how much a sentence of each counts.
SECTION_WEIGHT = {"RESULTS": 1.5, "CONCLUSIONS": 1.5, "METHODS": 0.0, "BACKGROUND": -1.0, "OBJECTIVE": -1.0}
_SECTION_OF = {
    "RESULT": "RESULTS", "FINDING": "RESULTS", "CONCLUSION": "CONCLUSIONS", "INTERPRETATION": "CONCLUSIONS",
    "DISCUSSION": "CONCLUSIONS", "METHOD": "METHODS", "DESIGN": "METHODS", "SETTING": "METHODS",
    "PARTICIPANT": "METHODS", "PATIENT": "METHODS", "MEASURE": "METHODS", "BACKGROUND": "BACKGROUND",
    "INTRODUCTION": "BACKGROUND", "CONTEXT": "BACKGROUND", "OBJECTIVE": "OBJECTIVE", "AIM": "OBJECTIVE",
    "PURPOSE": "OBJECTIVE",
}
FINDING_WEIGHT = 3.0
BIGRAM_WEIGHT = 1.0
# A sentence that asks or states an aim restates the question: it is not quoted over one that reports, and a
# finding it names is not stated.
ASKS = re.compile(r"\b(?:whether|we (?:aimed|sought|investigated|examined|evaluated|hypothesi[sz]ed)|aims?|"
                  r"objectives?|purpose|to (?:investigate|determine|examine|evaluate|assess|explore))\b", re.I)
ASKING_WEIGHT = -2.0
_LABEL = re.compile(r"^([A-Z][A-Z ,&/-]{2,60}): ")  # how the store writes a section: "RESULTS: ..."
_TOKEN = re.compile(r"[a-z0-9μ]+")


@dataclass
class PaperSentence:
    text: str
    field: str  # title | abstract
    start: int
    end: int
    section: str | None = None  # RESULTS, CONCLUSIONS, ... for structured abstracts


def section_of(label: str | None) -> str | None:
    """A section label as one of PubMed's categories (RESULTS, CONCLUSIONS, ...), or None."""
    if not label:
        return None
    upper = label.upper()
    return next((category for key, category in _SECTION_OF.items() if key in upper), None)


def paper_sentences(title: str | None, abstract: str | None) -> list[PaperSentence]:
    """The title as one sentence, then each abstract sentence with its section."""
    found = [PaperSentence(title, "title", 0, len(title))] if title and title.strip() else []
    text = abstract or ""
    position = 0
    for block in text.split("\n\n"):
        start, position = position, position + len(block) + 2
        label = _LABEL.match(block)
        offset = start + (label.end() if label else 0)
        section = section_of(label.group(1)) if label else None
        for s, e in split_sentences(text, offset, start + len(block)):
            found.append(PaperSentence(text[s:e], "abstract", s, e, section))
    return found


def word_rarity(sentence_words: list[set[str]]) -> dict[str, float]:
    """How rare each word is among these sentences (their word sets): an IDF over the paper's own sentences."""
    frequency = Counter(w for found in sentence_words for w in found)
    count = len(sentence_words)
    return {w: math.log((count + 1) / (n + 1)) + 1 for w, n in frequency.items()}


def word_pairs(text: str) -> set[tuple[str, str]]:
    """The pairs of adjacent words of a text, normalised: a phrase shared, not only its words."""
    tokens = _TOKEN.findall(normalise(text))
    return set(zip(tokens, tokens[1:]))


class RationaleScorer:
    """Scores sentences against one claim; the rarity of words is counted over the sentences given."""

    def __init__(self, claim: Claim, claim_text: str | None = None):
        self.claim = claim
        self.text = text = claim_text or " ".join([claim.statement, *claim.synonyms])
        self.stems = set(words(text))
        self.bigrams = word_pairs(text)

    def rarity(self, sentences: list[PaperSentence]) -> dict[str, float]:
        return word_rarity([set(words(s.text)) for s in sentences])

    def finding(self, sentence: PaperSentence):
        """(finding, matched terms) of the first of the claim's findings the sentence states, or None. A sentence
        that asks or states an aim ("we aimed to determine whether kratom causes ...") states none."""
        if ASKS.search(sentence.text):
            return None
        plain = normalise(sentence.text)
        for finding in self.claim.findings:
            hits = rule_hits(finding.rules, plain)
            if hits:
                return finding, hits
        return None

    def score(self, sentence: PaperSentence, rarity: dict[str, float]) -> float:
        shared = self.stems & set(words(sentence.text))
        score = sum(rarity.get(w, 1.0) for w in shared)
        score += BIGRAM_WEIGHT * len(self.bigrams & word_pairs(sentence.text))
        score += SECTION_WEIGHT.get(sentence.section or "", 0.0)
        if ASKS.search(sentence.text):
            score += ASKING_WEIGHT
        elif self.claim.findings and self.finding(sentence):
            score += FINDING_WEIGHT
        return score

    def best(self, sentences: list[PaperSentence], rarity: dict[str, float] | None = None) -> PaperSentence | None:
        """The sentence that bears most on the claim; ties go to the title, then to the earlier sentence."""
        if not sentences:
            return None
        rarity = rarity if rarity is not None else self.rarity(sentences)
        scored = [(self.score(s, rarity), -number) for number, s in enumerate(sentences)]
        return sentences[-max(scored)[1]]
