"""The digest: per claim, the papers newly linked and the linked papers newly retracted.

A digest covers everything since the previous one, so a job that failed before its digest loses
nothing: the next digest reports it. A retraction is reported once per claim and paper (the
items of earlier digests say what was told). Each digest is kept (`digests`, `digest_items`):
Datasette serves the items as an Atom feed (canned query `digest`), and the job writes the
Markdown to a file when there is something to tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from ..core.clock import utc_now
from ..core.files import open_output
from ..core.urls import pubmed_url
from ..export.formats import markdown_text
from ..link.verdict import claim_evidence, grade

SHOWN_PER_CLAIM = 10


@dataclass
class Digest:
    id: int
    created_at: str
    since: str | None
    new_links: int
    retracted: int
    markdown: str

    @property
    def empty(self) -> bool:
        return not (self.new_links or self.retracted)


def _new_items(db: sqlite_utils.Database, since: str | None) -> list[dict]:
    new_links = list(db.query(
        """SELECT 'new-link' AS kind, l.claim_id, l.pmid, p.title, coalesce(e.level, l.evidence_level) AS evidence_level,
                  l.rank, cur.stance, CASE WHEN cur.stance IS NULL THEN s.stance END AS suggested_stance
           FROM claim_papers l JOIN claims c ON c.id = l.claim_id AND c.status = 'active'
           JOIN papers p ON p.pmid = l.pmid LEFT JOIN paper_evidence e ON e.pmid = l.pmid
           LEFT JOIN curation cur ON cur.claim_id = l.claim_id AND cur.pmid = l.pmid
           LEFT JOIN suggestions s ON s.claim_id = l.claim_id AND s.pmid = l.pmid
           WHERE l.in_last_run = 1 AND (? IS NULL OR l.first_linked > ?)
           ORDER BY l.claim_id, l.relevant = 0, l.rank""", [since, since]))
    retracted = list(db.query(
        """SELECT 'retracted' AS kind, ce.claim_id, ce.pmid, ce.title, ce.evidence_level, ce.rank, ce.stance,
                  ce.suggested_stance
           FROM claim_evidence ce
           WHERE ce.retracted = 1 AND ce.claim_status = 'active' AND NOT EXISTS (
               SELECT 1 FROM digest_items i WHERE i.kind = 'retracted' AND i.claim_id = ce.claim_id AND i.pmid = ce.pmid)
           ORDER BY ce.claim_id, ce.pmid"""))
    return retracted + new_links


def digest_markdown(db: sqlite_utils.Database, created_at: str, since: str | None, items: list[dict]) -> str:
    statements = dict(db.execute("SELECT id, statement FROM claims").fetchall())
    lines = [f"# Kratom claims tracker: digest of {created_at[:10]}", ""]
    lines.append(f"Changes since {since[:16].replace('T', ' ')} UTC." if since else "The first digest: every current link is new.")
    retracted = [i for i in items if i["kind"] == "retracted"]
    new_links = [i for i in items if i["kind"] == "new-link"]
    lines.append(f"{len(new_links)} newly linked papers, {len(retracted)} newly retracted linked papers.")
    if not items:
        lines += ["", "Nothing new."]
    for claim_id in sorted({i["claim_id"] for i in items}):
        graded = grade(claim_evidence(db, claim_id))
        verdict = (f"{graded.direction_label}, certainty {graded.scale}" if graded.certainty
                   else graded.direction_label + (f" ({graded.lean}: a suggestion, not a verdict)" if graded.lean else ""))
        lines += ["", f"## {markdown_text(statements.get(claim_id, claim_id))}", "",
                  f"`{claim_id}` · verdict now: {markdown_text(verdict)}", ""]
        for item in (i for i in retracted if i["claim_id"] == claim_id):
            stance = f", judged: {item['stance']}" if item["stance"] else ""
            lines.append(f"- **Retracted**: [{item['pmid']}]({pubmed_url(item['pmid'])}) "
                         f"{markdown_text(item['title'] or '')} ({item['evidence_level'] or 'unknown'}{stance})")
        claim_links = [i for i in new_links if i["claim_id"] == claim_id]
        for item in claim_links[:SHOWN_PER_CLAIM]:
            judged = (f", judged: {item['stance']}" if item["stance"] else
                      f", suggested (not decided): {item['suggested_stance']}" if item["suggested_stance"] else "")
            lines.append(f"- New: [{item['pmid']}]({pubmed_url(item['pmid'])}) {markdown_text(item['title'] or '')} "
                         f"({item['evidence_level'] or 'unknown'}, rank {item['rank']}{judged})")
        if len(claim_links) > SHOWN_PER_CLAIM:
            lines.append(f"- and {len(claim_links) - SHOWN_PER_CLAIM} more: "
                         f"`tracker export links --claim {claim_id}`")
    return "\n".join(lines) + "\n"


def make_digest(db: sqlite_utils.Database, now: str | None = None) -> Digest:
    """Record a digest of what changed since the previous one (an empty one too: it marks the point)."""
    now = now or utc_now()
    previous = db.execute("SELECT max(created_at) FROM digests").fetchone()[0]
    items = _new_items(db, previous)
    markdown = digest_markdown(db, now, previous, items)
    counts = {kind: sum(i["kind"] == kind for i in items) for kind in ("new-link", "retracted")}
    with db.atomic():
        digest_id = db["digests"].insert({"created_at": now, "since": previous, "new_links": counts["new-link"],
                                          "retracted": counts["retracted"], "markdown": markdown}).last_pk
        if items:
            db["digest_items"].insert_all({**item, "digest_id": digest_id} for item in items)
    return Digest(digest_id, now, previous, counts["new-link"], counts["retracted"], markdown)


def write_digest_file(digest: Digest, folder: str | Path) -> Path:
    """digest-<date>-<id>.md in `folder`, written whole or not at all."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"digest-{digest.created_at[:10]}-{digest.id}.md"
    with open_output(path) as handle:
        handle.write(digest.markdown)
    return path


def latest_digest(db: sqlite_utils.Database, non_empty: bool = False) -> Digest | None:
    where = "WHERE new_links > 0 OR retracted > 0" if non_empty else ""
    row = next(db.query(f"SELECT * FROM digests {where} ORDER BY id DESC LIMIT 1"), None)
    return Digest(**row) if row else None
