"""The canonical claims in the database: loading the catalog, classifying sentences, listing claims.

Loading is idempotent. A claim that left the catalog is retired: its row, its mentions and its
paper links stay, with status 'retired'. After a load every stored sentence is classified and
matched again, because what counts as a claim depends on the catalog. `classify_sentences` is the
one writer of a sentence's label and its claim mentions, for new articles and re-matching alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlite_utils

from ..core.clock import utc_now
from ..core.errors import TrackerError
from ..core.paths import CLAIMS
from .catalog import Category, Claim, categories_from_rows, claims_from_rows, read_catalog
from .classify import SentenceClassifier


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


def stored_categories(db: sqlite_utils.Database) -> list[Category]:
    """The catalog's categories as last loaded, in the file's order."""
    if not db["claim_categories"].exists():
        return []
    return categories_from_rows(db.query("SELECT * FROM claim_categories ORDER BY position"))


def load_claims(db: sqlite_utils.Database, claims: list[Claim], now: str | None = None,
                categories: list[Category] | None = None) -> CatalogLoad:
    """Load the catalog's claims (and, when given, its categories, replacing the stored ones)."""
    now = now or utc_now()
    result = CatalogLoad()
    with db.atomic():
        if categories is not None:
            db.execute("DELETE FROM claim_categories")
            db["claim_categories"].insert_all(c.row(position) for position, c in enumerate(categories))
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
        counts = rematch_sentences(db, SentenceClassifier(claims, stored_categories(db)), now)
        result.sentences, result.claim_sentences, result.unmatched = counts
    return result


def rematch_sentences(db: sqlite_utils.Database, classifier: SentenceClassifier, now: str) -> tuple[int, int, int]:
    """Classify and match every stored sentence again. Mentions of retired claims are kept.

    Runs inside load_claims' transaction, after the statuses are updated, so 'active' is the new catalog.
    """
    sentences = list(
        db.query(
            "SELECT s.id, s.text, s.block_kind, b.text AS block_text, coalesce(h.text, '') AS heading "
            "FROM article_sentences s JOIN article_blocks b ON b.id = s.block_id "
            "LEFT JOIN article_blocks h ON h.id = b.heading_id ORDER BY s.article_id, s.version, s.position"
        )
    )
    db.execute("DELETE FROM claim_mentions WHERE claim_id IN (SELECT id FROM claims WHERE status = 'active')")
    claim_count, unmatched = classify_sentences(db, classifier, sentences, now)
    return len(sentences), claim_count, unmatched


def classify_sentences(db: sqlite_utils.Database, classifier: SentenceClassifier, sentences: list[dict],
                       now: str) -> tuple[int, int]:
    """Label each sentence ({id, text, block_kind, block_text, heading}) and record the claims it makes.

    Returns (claim sentences, claim sentences matching no canonical claim). Run it in a transaction.
    """
    labels, mentions = [], []
    claim_count = unmatched = 0
    for sentence in sentences:
        decided = classifier.classify(sentence["text"], sentence["block_kind"], sentence["block_text"],
                                      sentence.get("heading") or "")
        labels.append((decided.label, decided.reason, int(decided.hedged), json.dumps(decided.hedges),
                       decided.category, sentence["id"]))
        mentions.extend(
            {"sentence_id": sentence["id"], "claim_id": match.claim_id, "rank": rank, "score": match.score,
             "method": match.method, "evidence": match.evidence, "matched_at": now, "polarity": match.polarity}
            for rank, match in enumerate(decided.matches, start=1)
        )
        if decided.label == "claim":
            claim_count += 1
            unmatched += not decided.matches
    db.conn.executemany(
        "UPDATE article_sentences SET label = ?, reason = ?, hedged = ?, hedges = ?, category = ? WHERE id = ?", labels
    )
    if mentions:
        db["claim_mentions"].upsert_all(mentions, pk=("sentence_id", "claim_id"))
    return claim_count, unmatched


def sentence_handler(classifier: SentenceClassifier):
    """What `articles.store.add_article` hands a new article's sentences to."""
    return lambda db, sentences, now: classify_sentences(db, classifier, sentences, now)


