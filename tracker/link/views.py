"""Views over links and decisions, computed at read time so they are never stale.

- `claim_evidence`: every link with its paper, evidence level, flags and the person's stance;
  plus decisions about pairs the linker did not propose (method "curated").
- `claim_summary`: one row per claim: counts by stance and by evidence level, human versus
  animal/in-vitro, the newest paper, and the flags a reader should see first.
"""

from __future__ import annotations

from .evidence import HUMAN, LEVELS, PRECLINICAL


def _in(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


CLAIM_EVIDENCE = """
CREATE VIEW claim_evidence AS
SELECT l.claim_id, c.statement AS claim, c.category, c.status AS claim_status, l.pmid, p.title, p.journal,
       p.pub_year, p.pub_date, p.doi, l.rank, l.score, l.methods, l.rationale, l.rationale_field,
       coalesce(e.level, l.evidence_level) AS evidence_level, e.basis AS evidence_basis,
       p.retracted, p.has_erratum, p.is_seed, cur.stance, cur.note AS stance_note, cur.reviewer,
       cur.date AS decided, cur.conflict, l.in_last_run
FROM claim_papers l
JOIN claims c ON c.id = l.claim_id
JOIN papers p ON p.pmid = l.pmid
LEFT JOIN paper_evidence e ON e.pmid = l.pmid
LEFT JOIN curation cur ON cur.claim_id = l.claim_id AND cur.pmid = l.pmid
UNION ALL
SELECT cur.claim_id, c.statement, c.category, c.status, cur.pmid, p.title, p.journal, p.pub_year, p.pub_date,
       p.doi, NULL, NULL, '["curated"]', NULL, NULL, e.level, e.basis, p.retracted, p.has_erratum, p.is_seed,
       cur.stance, cur.note, cur.reviewer, cur.date, cur.conflict, NULL
FROM curation cur
JOIN claims c ON c.id = cur.claim_id
JOIN papers p ON p.pmid = cur.pmid
LEFT JOIN paper_evidence e ON e.pmid = cur.pmid
WHERE NOT EXISTS (SELECT 1 FROM claim_papers l WHERE l.claim_id = cur.claim_id AND l.pmid = cur.pmid)
"""


def _summary_sql() -> str:
    level_counts = ",\n       ".join(
        f"coalesce(sum(g.evidence_level = '{level}'), 0) AS \"{level}\"" for level in LEVELS
    )
    return f"""
CREATE VIEW claim_summary AS
WITH g AS (
    SELECT claim_id, pmid, evidence_level, stance, retracted, pub_date,
           CASE WHEN evidence_level IN {_in(HUMAN)} THEN 'human'
                WHEN evidence_level IN {_in(PRECLINICAL)} THEN 'preclinical' ELSE 'other' END AS evidence_group
    FROM claim_evidence
)
SELECT c.id AS claim_id, c.statement, c.category, c.status,
       count(g.pmid) AS papers,
       coalesce(sum(g.stance = 'supports'), 0) AS supports,
       coalesce(sum(g.stance = 'contradicts'), 0) AS contradicts,
       coalesce(sum(g.stance = 'mentions'), 0) AS mentions,
       coalesce(sum(g.stance = 'unrelated'), 0) AS unrelated,
       coalesce(sum(g.pmid IS NOT NULL AND g.stance IS NULL), 0) AS undecided,
       coalesce(sum(g.evidence_group = 'human'), 0) AS human,
       coalesce(sum(g.evidence_group = 'preclinical'), 0) AS animal_or_in_vitro,
       {level_counts},
       (SELECT g2.pmid FROM g g2 WHERE g2.claim_id = c.id ORDER BY g2.pub_date DESC, g2.pmid DESC LIMIT 1)
           AS newest_pmid,
       max(g.pub_date) AS newest_date,
       coalesce(sum(g.stance = 'contradicts' AND g.evidence_group = 'human'), 0) > 0 AS contradicted_by_human,
       (coalesce(sum(g.stance = 'supports'), 0) > 0
        AND coalesce(sum(g.stance = 'supports' AND g.evidence_group != 'preclinical'), 0) = 0)
           AS supported_only_preclinical,
       coalesce(sum(g.stance = 'supports' AND g.retracted = 1), 0) > 0 AS relies_on_retracted,
       count(g.pmid) = 0 AS no_evidence
FROM claims c LEFT JOIN g ON g.claim_id = c.id
GROUP BY c.id
"""


def ensure_views(db) -> None:
    """(Re)create the views, so a changed definition takes effect on the next command."""
    for name, sql in (("claim_evidence", CLAIM_EVIDENCE), ("claim_summary", _summary_sql())):
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(sql)
