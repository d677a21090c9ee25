"""Measuring sentence classification and claim matching against a hand-labelled gold file.

Two gold files, each every sentence of a set of articles with its offsets, label, hedging and, for
claims, the canonical claims it makes (tests/gold/README.md): the five source articles in db/articles
(tests/gold/article_sentences.tsv) and the development articles in ../shared/articles-dev
(tests/gold/dev_article_sentences.tsv), which the catalog was not written from.

A gold sentence's claims are tokens: `id` (asserts the claim), `-id` (asserts its opposite),
`a|b` (either one is right), `?id` (may be matched or not). A predicted sentence counts only if its
offsets equal the gold sentence's, so segmentation errors show up as errors here too.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..articles.source import read_article_file
from ..articles.structure import parse_structure
from ..core.errors import InputError
from ..core.files import reading
from ..core.paths import GOLD
from .catalog import Category, Claim
from .classify import SentenceClassifier
from .match import ASSERTS, DENIES

DEFAULT_GOLD = GOLD
LABELS = ("claim", "advice", "heading", "question", "other")


@dataclass(frozen=True)
class GoldClaim:
    """One token of a gold sentence's claims: the (claim, polarity) pairs that satisfy it."""

    choices: tuple[tuple[str, str], ...]
    optional: bool = False

    @classmethod
    def parse(cls, token: str) -> "GoldClaim":
        optional = token.startswith("?")
        choices = tuple((alt.lstrip("-"), DENIES if alt.startswith("-") else ASSERTS)
                        for alt in token.lstrip("?").split("|") if alt.strip("-"))
        return cls(choices, optional)


@dataclass
class GoldSentence:
    article: str
    start: int
    end: int
    label: str
    hedged: bool
    tokens: list[GoldClaim]
    text: str

    @property
    def claims(self) -> list[str]:
        """Every claim id the gold names for the sentence, main one first."""
        return list(dict.fromkeys(c for token in self.tokens for c, _ in token.choices))

    @property
    def allowed(self) -> set[tuple[str, str]]:
        return {pair for token in self.tokens for pair in token.choices}

    def judge(self, predicted: set[tuple[str, str]]) -> tuple[bool, int, int, int, int]:
        """(right, true positives, false positives, missed required tokens, polarity reversals)."""
        allowed = self.allowed
        required = [t for t in self.tokens if not t.optional]
        missed = sum(1 for t in required if not predicted & set(t.choices))
        extra = predicted - allowed
        reversed_ = {pair for pair in predicted if _opposite(pair) in allowed}
        return (not missed and not extra), len(predicted & allowed), len(extra), missed, len(reversed_)


def read_gold(path: str | Path = DEFAULT_GOLD) -> list[GoldSentence]:
    path = Path(path)
    with reading(path, "the gold file"), path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    gold = []
    for number, row in enumerate(rows, start=2):
        if row.get("label") not in LABELS:
            raise InputError(f"{path}, line {number}: label {row.get('label')!r} is not one of {', '.join(LABELS)}")
        gold.append(
            GoldSentence(
                row["article"], int(row["start"]), int(row["end"]), row["label"], row["hedged"] == "y",
                [GoldClaim.parse(t) for t in row["claims"].split()], row["text"],
            )
        )
    return gold


@dataclass
class Scorecard:
    """An article's claims as its scorecard lists them: what the gold says it makes, what the reader credits."""

    required: set = field(default_factory=set)  # (claim, polarity) some sentence surely makes
    allowed: set = field(default_factory=set)  # and those a sentence may make
    read: set = field(default_factory=set)

    @property
    def credited_wrongly(self) -> list[tuple[str, str]]:
        """Claims on the scorecard that no sentence of the article makes."""
        return sorted(self.read - self.allowed)

    @property
    def left_off(self) -> list[tuple[str, str]]:
        """Claims the article makes that the scorecard misses."""
        return sorted(self.required - self.read)