def classifier_for(db: sqlite_utils.Database) -> tuple[SentenceClassifier, int]:
    """A classifier for the loaded catalog, and how many claims had to be loaded first (db/claims.yml,
    on a database without a catalog)."""
    claims = active_claims(db)
    loaded = 0
    if not claims and CLAIMS.exists():
        catalog = read_catalog(CLAIMS)
        loaded = len(load_claims(db, catalog.claims, categories=catalog.categories).added)
        claims = active_claims(db)
    if not claims:
        raise TrackerError("no claims loaded; run `tracker claims load db/claims.yml` first")
    return SentenceClassifier(claims, stored_categories(db)), loaded


# ---- reading: what the listings show ----

def claim_listing(db: sqlite_utils.Database, include_retired: bool = False) -> list[dict]:
    """The canonical claims with how many current article sentences (and articles) make each."""
    where = "" if include_retired else "WHERE c.status = 'active'"
    return list(db.query(
        f"""SELECT c.id, c.category, c.status, c.statement,
                   count(DISTINCT s.id) AS mentions, count(DISTINCT s.article_id) AS articles
            FROM claims c LEFT JOIN claim_mentions m ON m.claim_id = c.id
            LEFT JOIN article_sentences s ON s.id = m.sentence_id AND s.is_current = 1 AND s.label = 'claim'
            {where} GROUP BY c.id ORDER BY c.rowid"""
    ))


UNMATCHED = """FROM article_sentences s WHERE s.label = 'claim' AND s.is_current = 1
               AND NOT EXISTS (SELECT 1 FROM claim_mentions m WHERE m.sentence_id = s.id)"""


def unmatched_sentences(db: sqlite_utils.Database) -> list[dict]:
    """Claim sentences of current article versions that match no canonical claim."""
    return list(db.query(f"SELECT s.id, s.text, s.category {UNMATCHED} ORDER BY s.article_id, s.position"))


def catalog_counts(db: sqlite_utils.Database) -> dict:
    """Articles, sentences, claim sentences, unmatched ones, active and retired canonical claims."""
    articles, sentences, claim_sentences = db.execute(
        "SELECT count(DISTINCT article_id), count(*), coalesce(sum(label = 'claim'), 0) "
        "FROM article_sentences WHERE is_current = 1").fetchone()
    active, retired = db.execute(
        "SELECT coalesce(sum(status = 'active'), 0), coalesce(sum(status = 'retired'), 0) FROM claims").fetchone()
    return {"articles": articles, "sentences": sentences, "claim_sentences": claim_sentences,
            "unmatched": db.execute(f"SELECT count(*) {UNMATCHED}").fetchone()[0],
            "active_claims": active, "retired_claims": retired}


def article_sentences(db: sqlite_utils.Database, article_id: str, version: int | None = None,
                      label: str | None = None) -> tuple[int, list[dict]]:
    """(version, its sentences with the claims each matched), for `tracker articles show`."""
    article = db.execute("SELECT current_version FROM articles WHERE id = ?", [article_id]).fetchone()
    if article is None:
        raise TrackerError(f"no article {article_id!r}; `tracker articles list` shows what is stored")
    version = version or article[0]
    sql = """SELECT s.*, (SELECT group_concat(CASE WHEN polarity = 'denies' THEN 'NOT ' ELSE '' END || claim_id || ' '
                                            || printf('%.2f', score) || ' ' || method, '; ')
                           FROM (SELECT * FROM claim_mentions m WHERE m.sentence_id = s.id ORDER BY rank)) AS matched
             FROM article_sentences s WHERE article_id = ? AND version = ?"""
    params: list = [article_id, version]
    if label:
        sql += " AND label = ?"
        params.append(label)
    rows = list(db.query(sql + " ORDER BY position", params))
    if not rows:
        raise TrackerError(f"{article_id} has no version {version}")
    return version, rows


def article_listing(db: sqlite_utils.Database) -> list[dict]:
    """Each article with its current version and counts of sentences and claims."""
    return list(db.query(
        """SELECT a.id, a.current_version AS version, coalesce(a.title, '') AS title,
                  sum(s.label = 'claim') AS claims, count(s.id) AS sentences
           FROM articles a LEFT JOIN article_sentences s ON s.article_id = a.id AND s.is_current = 1
           GROUP BY a.id ORDER BY a.id"""
    ))
