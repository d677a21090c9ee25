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


# ---- the graded verdict: which way the decided evidence points, and how much it can bear ----

# Which way, from the stances people decided (retracted papers never count).
DIRECTIONS = {"supported": "Supported", "contradicted": "Contradicted", "mixed": "Mixed",
              "undecided": "Not yet decided"}
# How sure, after GRADE: high, moderate, low, very low (../shared/DESIGN.md, "How strong a verdict is").
CERTAINTIES = ("very low", "low", "moderate", "high")
# Where a body of evidence starts, by the strongest design in it. Laboratory work starts low as a
# design and is rated down for indirectness when the claim is about people.
START = {"systematic-review": "high", "rct": "high", "clinical-trial": "high", "observational": "low",
         "animal": "low", "in-vitro": "low", "case-series": "very low", "case-report": "very low",
         "narrative-review": "very low", "opinion": "very low", "unknown": "very low"}
FEW_STUDIES = 3  # fewer decided studies than this: rated down for imprecision


@dataclass
class Grade:
    direction: str  # a key of DIRECTIONS
    certainty: str | None  # one of CERTAINTIES; None while nothing is decided
    reasons: list[str]  # each step, in plain words: where it started, each rating down, what was set aside
    lean: str  # undecided: what the suggestions lean to, said as a suggestion; "" otherwise
    counted: int  # decided papers that count (supports or contradicts, not retracted)

    @property
    def direction_label(self) -> str:
        return DIRECTIONS[self.direction]

    @property
    def level(self) -> int:
        """0 (very low) to 3 (high); -1 while undecided."""
        return CERTAINTIES.index(self.certainty) if self.certainty else -1

    @property
    def scale(self) -> str:
        """The certainty as a shape that reads without colour: '●●○○ low'."""
        if self.certainty is None:
            return "○○○○ none yet"
        return "●" * (self.level + 1) + "○" * (len(CERTAINTIES) - self.level - 1) + " " + self.certainty

    @property
    def why(self) -> str:
        """Each step of the certainty, joined; for an undecided claim, what the suggestions lean to."""
        return "; ".join(self.reasons) if self.certainty else self.lean

    @property
    def tone(self) -> str:
        """The colour a page gives it (the words and the scale carry the meaning without it)."""
        return {"supported": "good", "contradicted": "bad", "mixed": "mixed"}.get(self.direction, "none")

    @property
    def summary(self) -> str:
        """'Contradicted, low certainty' / 'Not yet decided (suggestions lean contradicted: 6 of 9 papers on
        its topic, 1 the other way)'."""
        if self.certainty is None:
            return self.direction_label + (f" ({self.lean})" if self.lean else "")
        return f"{self.direction_label}, {self.certainty} certainty"


def evidence_counts(rows: list[dict]) -> dict:
    """Decided, suggested (undecided on its topic, with a suggestion for or against) and candidates
    (every linked paper): three figures, so no two claims share one by construction."""
    return {"decided": sum(1 for r in rows if r.get("stance")),
            "suggested": sum(1 for r in rows if not r.get("stance") and r.get("relevant") != 0
                             and r.get("suggested_stance") in ("supports", "contradicts")),
            "candidates": len(rows)}


def counts_words(counts: dict) -> str:
    """'3 decided, 12 suggested, 50 candidates'."""
    return (f"{counts['decided']} decided, {counts['suggested']} suggested, "
            f"{_count(counts['candidates'], 'candidate')}")


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def grade(rows: list[dict], about: str | None = None) -> Grade:
    """The graded verdict of a claim from its evidence rows (the `claim_evidence` view's columns).
    `about`: the catalog's people or mechanism (db/claims.yml), else the rows' claim_about."""
    about = about or next((r.get("claim_about") for r in rows if r.get("claim_about")), None) or "people"
    about_people = about != "mechanism"
    decided = [r for r in rows if r.get("stance") in ("supports", "contradicts")]
    retracted = [r for r in decided if r.get("retracted")]
    counted = [r for r in decided if not r.get("retracted")]
    reasons = []
    if retracted:
        pmids = ", ".join(str(r["pmid"]) for r in retracted if r.get("pmid"))
        reasons.append(f"{_count(len(retracted), 'retracted paper')} set aside" + (f" (PMID {pmids})" if pmids else ""))
    supports = [r for r in counted if r["stance"] == "supports"]
    contradicts = [r for r in counted if r["stance"] == "contradicts"]
    if not counted:
        return Grade("undecided", None, reasons, _lean(rows), 0)
    direction = "mixed" if supports and contradicts else "supported" if supports else "contradicted"
    best = min((r.get("evidence_level") or "unknown" for r in counted), key=level_rank)
    level = CERTAINTIES.index(START[best])
    strongest = [r for r in counted if (r.get("evidence_level") or "unknown") == best]
    reasons.append(f"starts {START[best]}: the strongest decided evidence is "
                   f"{describe_studies([best] * len(strongest))}"
                   + ("" if len(strongest) == len(counted) else f", of {_count(len(counted), 'decided paper')}"))
    if not any(r.get("evidence_level") in HUMAN for r in counted):
        if best in PRECLINICAL and about_people:
            level -= 1
            reasons.append("rated down for indirectness: animal or in-vitro work only, for a claim about people")
        elif best not in PRECLINICAL:
            reasons.append("no study of its own among them (reviews, opinion or papers of unknown design)")
    if supports and contradicts:
        level -= 1
        reasons.append(f"rated down for inconsistency: the decided papers disagree ({len(supports)} support, "
                       f"{len(contradicts)} contradict)")
    if len(counted) < FEW_STUDIES:
        level -= 1
        reasons.append(f"rated down for imprecision: only {_count(len(counted), 'decided study', 'decided studies')}")
    if best in ("case-report", "case-series") and about_people:
        reasons.append("no controlled study")
    return Grade(direction, CERTAINTIES[max(level, 0)], reasons, "", len(counted))


