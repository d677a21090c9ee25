"""Measuring sentence classification and claim matching against a hand-labelled gold file.

The gold file (tests/gold/article_sentences.tsv) holds every sentence of the source articles with
its offsets, label, hedging and, for claims, the canonical claims it makes (first = main one).
A predicted sentence counts only if its offsets equal the gold sentence's, so segmentation
errors show up as errors here too.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..articles.source import read_article_file
from ..articles.structure import parse_structure
from ..core.errors import InputError
from ..core.files import reading
from ..core.paths import GOLD
from .catalog import Claim
from .classify import SentenceClassifier

DEFAULT_GOLD = GOLD
LABELS = ("claim", "advice", "heading", "question", "other")


@dataclass
class GoldSentence:
    article: str
    start: int
    end: int
    label: str
    hedged: bool
    claims: list[str]
    text: str


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
                row["claims"].split(), row["text"],
            )
        )
    return gold


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
    errors: list[str] = field(default_factory=list)

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
        }


def evaluate(gold: list[GoldSentence], articles_dir: str | Path, claims: list[Claim]) -> Report:
    classifier = SentenceClassifier(claims)
    report = Report()
    by_article: dict[str, list[GoldSentence]] = {}
    for sentence in gold:
        by_article.setdefault(sentence.article, []).append(sentence)
    for article, expected in sorted(by_article.items()):
        candidates = sorted(Path(articles_dir).glob(article + ".*"))
        if not candidates:
            raise InputError(f"{articles_dir}: no file for the gold article {article}")
        document = read_article_file(candidates[0])
        structure = parse_structure(document.text, document.headings)
        predicted = {}
        for sentence in structure.sentences:
            block = structure.blocks[sentence.block]
            predicted[(sentence.start, sentence.end)] = classifier.classify(sentence.text, block.kind, block.text)
        for item in expected:
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
                got = [m.claim_id for m in result.matches]
                if got and got[0] in item.claims:
                    report.top1_correct += 1
                else:
                    report.errors.append(
                        f"{article} {item.start}: claims {item.claims}, got {got[:3]}: {item.text[:80]}"
                    )
                report.set_tp += len(set(got) & set(item.claims))
                report.set_fp += len(set(got) - set(item.claims))
                report.set_fn += len(set(item.claims) - set(got))
    return report
