"""Storing articles: versions, blocks and sentences, each with exact offsets.

An article is identified by its id. Adding the same text again changes nothing; changed text
becomes a new version, and the old version's sentences stay, marked not current. The stored
sentences are handed to the claims stage (`on_sentences`), which classifies them and records the
claims they make; all of it in one transaction, so a failure leaves nothing half-stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import sqlite_utils

from ..core.clock import utc_now
from .source import Document
from .structure import Structure, parse_structure

# (db, sentences as {id, text, block_kind, block_text, heading}, now) -> (claim sentences, unmatched claim sentences)
SentenceHandler = Callable[[sqlite_utils.Database, list, str], tuple]


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
    on_sentences: SentenceHandler | None = None,
    note: str | None = None,
    now: str | None = None,
) -> AddResult:
    """Store an article's text, blocks and sentences (a new version when the text changed)."""
    now = now or utc_now()
    digest = content_hash(document.text)
    with db.atomic():
        existing = next(iter(db["articles"].rows_where("id = ?", [article_id])), None)
        if existing:
            current = db["article_versions"].get((article_id, existing["current_version"]))
            if current["content_hash"] == digest:
                # What is known of it may have grown (a note, an index.yml title) though the text has not.
                known = {"note": note, "title": document.title, **document.known()}
                changed = {k: v for k, v in known.items() if v and v != existing.get(k)}
                if changed:
                    db["articles"].update(article_id, changed)
                return AddResult(article_id, "unchanged", existing["current_version"])
            version, status = existing["versions"] + 1, "new-version"
            db.execute("UPDATE article_versions SET is_current = 0 WHERE article_id = ?", [article_id])
            db.execute("UPDATE article_sentences SET is_current = 0 WHERE article_id = ?", [article_id])
        else:
            version, status = 1, "new"
        structure = parse_structure(document.text, document.headings)
        _store_version(db, document, article_id, version, structure, note, existing or {}, now, digest)
        sentences = _store_structure(db, article_id, version, structure)
        result = AddResult(article_id, status, version, sentences=len(sentences))
        if on_sentences is not None:
            result.claims, result.unmatched = on_sentences(db, sentences, now)
    return result


def _store_version(db, document: Document, article_id: str, version: int, structure: Structure, note, existing: dict,
                   now: str, digest: str) -> None:
    db["articles"].upsert(
        {
            "id": article_id,
            "title": document.title or structure.title,  # the source's (or index.yml's) title, else a title line
            "source": document.source,
            "note": note if note is not None else existing.get("note"),
            "content_type": document.content_type,
            "current_version": version,
            "versions": version,
            "first_added": existing.get("first_added") or now,
            "last_changed": now,
            **{name: value or existing.get(name) for name, value in document.known().items()},
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


def _store_structure(db, article_id: str, version: int, structure: Structure) -> list[dict]:
    """Blocks and sentences of one version; returns the sentences as the claims stage reads them."""
    prefix = f"{article_id}/v{version}"
    db["article_blocks"].insert_all(
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
        for position, block in enumerate(structure.blocks)
    )
    rows = []
    for position, sentence in enumerate(structure.sentences):
        block = structure.blocks[sentence.block]
        rows.append({
            "id": f"{prefix}/s{position}", "article_id": article_id, "version": version, "is_current": 1,
            "position": position, "block_id": f"{prefix}/b{sentence.block}", "block_kind": block.kind,
            "start": sentence.start, "end": sentence.end, "text": sentence.text,
        })
    db["article_sentences"].insert_all(rows)
    return [{"id": r["id"], "text": r["text"], "block_kind": r["block_kind"],
             "block_text": structure.blocks[sentence.block].text, "heading": _heading_text(structure, sentence.block)}
            for r, sentence in zip(rows, structure.sentences)]


def _heading_text(structure: Structure, block: int) -> str:
    section = structure.blocks[block].section
    return structure.blocks[section].text if section is not None else ""


def article_id_of_source(db: sqlite_utils.Database, source: str) -> str | None:
    """The id of the article last added from this path or URL, so that adding it again makes a new version."""
    row = db.execute("SELECT id FROM articles WHERE source = ? ORDER BY last_changed DESC LIMIT 1", [source]).fetchone()
    return row[0] if row else None


def article_name(row: dict) -> str:
    """How a person recognises an article: its title, else what the catalog says of it, else its
    file name in words ("kratom-and-the-liver" reads "kratom and the liver")."""
    if row.get("title"):
        return row["title"]
    note = (row.get("note") or "").split(";")[0].strip()
    name = row.get("article_id") or row.get("id") or ""
    return note or " ".join(name.replace("_", " ").replace("-", " ").split())