def _lean(rows: list[dict]) -> str:
    """What the suggestions on the claim's topic lean to, said as a suggestion, never a verdict."""
    suggested = [r.get("suggested_stance") for r in rows
                 if not r.get("stance") and r.get("relevant") != 0 and r.get("suggested_stance")]
    sides = {"supports": suggested.count("supports"), "contradicts": suggested.count("contradicts")}
    if not any(sides.values()):
        return "no suggestion for or against yet" if rows else ""
    if sides["supports"] == sides["contradicts"]:
        return f"suggestions are split: {sides['supports']} support, {sides['contradicts']} contradict"
    side = max(sides, key=sides.get)
    other = sides["contradicts" if side == "supports" else "supports"]
    word = "supported" if side == "supports" else "contradicted"
    return (f"suggestions lean {word}: {sides[side]} of {_count(len(suggested), 'paper')} on its topic, "
            f"{other or 'none'} the other way")


@dataclass
class Verdict:
    kind: str  # a key of KINDS
    label: str  # "Contradicted"
    basis: str  # "contradicted by 8 human case reports and case series; no supporting study"
    pending: str  # what awaits a reader: "12 more papers on its topic await a decision (...)"; "" if none
    relies_on_retracted: bool
    grade: Grade | None = None  # direction and certainty, with reasons

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


def verdict_of(rows: list[dict], about: str | None = None) -> Verdict:
    """The verdict from a claim's evidence rows (the `claim_evidence` view's columns), graded."""
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
    return Verdict(kind, KINDS[kind], basis, pending, retracted, grade(rows, about))


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


# Where an article stands on a claim it makes, against the literature's direction. A claim the
# article denies ("without the risk of addiction") counts the other way round.
STANDINGS = {"agrees": "agree with the literature", "disagrees": "go against the literature",
             "contested": "on which the literature is mixed", "unchecked": "not yet decided by a person"}


def standing(direction: str, denies: bool) -> str:
    if direction in ("mixed", "undecided"):
        return "contested" if direction == "mixed" else "unchecked"
    agrees = (direction == "supported") != denies
    return "agrees" if agrees else "disagrees"


def article_scorecard(db: sqlite_utils.Database, article_id: str) -> dict:
    """The article's claims against the literature: its main claim first (the one it makes most
    often, the earliest on a tie), then the rest in the order the article makes them; each with its
    verdict, whether the article asserts or denies it, and where that leaves the article."""
    said = list(db.query(
        "SELECT m.claim_id, c.statement, c.about, min(coalesce(m.polarity, 'asserts') = 'denies') AS denies_only, "
        "count(DISTINCT m.sentence_id) AS sentences, min(s.position) AS first, "
        "count(DISTINCT CASE WHEN m.polarity = 'denies' THEN m.sentence_id END) AS denying FROM claim_mentions m "
        "JOIN article_sentences s ON s.id = m.sentence_id JOIN claims c ON c.id = m.claim_id "
        "WHERE s.article_id = ? AND s.is_current = 1 GROUP BY m.claim_id ORDER BY min(s.position)", [article_id]))
    if said:
        main = max(said, key=lambda r: (r["sentences"], -r["first"]))
        said.remove(main)
        said.insert(0, main)
    claims = []
    for row in said:
        verdict = verdict_of(claim_evidence(db, row["claim_id"]), row["about"])
        denies = bool(row["denies_only"])
        claims.append({"claim_id": row["claim_id"], "verdict": verdict, "denies": denies,
                       "statement": row["statement"], "says": "denies" if denies else "asserts",
                       "sentences": row["sentences"], "denying": row["denying"], "main": not claims,
                       "standing": standing(verdict.grade.direction, denies)})
    tally = [(STANDINGS[key], sum(1 for c in claims if c["standing"] == key), key) for key in STANDINGS]
    return {"claims": claims, "tally": [item for item in tally if item[1]]}


def claim_verdicts(db: sqlite_utils.Database, include_retired: bool = False) -> list[tuple[dict, Verdict]]:
    """Every claim with its verdict, in the catalog's order (category, then id)."""
    where = "" if include_retired else "WHERE status = 'active'"
    claims = list(db.query(f"SELECT id, statement, category, about FROM claims {where} ORDER BY category, id"))
    rows: dict[str, list[dict]] = {}
    for row in db.query("SELECT * FROM claim_evidence"):
        rows.setdefault(row["claim_id"], []).append(row)
    return [(claim, verdict_of(rows.get(claim["id"], []), claim["about"])) for claim in claims]


def verdicts_table(verdicts: list[tuple[dict, Verdict]]) -> str:
    """`tracker verdicts`: a Markdown table, one claim a row: direction, certainty and why."""
    def cell(text: str) -> str:
        return " ".join(str(text).split()).replace("|", "\\|")

    lines = ["| claim | direction | certainty | why |", "|---|---|---|---|"]
    for claim, verdict in verdicts:
        graded = verdict.grade
        why = graded.why or "no paper is linked yet"
        lines.append(f"| {cell(claim['statement'])} (`{claim['id']}`) | {graded.direction_label} | {graded.scale} | "
                     f"{cell(why)} |")
    return "\n".join(lines) + "\n"
