"""A claim's verdict in words, from the stances people decided, with its basis.

"Contradicted by 8 human case reports and case series; no supporting study." The verdict rests
on decisions only (db/curation.csv); what the tracker suggests is said apart, as suggestions
awaiting a reader. Used by the claim, article and home pages and by `tracker export report`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from ..core.vocabulary import HUMAN, LEVELS, PRECLINICAL

# How a kind of study is named in a sentence: (one, many).
LEVEL_WORDS = {
    "systematic-review": ("systematic review", "systematic reviews"),
    "rct": ("randomised controlled trial", "randomised controlled trials"),
    "clinical-trial": ("clinical trial", "clinical trials"),
    "observational": ("observational study", "observational studies"),
    "case-series": ("case series", "case series"),
    "case-report": ("case report", "case reports"),
    "animal": ("animal study", "animal studies"),
    "in-vitro": ("in-vitro study", "in-vitro studies"),
    "narrative-review": ("narrative review", "narrative reviews"),
    "opinion": ("opinion piece", "opinion pieces"),
    "unknown": ("paper of unknown design", "papers of unknown design"),
}

# Verdict kinds, in the order a scorecard lists them; `tone` picks the colour on the pages.
KINDS = {
    "contradicted": "Contradicted",
    "contested": "Contested",
    "supported": "Supported",
    "preclinical-only": "Supported only by animal or in-vitro work",
    "weakly-contradicted": "Contradicted only by animal, in-vitro or non-study papers",
    "weakly-supported": "Supported only by reviews, opinion or papers of unknown design",
    "undecided": "Not yet decided",
    "no-evidence": "No evidence found",
}
TONES = {"contradicted": "bad", "weakly-contradicted": "bad", "contested": "mixed", "supported": "good",
         "preclinical-only": "mixed", "weakly-supported": "mixed", "undecided": "none", "no-evidence": "none"}


@dataclass
class Verdict:
    kind: str  # a key of KINDS
    label: str  # "Contradicted"
    basis: str  # "contradicted by 8 human case reports and case series; no supporting study"
    pending: str  # what awaits a reader: "12 more papers on its topic await a decision (...)"; "" if none
    relies_on_retracted: bool

    @property
    def tone(self) -> str:
        return TONES[self.kind]

    @property
    def line(self) -> str:
        return f"{self.label}: {self.basis}." if self.basis else f"{self.label}."


def level_rank(level: str | None) -> int:
    """0 for the strongest design (systematic review), growing to 'unknown'."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def describe_studies(levels: list[str | None]) -> str:
    """'8 human case reports and case series', '5 human case reports and 1 narrative review'."""
    counts: dict[str, int] = {}
    for level in levels:
        counts[level or "unknown"] = counts.get(level or "unknown", 0) + 1
    ordered = sorted(counts, key=level_rank)
    human = [level for level in ordered if level in HUMAN]
    parts = []
    if human:
        total = sum(counts[level] for level in human)
        names = [LEVEL_WORDS[level][0 if total == 1 else 1] for level in human]
        parts.append(f"{total} human {_and(names)}")
    parts += [f"{counts[level]} {LEVEL_WORDS[level][0 if counts[level] == 1 else 1]}"
              for level in ordered if level not in HUMAN]
    return _and(parts)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def verdict_of(rows: list[dict]) -> Verdict:
    """The verdict from a claim's evidence rows (the `claim_evidence` view's columns)."""
    supports = [r for r in rows if r.get("stance") == "supports"]
    contradicts = [r for r in rows if r.get("stance") == "contradicts"]
    human_for = [r for r in supports if r.get("evidence_level") in HUMAN]
    human_against = [r for r in contradicts if r.get("evidence_level") in HUMAN]
    preclinical_for = [r for r in supports if r.get("evidence_level") in PRECLINICAL]
    retracted = any(r.get("retracted") for r in supports)
    pending = _pending(rows)

    def by(rows_: list[dict]) -> str:
        return describe_studies([r.get("evidence_level") for r in rows_])

    if contradicts and supports:
        kind = "contested" if human_for or not human_against else "contradicted"
        basis = f"contradicted by {by(contradicts)}; supported by {by(supports)}"
    elif contradicts:
        kind = "contradicted" if human_against else "weakly-contradicted"
        basis = f"contradicted by {by(contradicts)}; no supporting study"
    elif supports:
        if human_for:
            kind = "supported"
        elif preclinical_for:
            kind = "preclinical-only"
        else:
            kind = "weakly-supported"
        basis = f"supported by {by(supports)}; no contradicting study"
    elif rows:
        kind = "undecided"
        decided = sum(1 for r in rows if r.get("stance"))
        basis = (f"no paper decided to support or contradict it ({decided} decided as mentioning it or unrelated)"
                 if decided else "no paper has been decided on yet")
    else:
        kind, basis = "no-evidence", "no paper is linked to this claim"
    if retracted:
        basis += "; relies on a retracted paper"
    return Verdict(kind, KINDS[kind], basis, pending, retracted)


def _pending(rows: list[dict]) -> str:
    waiting = [r for r in rows if not r.get("stance") and r.get("relevant") != 0]
    if not waiting:
        return ""
    suggested = {}
    for row in waiting:
        if row.get("suggested_stance") in ("supports", "contradicts"):
            suggested[row["suggested_stance"]] = suggested.get(row["suggested_stance"], 0) + 1
    text = f"{len(waiting)} paper{'s' if len(waiting) != 1 else ''} on its topic await{'s' if len(waiting) == 1 else ''} a decision"
    if suggested:
        text += " (the tracker suggests " + _and([f"{n} {stance if n == 1 else stance[:-1]}"
                                                  for stance, n in sorted(suggested.items())]) + ")"
    return text


def claim_evidence(db: sqlite_utils.Database, claim_id: str) -> list[dict]:
    return list(db.query("SELECT * FROM claim_evidence WHERE claim_id = ?", [claim_id]))


def article_scorecard(db: sqlite_utils.Database, article_id: str) -> dict:
    """The article's claims against the literature: each claim it makes with its verdict, and how
    many fall in each verdict kind."""
    # A claim the article only denies ("without the risk of addiction") is listed as what it says:
    # the opposite of the claim, against the same evidence.
    said = {r["claim_id"]: r["denies_only"] for r in db.query(
        "SELECT m.claim_id, min(coalesce(m.polarity, 'asserts') = 'denies') AS denies_only FROM claim_mentions m "
        "JOIN article_sentences s ON s.id = m.sentence_id WHERE s.article_id = ? AND s.is_current = 1 "
        "GROUP BY m.claim_id ORDER BY min(s.position)", [article_id])}
    claims = []
    for claim_id, denies_only in said.items():
        statement = db.execute("SELECT statement FROM claims WHERE id = ?", [claim_id]).fetchone()
        statement = statement[0] if statement else claim_id
        verdict = verdict_of(claim_evidence(db, claim_id))
        claims.append({"claim_id": claim_id, "verdict": verdict, "denies": bool(denies_only),
                       "statement": f"The article says the opposite of: {statement}" if denies_only else statement})
    order = list(KINDS)
    claims.sort(key=lambda c: (order.index(c["verdict"].kind), c["claim_id"]))
    tally = {kind: sum(1 for c in claims if c["verdict"].kind == kind) for kind in order}
    return {"claims": claims, "tally": [(KINDS[kind], n, kind) for kind, n in tally.items() if n]}
