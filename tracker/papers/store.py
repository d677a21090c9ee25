"""Writing parsed PubMed records into the database.

`save_records` upserts a batch by PMID. The caller owns the transaction, so a batch
(a file, an efetch page) is stored whole or not at all. A record whose derived content
is unchanged is left alone, which is what makes loading the same data twice a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

import sqlite_utils
from sqlite_utils.utils import chunks

from ..core.clock import utc_now
from ..core.schema import PAPER_SEARCH, PAPER_SEARCH_SOURCE, TABLES, insert_sql, to_row
from .compress import CODEC, compress_raw, keep_dictionary
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
_INSERT_EVIDENCE = insert_sql("paper_evidence", "INSERT OR REPLACE")


_PAPER_COLUMNS = TABLES["papers"].names
_FIRST_SEEN, _LAST_UPDATED = _PAPER_COLUMNS.index("first_seen"), _PAPER_COLUMNS.index("last_updated")


def _child_rows(record: ParsedRecord) -> dict:
    return {name: [to_row(name, {**item, "pmid": record.pmid}) for item in getattr(record, attribute)]
            for name, attribute in CHILD_TABLES.items()}


def _select_in(db: sqlite_utils.Database, sql: str, pmids) -> Iterator[tuple]:
    """The rows of `sql`, whose `{marks}` stands for a list of PMIDs, for every PMID given, CHUNK at a time."""
    for chunk in chunks(list(pmids), CHUNK):
        chunk = list(chunk)
        yield from db.execute(sql.format(marks=", ".join("?" for _ in chunk)), chunk)


def _existing(db: sqlite_utils.Database, pmids: list) -> dict:
    sql = "SELECT pmid, record_source, content_hash, deleted, first_seen FROM papers WHERE pmid IN ({marks})"
    return {pmid: rest for pmid, *rest in _select_in(db, sql, pmids)}


def _seeded(db: sqlite_utils.Database, pmids: list) -> set:
    if not db["seed_bibliography"].exists():
        return set()
    return {row[0] for row in _select_in(db, "SELECT pmid FROM seed_bibliography WHERE pmid IN ({marks})", pmids)}


def mesh_descriptors(db: sqlite_utils.Database, pmids: list[int]) -> dict[int, list[str]]:
    """Each paper's MeSH descriptors, in the record's order."""
    found: dict[int, list[str]] = {}
    sql = "SELECT pmid, descriptor FROM mesh_headings WHERE pmid IN ({marks}) ORDER BY pmid, position"
    for pmid, descriptor in _select_in(db, sql, pmids):
        found.setdefault(pmid, []).append(descriptor)
    return found


def unindex_papers(db: sqlite_utils.Database, pmids: list) -> None:
    """Take papers out of the full-text index before their text changes (core/schema.py, PAPER_SEARCH).

    The index keeps no copy of the text, so removing an entry needs the text that was indexed: it is
    read through the index's own view while the papers still hold it. link/index.py adds them back.
    """
    if not pmids or not db[PAPER_SEARCH].exists():
        return
    indexed = [pmid for pmid, in _select_in(
        db, "SELECT s.pmid FROM paper_search_state s JOIN papers p ON p.pmid = s.pmid "
            "WHERE s.pmid IN ({marks}) AND s.content_hash IS p.content_hash", pmids)]
    for chunk in chunks(indexed, CHUNK):
        chunk = list(chunk)
        marks = ",".join("?" for _ in chunk)
        db.execute(f"INSERT INTO {PAPER_SEARCH} ({PAPER_SEARCH}, rowid, title, abstract, mesh, keywords) "
                   f"SELECT 'delete', pmid, title, abstract, mesh, keywords FROM {PAPER_SEARCH_SOURCE} "
                   f"WHERE pmid IN ({marks})", chunk)
        db.execute(f"DELETE FROM paper_search_state WHERE pmid IN ({marks})", chunk)


@dataclass
class StorableRecord:
    """A record as the store writes it. A loader's workers make these, so the writer only writes."""

    pmid: int
    source: str
    deleted: bool = False
    content_hash: str | None = None
    paper_row: tuple | None = None  # but for first_seen and last_updated, which only the database knows
    child_rows: dict | None = None
    compressed: bytes | None = None  # the raw record, compressed as raw_records keeps it
    evidence: tuple | None = None  # (level, basis) where the worker could decide it (evidence.py), else None


def storable(record: ParsedRecord) -> StorableRecord:
    """The CPU-bound part of storing a record: its rows, content hash and compressed raw bytes."""
    if record.deleted:
        return StorableRecord(record.pmid, record.source, deleted=True)
    content_hash = record.content_hash()
    paper_row = to_row("papers", {
        **record.paper, "pmid": record.pmid, "record_source": record.source, "is_seed": int(record.source == "seed"),
        "deleted": 0, "content_hash": content_hash,
    })
    compressed = compress_raw(record.raw) if record.raw is not None else None
    return StorableRecord(record.pmid, record.source, False, content_hash, paper_row, _child_rows(record), compressed)


def save_records(db: sqlite_utils.Database, records: Iterable[ParsedRecord | StorableRecord],
                 now: str | None = None) -> SaveStats:
    """Upsert records by PMID. Run it inside a transaction (`with db.atomic():`)."""
    records = [r if isinstance(r, StorableRecord) else storable(r) for r in records]
    now = now or utc_now()
    stats = SaveStats()
    existing = _existing(db, sorted({r.pmid for r in records}))
    paper_rows, raw_rows, evidence_rows, replaced = [], [], [], []
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
        content_hash = record.content_hash
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
        paper_row = list(record.paper_row)
        paper_row[_FIRST_SEEN], paper_row[_LAST_UPDATED] = first_seen, now
        paper_rows.append(paper_row)
        for name, rows in record.child_rows.items():
            children[name].extend(rows)
        if record.compressed is not None:
            raw_rows.append((pmid, record.source, record.compressed, now, CODEC))
        if record.evidence is not None:
            evidence_rows.append((pmid, *record.evidence, content_hash))
    unindex_papers(db, replaced)
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
        keep_dictionary(db)
        conn.executemany(_INSERT_RAW, raw_rows)
    if evidence_rows:
        # A starter-bibliography paper's level may rest on the bibliography's design: evidence.py decides those.
        seeded = _seeded(db, [row[0] for row in evidence_rows])
        conn.executemany(_INSERT_EVIDENCE, [row for row in evidence_rows if row[0] not in seeded])
    return stats

