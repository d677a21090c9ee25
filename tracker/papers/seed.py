"""The starter bibliography: 53 real kratom papers, usable before any sync.

db/kratom_bibliography.tsv holds facts only (PMID, title, first author, journal, year,
DOI, design). Its rows are stored as papers marked `is_seed = 1`; a sync or a load of
the full PubMed record replaces them. The file itself is kept as the table
`seed_bibliography`, so its design, topics and confidence stay queryable.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import sqlite_utils

from ..core.errors import TrackerError
from ..core.files import reading
from ..core.ids import as_pmid
from ..core.paths import BIBLIOGRAPHY
from .evidence import refresh_evidence_levels
from .records import ParsedRecord
from .store import SaveStats, save_records

DEFAULT_SEED = BIBLIOGRAPHY
NOT_SHOWN = "n/s"  # the file's mark for a value no source page showed
# "J Med Toxicol 7(3):227-31" -> journal, volume, issue, pages
_CITATION = re.compile(r"^(?P<journal>.+?)\s+(?P<volume>\d+)(?:\((?P<issue>[^)]+)\))?(?::(?P<pages>\S+))?$")


def _value(row: dict, name: str) -> str | None:
    value = (row.get(name) or "").strip()
    return None if value in ("", NOT_SHOWN) else value


def seed_record(row: dict) -> ParsedRecord:
    journal_text = _value(row, "journal")
    journal = {"journal": journal_text}
    match = _CITATION.match(journal_text or "")
    if match:
        journal = {
            "journal": match.group("journal"),
            "volume": match.group("volume"),
            "issue": match.group("issue"),
            "pages": match.group("pages"),
        }
    year = _value(row, "year")
    authors = []
    first_author = _value(row, "first_author")
    if first_author:
        last, _, initials = first_author.rpartition(" ")
        authors.append(
            {
                "role": "author", "position": 1, "last_name": last or first_author,
                "fore_name": None, "initials": initials if last else None, "suffix": None,
                "collective_name": None, "affiliations": [], "orcid": None, "equal_contrib": False,
            }
        )
    paper = {
        "kind": "book" if "bookshelf" in (journal_text or "").lower() else "article",
        "title": _value(row, "title"),
        "pub_year": int(year) if year and year.isdigit() else None,
        "pub_date": year if year and year.isdigit() else None,
        "doi": _value(row, "doi"),
        "retracted": 0,
        "has_erratum": 0,
        **journal,
    }
    return ParsedRecord(pmid=as_pmid(row["pmid"]), source="seed", paper=paper, authors=authors)


def read_seed(path: str | Path = DEFAULT_SEED) -> list:
    path = Path(path)
    with reading(path, "the starter bibliography is db/kratom_bibliography.tsv"), \
            open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    bad = [n for n, row in enumerate(rows, start=2) if as_pmid(row.get("pmid")) is None]
    if bad:
        raise TrackerError(f"{path}: line {bad[0]} has no pmid of 1 to 10 digits")
    return rows


def load_seed(db: sqlite_utils.Database, path: str | Path = DEFAULT_SEED) -> SaveStats:
    """Store the starter bibliography; never overwrites a fuller record of the same PMID."""
    rows = read_seed(path)
    with db.atomic():
        db["seed_bibliography"].upsert_all(
            [{k: _value(row, k) for k in row} | {"pmid": int(row["pmid"])} for row in rows], pk="pmid", alter=True
        )
        stats = save_records(db, [seed_record(row) for row in rows])
    refresh_evidence_levels(db)
    return stats