@dataclass
class Report:
    sentences: int = 0
    segmentation_misses: int = 0
    confusion: Counter = field(default_factory=Counter)  # (gold, predicted) -> count
    hedge_agreement: int = 0
    matched_claims: int = 0  # gold claims that were also predicted claims
    top1_correct: int = 0
    set_tp: int = 0
    set_fp: int = 0
    set_fn: int = 0
    matched_right: int = 0  # claims found by both whose claims and polarities are all right
    reversals: int = 0  # matches whose polarity is the opposite of the gold's
    errors: list[str] = field(default_factory=list)
    # Per claim: how often it was read right, missed (a sentence makes it, the reader did not find it), over-read
    # (credited to a sentence that does not make it) or reversed (found with the opposite polarity).
    by_claim: dict[str, Counter] = field(default_factory=dict)
    # Per article: what the gold says it claims and what the reader credits it with, as (claim, polarity) pairs.
    scorecards: dict[str, "Scorecard"] = field(default_factory=dict)
    # Seconds each article took to read (segment and classify every sentence): what a reading adds to a page.
    reading_seconds: list[float] = field(default_factory=list)

    def tally(self, claim_id: str, outcome: str) -> None:
        self.by_claim.setdefault(claim_id, Counter())[outcome] += 1

    def precision(self, label="claim") -> float:
        predicted = sum(n for (g, p), n in self.confusion.items() if p == label)
        return self.confusion[(label, label)] / predicted if predicted else 0.0

    def recall(self, label="claim") -> float:
        gold = sum(n for (g, p), n in self.confusion.items() if g == label)
        return self.confusion[(label, label)] / gold if gold else 0.0

    @property
    def accuracy(self) -> float:
        return sum(n for (g, p), n in self.confusion.items() if g == p) / self.sentences if self.sentences else 0.0

    @property
    def top1_accuracy(self) -> float:
        return self.top1_correct / self.matched_claims if self.matched_claims else 0.0

    def as_dict(self) -> dict:
        return {
            "sentences": self.sentences,
            "segmentation_misses": self.segmentation_misses,
            "label_accuracy": round(self.accuracy, 3),
            "claim_precision": round(self.precision(), 3),
            "claim_recall": round(self.recall(), 3),
            "advice_precision": round(self.precision("advice"), 3),
            "advice_recall": round(self.recall("advice"), 3),
            "hedge_agreement": round(self.hedge_agreement / self.sentences, 3) if self.sentences else 0.0,
            "claims_both_detected": self.matched_claims,
            "claim_match_top1_accuracy": round(self.top1_accuracy, 3),
            "claim_match_set_precision": round(self.set_tp / (self.set_tp + self.set_fp), 3) if self.set_tp else 0.0,
            "claim_match_set_recall": round(self.set_tp / (self.set_tp + self.set_fn), 3) if self.set_tp else 0.0,
            "claim_matched_right": round(self.matched_right / self.matched_claims, 3) if self.matched_claims else 0.0,
            "polarity_reversals": self.reversals,
            "reading_ms_per_page": {"mean": round(1000 * sum(self.reading_seconds) / len(self.reading_seconds), 1)
                                    if self.reading_seconds else 0.0,
                                    "longest": round(1000 * max(self.reading_seconds, default=0.0), 1)},
            "by_claim": {claim: dict(sorted(counts.items())) for claim, counts in sorted(self.by_claim.items())},
            "scorecards": {article: {"credited_wrongly": [_claim_text(c) for c in card.credited_wrongly],
                                     "left_off": [_claim_text(c) for c in card.left_off]}
                           for article, card in sorted(self.scorecards.items())},
        }


