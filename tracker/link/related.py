"""Papers PubMed links to the papers a person decided on: related articles (ELink pubmed_pubmed) and
citing papers (pubmed_pubmed_citedin) become candidates for the same claim.

Requests go through the sync's client, so they share its rate limit and retry rules. Each link
found is recorded in `candidate_sources` (claim, paper, how it was found, from which decided
paper), and the records not yet stored are fetched and stored. A decided paper's links are asked
for again only after `RECHECK_DAYS`. The linker ranks these papers as one of its methods
("related"); they are candidates like any other, flagged for relevance and given a suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import sqlite_utils
from sqlite_utils.utils import chunks

from ..core.clock import utc_now
from ..papers.evidence import refresh_evidence_levels
from ..papers.store import save_records

# (ELink link name, how the candidate was found, how many links of one paper to keep: ELink ranks
# related articles by similarity, so the first ones are the closest)
LINKS = (("pubmed_pubmed", "related", 20), ("pubmed_pubmed_citedin", "cited-by", 50))
IDS_PER_REQUEST = 100
RECORDS_PER_REQUEST = 200
RECHECK_DAYS = 30


@dataclass
class RelatedStats:
    sources: int = 0  # decided papers whose links were asked for
    requests: int = 0
    links: int = 0  # (claim, paper, how, from) recorded
    fetched: int = 0  # records fetched and stored
    missing: list[int] = field(default_factory=list)  # linked PMIDs PubMed returned no record for


def decided_sources(db: sqlite_utils.Database) -> dict[int, list[str]]:
    """Papers a person judged to bear on a claim (supports, contradicts, mentions), with those claims."""
    sources: dict[int, list[str]] = {}
    for claim_id, pmid in db.execute(
            "SELECT c.claim_id, c.pmid FROM curation c JOIN claims k ON k.id = c.claim_id AND k.status = 'active' "
            "WHERE c.stance IN ('supports', 'contradicts', 'mentions') ORDER BY c.pmid, c.claim_id"):
        sources.setdefault(pmid, []).append(claim_id)
    return sources


def _due(db, pmids: list[int], linkname: str, now: datetime) -> list[int]:
    cutoff = (now - timedelta(days=RECHECK_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = {r[0] for r in db.execute("SELECT pmid FROM related_checks WHERE linkname = ? AND checked_at >= ?",
                                       [linkname, cutoff])}
    return [p for p in pmids if p not in recent]


def find_related(db: sqlite_utils.Database, client, progress=None, now: datetime | None = None) -> RelatedStats:
    """Ask ELink for the links of every decided paper that is due, record them, fetch the new records."""
    now = now or datetime.now(timezone.utc)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    sources = decided_sources(db)
    stats = RelatedStats()
    for linkname, how, keep in LINKS:
        due = _due(db, sorted(sources), linkname, now)
        stats.sources = max(stats.sources, len(due))
        for batch in chunks(due, IDS_PER_REQUEST):
            batch = list(batch)
            found = client.elink(batch, linkname)
            stats.requests += 1
            rows = [{"claim_id": claim_id, "pmid": linked, "source": how, "via_pmid": source, "found_at": stamp}
                    for source in batch for linked in found.get(source, [])[:keep] for claim_id in sources[source]]
            with db.atomic():  # one batch: its links and the record that it was asked, together
                if rows:
                    db["candidate_sources"].upsert_all(rows, pk=("claim_id", "pmid", "source", "via_pmid"))
                db["related_checks"].upsert_all(
                    [{"pmid": source, "linkname": linkname, "checked_at": stamp, "links": len(found.get(source, []))}
                     for source in batch], pk=("pmid", "linkname"))
            stats.links += len(rows)
            if progress:
                progress(stats)
    _fetch_missing(db, client, stats)
    return stats


def _fetch_missing(db, client, stats: RelatedStats) -> None:
    missing = [r[0] for r in db.execute(
        "SELECT DISTINCT s.pmid FROM candidate_sources s LEFT JOIN papers p ON p.pmid = s.pmid "
        "WHERE p.pmid IS NULL AND s.source != 'requested' ORDER BY s.pmid")]
    for batch in chunks(missing, RECORDS_PER_REQUEST):
        batch = list(batch)
        records = client.efetch_ids(batch)
        stats.requests += 1
        with db.atomic():
            saved = save_records(db, records, now=utc_now())
        stats.fetched += len(saved.pmids)
        stats.missing += sorted(set(batch) - set(saved.pmids))
    if stats.fetched:
        refresh_evidence_levels(db)
