"""Writing parsed PubMed records into the database.

`save_records` upserts a batch by PMID. The caller owns the transaction, so a batch
(a file, an efetch page) is stored whole or not at all. A record whose derived content
is unchanged is left alone, which is what makes loading the same data twice a no-op.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

import sqlite_utils

from .pubmed.records import PAPER_FIELDS, SOURCE_RANK, ParsedRecord, paper_row

CHILD_TABLES = ("authors", "mesh_headings", "chemicals", "comments_corrections")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


_PAPER_COLUMNS = (
    list(PAPER_FIELDS) + ["record_source", "is_seed", "deleted", "content_hash", "first_seen", "last_updated"]
)
_INSERT_PAPER = "INSERT OR REPLACE INTO papers ({}) VALUES ({})".format(
    ", ".join(f"[{c}]" for c in _PAPER_COLUMNS), ", ".join("?" for _ in _PAPER_COLUMNS)
)
_INSERT_CHILD = {
    "authors": (
        "INSERT INTO authors (pmid, role, position, last_name, fore_name, initials, suffix, "
        "collective_name, affiliations, orcid, equal_contrib) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    ),
    "mesh_headings": (
        "INSERT INTO mesh_headings (pmid, position, descriptor_ui, descriptor, descriptor_major, "
        "major_topic, qualifiers) VALUES (?,?,?,?,?,?,?)"
    ),
    "chemicals": "INSERT INTO chemicals (pmid, position, registry_number, name, ui) VALUES (?,?,?,?,?)",
    "comments_corrections": (
        "INSERT INTO comments_corrections (pmid, position, ref_type, ref_pmid, ref_source, note) "
        "VALUES (?,?,?,?,?,?)"
    ),
}


def _child_rows(record: ParsedRecord) -> dict:
    pmid = record.pmid
    return {
        "authors": [
            (
                pmid, a["role"], a["position"], a["last_name"], a["fore_name"], a["initials"], a["suffix"],
                a["collective_name"], json.dumps(a["affiliations"], ensure_ascii=False) if a["affiliations"] else None,
                a["orcid"], int(bool(a["equal_contrib"])),
            )
            for a in record.authors
        ],
        "mesh_headings": [
            (
                pmid, m["position"], m["descriptor_ui"], m["descriptor"], int(m["descriptor_major"]),
                int(m["major_topic"]), json.dumps(m["qualifiers"], ensure_ascii=False) if m["qualifiers"] else None,
            )
            for m in record.mesh
        ],
        "chemicals": [
            (pmid, c["position"], c["registry_number"], c["name"], c["ui"]) for c in record.chemicals
        ],
        "comments_corrections": [
            (pmid, c["position"], c["ref_type"], c["ref_pmid"], c["ref_source"], c["note"])
            for c in record.comments_corrections
        ],
    }


def _existing(db: sqlite_utils.Database, pmids: list) -> dict:
    found = {}
    for start in range(0, len(pmids), 900):  # stay under SQLite's bound-parameter limit
        chunk = pmids[start : start + 900]
        sql = "SELECT pmid, record_source, content_hash, deleted, first_seen FROM papers WHERE pmid IN ({})".format(
            ",".join("?" for _ in chunk)
        )
        for pmid, source, content_hash, deleted, first_seen in db.execute(sql, chunk).fetchall():
            found[pmid] = (source, content_hash, deleted, first_seen)
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
        row = paper_row(record)
        row.update(
            record_source=record.source,
            is_seed=int(record.source == "seed"),
            deleted=0,
            content_hash=content_hash,
            first_seen=first_seen,
            last_updated=now,
        )
        paper_rows.append([row[c] for c in _PAPER_COLUMNS])
        for name, rows in _child_rows(record).items():
            children[name].extend(rows)
        if record.raw is not None:
            # zlib level 1: about 3x faster than the default for slightly larger blobs.
            raw_rows.append((pmid, record.source, zlib.compress(record.raw, 1), now))
    for start in range(0, len(replaced), 900):
        chunk = replaced[start : start + 900]
        marks = ",".join("?" for _ in chunk)
        for name in CHILD_TABLES:
            db.execute(f"DELETE FROM {name} WHERE pmid IN ({marks})", chunk)
    conn = db.conn
    conn.executemany(_INSERT_PAPER, paper_rows)
    for name, rows in children.items():
        if rows:
            conn.executemany(_INSERT_CHILD[name], rows)
    if raw_rows:
        conn.executemany(
            "INSERT OR REPLACE INTO raw_records (pmid, format, compressed, stored_at) VALUES (?,?,?,?)", raw_rows
        )
    return stats