def evaluate(gold: list[GoldSentence], articles_dir: str | Path, claims: list[Claim],
             categories: list[Category] | None = None) -> Report:
    classifier = SentenceClassifier(claims, categories)
    report = Report()
    by_article: dict[str, list[GoldSentence]] = {}
    for sentence in gold:
        by_article.setdefault(sentence.article, []).append(sentence)
    for article, expected in sorted(by_article.items()):
        candidates = sorted(Path(articles_dir).glob(article + ".*"))
        if not candidates:
            raise InputError(f"{articles_dir}: no file for the gold article {article}")
        document = read_article_file(candidates[0])
        started = time.perf_counter()
        structure = parse_structure(document.text, document.headings)
        predicted = {}
        for sentence in structure.sentences:
            block = structure.blocks[sentence.block]
            heading = structure.blocks[block.section].text if block.section is not None else ""
            predicted[(sentence.start, sentence.end)] = classifier.classify(sentence.text, block.kind, block.text, heading)
        report.reading_seconds.append(time.perf_counter() - started)
        card = report.scorecards[article] = Scorecard()
        for result in predicted.values():
            if result.label == "claim":
                card.read.update((m.claim_id, m.polarity) for m in result.matches)
        for item in expected:
            if item.label == "claim":
                card.allowed |= item.allowed
                card.required.update(t.choices[0] for t in item.tokens if not t.optional and len(t.choices) == 1)
            report.sentences += 1
            result = predicted.get((item.start, item.end))
            if result is None:
                report.segmentation_misses += 1
                report.confusion[(item.label, "missing")] += 1
                report.errors.append(f"{article} {item.start}-{item.end}: not a sentence of ours: {item.text[:70]}")
                continue
            report.confusion[(item.label, result.label)] += 1
            report.hedge_agreement += result.hedged == item.hedged
            if item.label != result.label:
                report.errors.append(
                    f"{article} {item.start}: gold {item.label}, got {result.label} ({result.reason}): {item.text[:90]}"
                )
            if item.label == "claim" and result.label == "claim":
                report.matched_claims += 1
                got = [(m.claim_id, m.polarity) for m in result.matches]
                right, tp, fp, fn, reversals = item.judge(set(got))
                report.top1_correct += bool(got) and got[0] in item.allowed
                report.matched_right += right
                report.reversals += reversals
                report.set_tp, report.set_fp, report.set_fn = report.set_tp + tp, report.set_fp + fp, report.set_fn + fn
                _tally_claims(report, item, set(got))
                if not right:
                    shown = [c if p == ASSERTS else "-" + c for c, p in got]
                    report.errors.append(f"{article} {item.start}: claims {' '.join(_token_text(t) for t in item.tokens)}"
                                         f", got {' '.join(shown) or 'none'}: {item.text[:80]}")
    return report


def _tally_claims(report: Report, item: GoldSentence, predicted: set[tuple[str, str]]) -> None:
    allowed = item.allowed
    for token in item.tokens:
        if predicted & set(token.choices):
            report.tally(token.choices[0][0], "right")
        elif any(_opposite(pair) in predicted for pair in token.choices):
            report.tally(token.choices[0][0], "reversed")
        elif not token.optional:
            report.tally(token.choices[0][0], "missed")
    for pair in predicted - allowed:
        if _opposite(pair) not in allowed:
            report.tally(pair[0], "over-read")


def per_claim_lines(report: Report) -> list[str]:
    """The claims the reader gets wrong, worst first, with what that changes on the articles' scorecards."""
    lines = []
    wrong = {c: n for c, n in report.by_claim.items() if n["missed"] or n["over-read"] or n["reversed"]}
    for claim, counts in sorted(wrong.items(), key=lambda item: (-(item[1]["missed"] + item[1]["over-read"] +
                                                                    item[1]["reversed"]), item[0])):
        parts = [f"{counts[k]} {k}" for k in ("missed", "over-read", "reversed") if counts[k]]
        lines.append(f"{claim}: {', '.join(parts)}; {counts['right']} read right")
    for article, card in sorted(report.scorecards.items()):
        if card.credited_wrongly or card.left_off:
            said = []
            if card.credited_wrongly:
                said.append("credited with " + ", ".join(_claim_text(c) for c in card.credited_wrongly) +
                            " (no sentence makes it)")
            if card.left_off:
                said.append("misses " + ", ".join(_claim_text(c) for c in card.left_off))
            lines.append(f"scorecard of {article}: {'; '.join(said)}")
    return lines


def _claim_text(pair: tuple[str, str]) -> str:
    claim, polarity = pair
    return claim if polarity == ASSERTS else "-" + claim


def _opposite(pair: tuple[str, str]) -> tuple[str, str]:
    claim, polarity = pair
    return claim, ASSERTS if polarity == DENIES else DENIES


def _token_text(token: GoldClaim) -> str:
    return ("?" if token.optional else "") + "|".join(_claim_text(pair) for pair in token.choices)
