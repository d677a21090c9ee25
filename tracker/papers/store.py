"""Writing parsed PubMed records into the database.

`save_records` upserts a batch by PMID. The caller owns the transaction, so a batch
(a file, an efetch page) is stored whole or not at all. A record whose derived content
is unchanged is left alone, which is what makes loading the same data twice a no-op.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Iterable

import sqlite_utils
from sqlite_utils.utils import chunks

from ..core.clock import utc_now
from ..core.schema import insert_sql, to_row
from .records import CHILD_TABLES, SOURCE_RANK, ParsedRecord

# SQLite's bound-parameter limit is 999 in older builds; stay under it.
CHUNK = 900


@dataclass
class SaveStats:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    kept_richer: int = 0  # a poorer source (seed, MEDLINE) did not overwrite a fuller record
    pmids: list = field(default_factory=list)  # every PMID of the batch that is a stored paper

    def add(self, other: "SaveStats") -> None:
        for name in ("new", "updated", "unchanged", "deleted", "kept_richer"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.pmids.extend(other.pmids)

    @property
    def records(self) -> int:
        return self.new + self.updated + self.unchanged + self.deleted + self.kept_richer


_INSERT_PAPER = insert_sql("papers", "INSERT OR REPLACE")
_INSERT_CHILD = {name: insert_sql(name) for name in CHILD_TABLES}
_INSERT_RAW = insert_sql("raw_records", "INSERT OR REPLACE")


def _child_rows(record: ParsedRecord) -> dict:
    return {name: [to_row(name, {**item, "pmid": record.pmid}) for item in getattr(record, attribute)]
            for name, attribute in CHILD_TABLES.items()}


def _existing(db: sqlite_utils.Database, pmids: list) -> dict:
    found = {}
    for chunk in chunks(pmids, CHUNK):
        chunk = list(chunk)
        sql = "SELECT pmid, record_source, content_hash, deleted, first_seen FROM papers WHERE pmid IN ({})".format(
            ",".join("?" for _ in chunk)
        )
        for pmid, source, content_hash, deleted, first_seen in db.execute(sql, chunk).fetchall():
            found[pmid] = (source, content_hash, deleted, first_seen)
    return found


def mesh_descriptors(db: sqlite_utils.Database, pmids: list[int]) -> dict[int, list[str]]:
    """Each paper's MeSH descriptors, in the record's order."""
    found: dict[int, list[str]] = {}
    for chunk in chunks(list(pmids), CHUNK):
        chunk = list(chunk)
        marks = ", ".join("?" for _ in chunk)
        for pmid, descriptor in db.execute(
                f"SELECT pmid, descriptor FROM mesh_headings WHERE pmid IN ({marks}) ORDER BY pmid, position", chunk):
            found.setdefault(pmid, []).append(descriptor)
    return found


def save_records(db: sqlite_utils.Database, records: Iterable[ParsedRecord], now: str | None = None) -> SaveStats:
    """Upsert records by PMID. Run it inside a transaction (`with db.atomic():`)."""
    records = list(records)
    now = now or utc_now()
    stats = SaveStats()
    existing = _existing(db, sorted({r.pmid for r in records}))
    paper_rows, raw_rows, replaced = [], [], []
    children: dict = {name: [] for name in CHILD_TABLES}
    latest: dict = {}
    for record in records:  # within a batch, the last version of a PMID wins
        latest[record.pmid] = record
    for pmid, record in latest.items():
        before = existing.get(pmid)
        if record.deleted:
            if before and not before[2]:
                db.execute("UPDATE papers SET deleted = 1, last_updated = ? WHERE pmid = ?", [now, pmid])
                stats.deleted += 1
            continue
        content_hash = record.content_hash()
        if before is not None:
            before_source, before_hash, before_deleted, first_seen = before
            if SOURCE_RANK.get(before_source, 0) > SOURCE_RANK[record.source]:
                stats.kept_richer += 1
                stats.pmids.append(pmid)
                continue
            if before_hash == content_hash and not before_deleted:
                stats.unchanged += 1
                stats.pmids.append(pmid)
                continue
            replaced.append(pmid)
            stats.updated += 1
        else:
            first_seen = now
            stats.new += 1
        stats.pmids.append(pmid)
        paper_rows.append(to_row("papers", {
            **record.paper, "pmid": pmid, "record_source": record.source, "is_seed": int(record.source == "seed"),
            "deleted": 0, "content_hash": content_hash, "first_seen": first_seen, "last_updated": now,
        }))
        for name, rows in _child_rows(record).items():
            children[name].extend(rows)
        if record.raw is not None:
            # zlib level 1: about 3x faster than the default for slightly larger blobs.
            raw_rows.append((pmid, record.source, zlib.compress(record.raw, 1), now))
    for chunk in chunks(replaced, CHUNK):
        chunk = list(chunk)
        marks = ",".join("?" for _ in chunk)
        for name in CHILD_TABLES:
            db.execute(f"DELETE FROM {name} WHERE pmid IN ({marks})", chunk)
    conn = db.conn
    conn.executemany(_INSERT_PAPER, paper_rows)
    for name, rows in children.items():
        if rows:
            conn.executemany(_INSERT_CHILD[name], rows)
    if raw_rows:
        conn.executemany(_INSERT_RAW, raw_rows)
    return stats

