"""A person's decisions: db/curation.csv, stance by stance.

The file is the source of truth and lives under version control; `tracker curate` loads it
whole into the `curation` table (replacing what was there), so decisions survive relinking,
resyncing and a rebuild from scratch. A decision about a PMID the database does not hold yet
is kept and shows up as soon as the paper arrives (the `claim_evidence` view joins at read
time). Two rows about the same claim and paper with different stances are a conflict: the
latest-dated one applies and the others are named in its `conflict` column and reported.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from ..core.clock import utc_now
from ..core.errors import InputError
from ..core.files import open_output, reading
from ..core.ids import as_pmid
from ..core.paths import CURATION
from ..core.spreadsheet import neutralise, restore
from ..core.vocabulary import STANCES
from ..papers.evidence import paper_levels_for

DEFAULT_CURATION = CURATION
COLUMNS = ("claim_id", "pmid", "stance", "note", "reviewer", "date")


@dataclass
class Decision:
    claim_id: str
    pmid: int
    stance: str
    note: str
    reviewer: str
    date: str
    line: int


@dataclass
class CurationLoad:
    decisions: int = 0
    changed: bool = True  # False when the file holds exactly the decisions already loaded
    applied: int = 0  # about papers the database holds
    pending: list[tuple[str, int]] = field(default_factory=list)  # waiting for their paper
    unknown_claims: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _decision(row: dict, line: int, path: Path) -> Decision:
    claim_id = (row.get("claim_id") or "").strip()
    pmid = (row.get("pmid") or "").strip()
    stance = (row.get("stance") or "").strip().lower()
    date = (row.get("date") or "").strip()
    if not claim_id:
        raise InputError(f"{path}, line {line}: claim_id is empty")
    if as_pmid(pmid) is None:
        raise InputError(f"{path}, line {line}: pmid {pmid!r} is not a PubMed id (1 to 10 digits 0-9)")
    if stance not in STANCES:
        raise InputError(f"{path}, line {line}: stance {stance!r} is not one of {', '.join(STANCES)}")
    if date and not _real_date(date):
        raise InputError(f"{path}, line {line}: date {date!r} is not a real date written YYYY-MM-DD")
    return Decision(claim_id, int(pmid), stance, (row.get("note") or "").strip(), (row.get("reviewer") or "").strip(),
                    date, line)


def _real_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:  # 2026-13-45
        return False
    return True


def read_curation(path: str | Path = DEFAULT_CURATION) -> list[Decision]:
    """Every decision in the file, or an InputError naming the line: a file that does not parse
    cleanly (an unclosed quote, a row of the wrong width, a bad PMID or date) is refused whole."""
    path = Path(path)
    with reading(path, "decisions live in db/curation.csv"), path.open(encoding="utf-8-sig", newline="") as handle:
        return list(_decisions_in(csv.reader(handle, strict=True), path))


def _decisions_in(reader, path: Path):
    header: list[str] | None = None
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not cells:
                continue  # a blank line
            if any("\n" in cell or "\r" in cell for cell in cells):
                raise InputError(f"{path}, line {line}: a quoted value runs on to line {last_line}; is a quote left "
                                 "unclosed? Each decision is one line")
            if header is None:
                header = [cell.strip() for cell in cells]
                missing = [c for c in ("claim_id", "pmid", "stance") if c not in header]
                if missing:
                    raise InputError(f"{path}: the header must name {', '.join(COLUMNS)} "
                                     f"(missing: {', '.join(missing)})")
                continue
            if len(cells) != len(header):
                raise InputError(f"{path}, line {line}: {len(cells)} fields where the header has {len(header)}; "
                                 "a value holding a comma must be in double quotes")
            yield _decision({name: restore(cell) for name, cell in zip(header, cells)}, line, path)
    except csv.Error as error:
        start = last_line + 1  # the line the broken row starts on
        runs_on = f", running on to line {reader.line_num}" if reader.line_num > start else ""
        raise InputError(f"{path}, line {start}: not readable as CSV ({error}{runs_on}); "
                         "is a quote left unclosed?") from None
    if header is None:
        raise InputError(f"{path}: empty; the header must name {', '.join(COLUMNS)}")


def load_curation(db: sqlite_utils.Database, decisions: list[Decision], now: str | None = None) -> CurationLoad:
    now = now or utc_now()
    result = CurationLoad(decisions=len(decisions))
    by_pair: dict[tuple[str, int], list[Decision]] = {}
    for decision in decisions:
        by_pair.setdefault((decision.claim_id, decision.pmid), []).append(decision)
    rows = []
    for (claim_id, pmid), group in by_pair.items():
        group.sort(key=lambda d: (d.date, d.line))
        chosen = group[-1]
        others = [d for d in group[:-1] if d.stance != chosen.stance]
        conflict = "; ".join(
            f"line {d.line}: {d.stance}" + (f" ({d.reviewer}, {d.date})" if d.reviewer or d.date else "") for d in others
        )
        if conflict:
            result.conflicts.append(
                f"{claim_id} / PMID {pmid}: line {chosen.line} says {chosen.stance}, {conflict}; "
                f"line {chosen.line} applies (latest)"
            )
        rows.append({"claim_id": claim_id, "pmid": pmid, "stance": chosen.stance, "note": chosen.note,
                     "reviewer": chosen.reviewer, "date": chosen.date, "line": chosen.line,
                     "conflict": conflict or None, "loaded_at": now})
    claims = {row[0] for row in db.execute("SELECT id FROM claims")}
    papers = {row[0] for row in db.execute("SELECT pmid FROM papers")}
    result.unknown_claims = sorted({r["claim_id"] for r in rows} - claims)
    result.pending = sorted((r["claim_id"], r["pmid"]) for r in rows if r["pmid"] not in papers)
    result.applied = len(rows) - len(result.pending)
    file_rows = [{"line": d.line, "claim_id": d.claim_id, "pmid": d.pmid, "stance": d.stance, "note": d.note,
                  "reviewer": d.reviewer, "date": d.date} for d in decisions]
    if _decisions(file_rows) == _decisions(db.query("SELECT * FROM curation_rows ORDER BY line")):
        result.changed = False  # the same decisions in the same order: leave every row (and loaded_at) alone
        return result
    with db.atomic():
        db.execute("DELETE FROM curation")
        db.execute("DELETE FROM curation_rows")
        if rows:
            db["curation"].insert_all(rows)
            db["curation_rows"].insert_all(file_rows)
        paper_levels_for(db, [r["pmid"] for r in rows if r["pmid"] in papers])
    return result


def _decisions(rows) -> list[tuple]:
    # Line numbers are left out: the same decisions written with other spacing are the same decisions.
    return [tuple(row[c] for c in COLUMNS) for row in rows]


def curation_rows(db: sqlite_utils.Database) -> list[dict]:
    """The loaded decisions as the file had them (every row, in order)."""
    rows = list(db.query(f"SELECT {', '.join(COLUMNS)} FROM curation_rows ORDER BY line"))
    if not rows:  # a database curated before curation_rows existed: the applied decisions
        rows = list(db.query(f"SELECT {', '.join(COLUMNS)} FROM curation ORDER BY line, claim_id, pmid"))
    return rows


def write_curation(rows: list[dict], handle) -> int:
    """The curation file: the header, then one line per decision; what `read_curation` reads back.

    Line breaks inside a note become spaces (a decision is one line, which keeps the file
    git-friendly and lets the reader refuse an unclosed quote), and cells a spreadsheet would
    run as a formula are made inert, reversibly.
    """
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_file_cell(row[c]) for c in COLUMNS])
    return len(rows)


def _file_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(" ".join(value.splitlines()))
    return str(value)


def decision_line(row: dict) -> str:
    """One decision as `write_curation` writes it (a line of the curation file, with its newline)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([_file_cell(row.get(c)) for c in COLUMNS])
    return buffer.getvalue()


def start_curation_file(db: sqlite_utils.Database, path: str | Path) -> int:
    """Write the decisions the database holds to a new curation file (so decisions appended to it
    keep those already loaded); returns how many."""
    rows = curation_rows(db)
    with open_output(Path(path), newline="") as handle:
        write_curation(rows, handle)
    return len(rows)


def append_decision(path: str | Path, row: dict) -> list[Decision]:
    """Add one decision at the end of the curation file, the file replaced whole (never half
    written), every line before it kept byte for byte; returns the file's decisions.

    A file that does not read cleanly is left alone (the reader's error says where); a missing
    file is started with the header.
    """
    path = Path(path)
    text = ""
    if path.exists():
        read_curation(path)  # refuse to add to a file that is already broken
        with reading(path):
            text = path.read_bytes().decode("utf-8")  # a byte order mark and CRLF line ends stay as they were
        if text and not text.endswith("\n"):
            text += "\n"
    else:
        text = ",".join(COLUMNS) + "\n"
    with open_output(path, newline="") as handle:
        handle.write(text + decision_line(row))
    return read_curation(path)
