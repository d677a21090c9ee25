"""Storing articles: versions, blocks, classified sentences and their claim mentions.

An article is identified by its id. Adding the same text again changes nothing; changed text
becomes a new version, and the old version's sentences and mentions stay, marked not current.
Each article is written in one transaction, so a failure leaves nothing half-stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlite_utils

from ..store import utc_now
from .classify import SentenceClassifier
from .source import Document
from .structure import parse_structure


@dataclass
class AddResult:
    article_id: str
    status: str  # new | unchanged | new-version
    version: int
    sentences: int = 0
    claims: int = 0
    unmatched: int = 0


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def add_article(
    db: sqlite_utils.Database,
    document: Document,
    article_id: str,
    classifier: SentenceClassifier,
    note: str | None = None,
    now: str | None = None,
) -> AddResult:
    now = now or utc_now()
    digest = content_hash(document.text)
    with db.atomic():
        existing = next(iter(db["articles"].rows_where("id = ?", [article_id])), None)
        if existing:
            current = db["article_versions"].get((article_id, existing["current_version"]))
            if current["content_hash"] == digest:
                if note and note != existing.get("note"):
                    db["articles"].update(article_id, {"note": note})
                return AddResult(article_id, "unchanged", existing["current_version"])
            version = existing["versions"] + 1
            db.execute(
                "UPDATE article_versions SET is_current = 0 WHERE article_id = ?", [article_id]
            )
            db.execute("UPDATE article_sentences SET is_current = 0 WHERE article_id = ?", [article_id])
            status = "new-version"
        else:
            version, status = 1, "new"
        structure = parse_structure(document.text, document.headings)
        db["articles"].upsert(
            {
                "id": article_id,
                "title": structure.title or document.title,
                "source": document.source,
                "note": note if note is not None else (existing or {}).get("note"),
                "content_type": document.content_type,
                "current_version": version,
                "versions": version,
                "first_added": (existing or {}).get("first_added") or now,
                "last_changed": now,
            },
            pk="id",
        )
        db["article_versions"].insert(
            {
                "article_id": article_id,
                "version": version,
                "is_current": 1,
                "content_hash": digest,
                "text": document.text,
                "content_type": document.content_type,
                "source": document.source,
                "added": now,
            }
        )
        prefix = f"{article_id}/v{version}"
        block_rows = []
        for position, block in enumerate(structure.blocks):
            block_rows.append(
                {
                    "id": f"{prefix}/b{position}",
                    "article_id": article_id,
                    "version": version,
                    "position": position,
                    "kind": block.kind,
                    "start": block.start,
                    "end": block.end,
                    "text": block.text,
                    "heading_id": f"{prefix}/b{block.section}" if block.section is not None else None,
                }
            )
        db["article_blocks"].insert_all(block_rows)
        result = AddResult(article_id, status, version)
        sentence_rows, mention_rows = [], []
        for position, sentence in enumerate(structure.sentences):
            block = structure.blocks[sentence.block]
            decided = classifier.classify(sentence.text, block.kind, block.text)
            sentence_id = f"{prefix}/s{position}"
            sentence_rows.append(
                {
                    "id": sentence_id,
                    "article_id": article_id,
                    "version": version,
                    "is_current": 1,
                    "position": position,
                    "block_id": f"{prefix}/b{sentence.block}",
                    "block_kind": block.kind,
                    "start": sentence.start,
                    "end": sentence.end,
                    "text": sentence.text,
                    "label": decided.label,
                    "reason": decided.reason,
                    "hedged": int(decided.hedged),
                    "hedges": json.dumps(decided.hedges),
                    "category": decided.category,
                }
            )
            mention_rows.extend(mention_rows_for(sentence_id, decided.matches, now))
            result.sentences += 1
            if decided.label == "claim":
                result.claims += 1
                result.unmatched += not decided.matches
        db["article_sentences"].insert_all(sentence_rows)
        if mention_rows:
            db["claim_mentions"].insert_all(mention_rows)
    return result


def mention_rows_for(sentence_id: str, matches, now: str) -> list[dict]:
    return [
        {
            "sentence_id": sentence_id,
            "claim_id": match.claim_id,
            "rank": rank,
            "score": match.score,
            "method": match.method,
            "evidence": match.evidence,
            "matched_at": now,
        }
        for rank, match in enumerate(matches, start=1)
    ]
