"""What the evidence for each claim adds up to: the `claim_summary` view, read for the command line."""

from __future__ import annotations

import sqlite_utils

FLAGS = ("contradicted_by_human", "supported_only_preclinical", "relies_on_retracted", "no_evidence")


def claim_summaries(db: sqlite_utils.Database, include_retired: bool = False) -> list[dict]:
    where = "" if include_retired else "WHERE status = 'active'"
    return list(db.query(f"SELECT * FROM claim_summary {where} ORDER BY claim_id"))


def summary_line(row: dict) -> str:
    """One claim's counts by stance and evidence, its newest paper and its flags, on one line."""
    flags = [name.replace("_", " ") for name in FLAGS if row[name]]
    return (
        f"{row['claim_id']}: {row['papers']} papers; supports {row['supports']}, contradicts {row['contradicts']}, "
        f"mentions {row['mentions']}, unrelated {row['unrelated']}, undecided {row['undecided']}; "
        f"human {row['human']}, animal/in vitro {row['animal_or_in_vitro']}"
        + (f"; newest PMID {row['newest_pmid']} ({row['newest_date']})" if row["newest_pmid"] else "")
        + (f"  [{', '.join(flags)}]" if flags else "")
    )
