"""One export by name, written to a handle: what `tracker export` and the scheduled job both call."""

from __future__ import annotations

from typing import TextIO

import sqlite_utils

from ..link.curate import curation_rows, write_curation
from .citations import CITATION_FORMATS, WRITERS
from .formats import TABULAR, write_rows
from .report import DEFAULT_CANDIDATES, write_report
from .tables import TABLES, Filters, paper_records

WHAT = (*TABLES, "report", "curation")
FORMATS = {**{name: TABULAR for name in TABLES}, "papers": TABULAR + CITATION_FORMATS,
           "report": ("md",), "curation": ("csv",)}


def write_export(db: sqlite_utils.Database, what: str, fmt: str, filters: Filters, handle: TextIO,
                 candidates: int = DEFAULT_CANDIDATES, article: str | None = None) -> tuple[int, str]:
    """Write `what` in `fmt`; returns how many items were written and what they are."""
    if what == "report":
        return write_report(db, filters, handle, candidates=candidates, article=article), "claim sections"
    if what == "curation":
        return write_curation(curation_rows(db), handle), "decisions"
    if fmt in CITATION_FORMATS:
        return WRITERS[fmt](paper_records(db, filters), handle), "citations"
    table = TABLES[what]
    return write_rows(table.rows(db, filters), table.columns, fmt, handle), what
