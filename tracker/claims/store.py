"""The canonical claims in the database: loading the catalog and re-matching every sentence.

Loading is idempotent. A claim that left the catalog is retired: its row, its mentions and (later)
its paper links stay, with status 'retired'. After a load every stored sentence is classified
and matched again, because what counts as a claim depends on the catalog.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlite_utils

from ..articles.classify import SentenceClassifier
from ..articles.store import mention_rows_for
from ..store import utc_now
from .catalog import Claim, claims_from_rows


@dataclass
class CatalogLoad:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    retired: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)
    sentences: int = 0
    claim_sentences: int = 0
    unmatched: int = 0


def active_claims(db: sqlite_utils.Database) -> list[Claim]:
    rows = db.query("SELECT * FROM claims WHERE status = 'active' ORDER BY rowid")
    return claims_from_rows(rows)


def load_claims(db: sqlite_utils.Database, claims: list[Claim], now: str | None = None) -> CatalogLoad:
    now = now or utc_now()
    result = CatalogLoad()
    with db.atomic():
        stored = {row["id"]: row for row in db["claims"].rows}
        for claim in claims:
            row = claim.row()
            before = stored.get(claim.id)
            if before is None:
                db["claims"].insert({**row, "status": "active", "first_loaded": now, "last_loaded": now})
                result.added.append(claim.id)
                continue
            same = all(before.get(k) == v for k, v in row.items()) and before["status"] == "active"
            if before["status"] == "retired":
                result.revived.append(claim.id)
            elif not same:
                result.changed.append(claim.id)
            else:
                result.unchanged += 1
            db["claims"].update(claim.id, {**row, "status": "active", "retired_at": None, "last_loaded": now})
        present = {c.id for c in claims}
        for claim_id, row in stored.items():
            if claim_id not in present and row["status"] == "active":
                db["claims"].update(claim_id, {"status": "retired", "retired_at": now})
                result.retired.append(claim_id)
        counts = rematch_sentences(db, SentenceClassifier(claims), now)
        result.sentences, result.claim_sentences, result.unmatched = counts
    return result


def rematch_sentences(db: sqlite_utils.Database, classifier: SentenceClassifier, now: str) -> tuple[int, int, int]:
    """Classify and match every stored sentence again. Mentions of retired claims are kept.

    Runs inside load_claims' transaction, after the statuses are updated, so 'active' is the new catalog.
    """
    sentences = list(
        db.query(
            "SELECT s.id, s.text, s.block_kind, b.text AS block_text FROM article_sentences s "
            "JOIN article_blocks b ON b.id = s.block_id ORDER BY s.article_id, s.version, s.position"
        )
    )
    db.execute("DELETE FROM claim_mentions WHERE claim_id IN (SELECT id FROM claims WHERE status = 'active')")
    claim_count = unmatched = 0
    mentions = []
    for sentence in sentences:
        decided = classifier.classify(sentence["text"], sentence["block_kind"], sentence["block_text"])
        db["article_sentences"].update(
            sentence["id"],
            {
                "label": decided.label,
                "reason": decided.reason,
                "hedged": int(decided.hedged),
                "hedges": json.dumps(decided.hedges),
                "category": decided.category,
            },
        )
        mentions.extend(mention_rows_for(sentence["id"], decided.matches, now))
        if decided.label == "claim":
            claim_count += 1
            unmatched += not decided.matches
    if mentions:
        db["claim_mentions"].upsert_all(mentions, pk=("sentence_id", "claim_id"))
    return len(sentences), claim_count, unmatched
