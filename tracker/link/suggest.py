"""Suggested stances: for each claim and candidate paper, what the paper probably says of the claim,
the sentence that suggestion rests on, and why, in words.

A suggestion is never a decision. It is stored apart (`suggestions`), never changes a row of
`curation`, and wherever a person decided, the decision is what is shown as the stance.

How a suggestion is made, in order:
1. Off topic (link/relevance.py): `unrelated`, saying which topic terms are missing.
2. A sentence states one of the claim's findings (db/claims.yml `findings`): the finding's stance,
   with its reason ("a case series reporting liver injury in people who used kratom; the claim
   says: ..."). Human evidence is surer than animal or laboratory work. Findings both for and
   against: the learned stance model decides (link/stance.py) when it is built, else `mentions`.
3. A claim with no findings in the catalog (one a person added, a benchmark's claim): the learned
   stance model reads the abstract, when it is built and the semantic extra is installed.
4. Otherwise `mentions`: on the topic, with no finding stated.

The learned model is weak (docs/linking-and-evidence.md, "Evidence quality"), so a claim's own findings always come
first. A suggestion is recomputed when its inputs change: the claim's definition, the paper's
content, the method's version or the stance model's.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from sqlite_utils.utils import chunks

from ..claims.catalog import Claim
from ..core.clock import utc_now
from ..core.errors import InputError
from ..core.files import reading
from ..core.ids import as_pmid
from ..core.vocabulary import HUMAN, PRECLINICAL
from ..papers.evidence import paper_levels_for
from ..papers.store import mesh_descriptors
from .ranker import RationaleRanker
from .rationale import PaperSentence, RationaleScorer, paper_sentences
from .relevance import Relevance, relevance
from .stance import StanceModel

# 2: a paper must name the catalog's subject (kratom) to be relevant; 3: a sentence that asks states no finding
METHOD_VERSION = "suggest-3"
DESIGN = {
    "systematic-review": "a systematic review", "rct": "a randomised controlled trial",
    "clinical-trial": "a clinical trial", "observational": "an observational study", "case-series": "a case series",
    "case-report": "a case report", "animal": "an animal study", "in-vitro": "a laboratory (in vitro) study",
    "narrative-review": "a review", "opinion": "an opinion piece", "unknown": "a paper",
}


@dataclass
class Suggestion:
    stance: str  # supports | contradicts | mentions | unrelated
    confidence: float
    sentence: PaperSentence | None
    reason: str
    method: str
    topic: Relevance | None = None
    rationale: PaperSentence | None = None  # the sentence that bears most on the claim


def _finding_confidence(level: str) -> float:
    # What the words of one sentence can carry: human reports most, laboratory work least.
    return 0.8 if level in HUMAN else 0.6 if level in PRECLINICAL else 0.5


def _statement(claim: Claim) -> str:
    return claim.statement.rstrip(".")


def suggest(claim: Claim, paper: dict, level: str, stance: StanceModel | None = None,
            ranker: RationaleRanker | None = None) -> Suggestion:
    """One suggestion, with the paper's relevance and rationale. `paper` has title, abstract, mesh and keywords;
    `stance`, the learned model, is asked only where the claim's findings say nothing; `ranker`, the learned
    rationale ranker, picks the rationale where it is built (else the rules do)."""
    sentences = paper_sentences(paper["title"], paper["abstract"])
    scorer = RationaleScorer(claim)
    stated = [(s, *hit) for s in sentences if (hit := scorer.finding(s))]
    topic = relevance(claim, paper["title"], paper["abstract"], paper["mesh"], paper["keywords"], bool(stated),
                      paper.get("chemicals", []), bool(paper.get("is_seed")))
    # The rationale: what bears most on the claim, whatever it says. The ranker embeds every sentence, so it
    # reads the papers on the claim's topic, whose sentence a fact-checker quotes; the rules pick for the rest.
    ranked = ranker is not None and topic.relevant
    rarity = scorer.rarity(sentences) if not ranked or stated else {}  # the rules' weights, where the rules score
    if ranked:
        stating = {id(s) for s, *_ in stated}
        best = ranker.best(scorer.text, sentences, states_finding=lambda s: id(s) in stating)
    else:
        best = scorer.best(sentences, rarity)
    made = _suggest(claim, stated, topic, best, scorer, rarity, level)
    if stance is not None and made.stance == "mentions" and (not claim.findings or made.method == "catalog findings"):
        made = _learned(claim, sentences, stance, level) or made
    made.topic, made.rationale = topic, best
    return made


READS_AS = {"supports": "supporting the claim", "contradicts": "contradicting the claim",
            "mentions": "neither supporting nor contradicting the claim"}


def _learned(claim: Claim, sentences: list[PaperSentence], stance: StanceModel, level: str) -> Suggestion | None:
    """The learned model's reading of the abstract (the title when there is none)."""
    read = [s for s in sentences if s.field == "abstract"] or sentences
    if not read:
        return None
    prediction = stance.predict(_statement(claim), [s.text for s in read])
    design = DESIGN.get(level, "a paper").capitalize()
    return Suggestion(prediction.stance, prediction.probability, read[prediction.sentence],
                      f"{design} that a learned stance model reads as {READS_AS[prediction.stance]}, from the "
                      f"sentence closest to it; the claim says: {_statement(claim)}", f"learned model ({stance.version})")


def _suggest(claim, stated, topic: Relevance, best, scorer, rarity, level) -> Suggestion:
    design = DESIGN.get(level, "a paper")
    if not topic.relevant:
        return Suggestion("unrelated", 0.7 if topic.score == 0 else 0.5, best,
                          f"{design.capitalize()} that is not on the claim's topic ({topic.basis})", "topic check")
    stances = {finding.stance for _, finding, _ in stated}
    if len(stances) == 1:
        sentence, finding, _ = max(stated, key=lambda item: scorer.score(item[0], rarity))
        caveat = "; evidence in animals or cells, not people" if level in PRECLINICAL else ""
        return Suggestion(finding.stance, _finding_confidence(level), sentence,
                          f"{design.capitalize()} reporting {finding.says}{caveat}; the claim says: "
                          f"{_statement(claim)}", "catalog findings")
    if stances:
        said = "; ".join(sorted({f"{f.stance}: {f.says}" for _, f, _ in stated}))
        return Suggestion("mentions", 0.4, best, f"{design.capitalize()} stating findings both ways ({said})",
                          "catalog findings")
    return Suggestion("mentions", 0.5, best, f"{design.capitalize()} on the claim's topic ({topic.basis}) that states "
                      "none of the claim's findings", "topic check")


def inputs_hash(claim_row: dict, content_hash: str | None, stance_version: str | None = None,
                ranker_version: str | None = None) -> str:
    parts = [METHOD_VERSION, stance_version or "", content_hash or "",
             *([f"ranker {ranker_version}"] if ranker_version else []),
             *(str(claim_row.get(k)) for k in ("statement", "synonyms", "topic", "findings", "subject"))]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


# ---- the database side ----

def _papers(db, pmids: list[int]) -> dict[int, dict]:
    marks = ", ".join("?" for _ in pmids)
    mesh = mesh_descriptors(db, pmids)
    chemicals: dict[int, list[str]] = {}
    for pmid, name in db.execute(f"SELECT pmid, name FROM chemicals WHERE pmid IN ({marks}) AND name IS NOT NULL",
                                 pmids):
        chemicals.setdefault(pmid, []).append(name)
    return {row["pmid"]: {**row, "mesh": mesh.get(row["pmid"], []), "keywords": json.loads(row["keywords"] or "[]"),
                          "chemicals": chemicals.get(row["pmid"], [])}
            for row in db.query(f"SELECT pmid, title, abstract, keywords, content_hash, is_seed FROM papers "
                                f"WHERE pmid IN ({marks})", pmids)}


def _sentence_columns(prefix: str, sentence: PaperSentence | None) -> dict:
    """A sentence as the columns that store it: text (under `prefix` itself), field, start, end, section."""
    names = {"text": prefix, "field": f"{prefix}_field", "start": f"{prefix}_start", "end": f"{prefix}_end",
             "section": f"{prefix}_section"}
    return {column: getattr(sentence, attribute) if sentence else None for attribute, column in names.items()}


@dataclass
class SuggestStats:
    claims: int = 0
    pairs: int = 0
    computed: int = 0  # new or recomputed (the rest were current)


def suggest_for_claims(db: sqlite_utils.Database, claims: list[Claim], now: str | None = None,
                       stance: StanceModel | None = None, ranker: RationaleRanker | None = None) -> SuggestStats:
    """A current suggestion for every candidate pair of these claims (decided pairs too: a suggestion
    shown beside a decision is never shown as the stance, but it is how suggestions are checked).
    `stance`: the learned model (link/stance.py), where it is built; `ranker`: the learned rationale ranker
    (link/ranker.py), where it is built."""
    now = now or utc_now()
    stats = SuggestStats(claims=len(claims))
    for claim in claims:
        claim_row = next(db.query("SELECT * FROM claims WHERE id = ?", [claim.id]))
        pmids = [r[0] for r in db.execute("SELECT pmid FROM claim_papers WHERE claim_id = ? ORDER BY pmid", [claim.id])]
        stored = dict(db.execute("SELECT pmid, inputs FROM suggestions WHERE claim_id = ?", [claim.id]).fetchall())
        papers = _papers(db, pmids) if pmids else {}
        levels = paper_levels_for(db, list(papers))
        suggestions, links = [], []
        for pmid, paper in papers.items():
            digest = inputs_hash(claim_row, paper["content_hash"], stance.version if stance else None,
                                 ranker.version if ranker else None)
            if stored.get(pmid) == digest:
                continue
            made = suggest(claim, paper, levels[pmid].level, stance, ranker)
            key = {"claim_id": claim.id, "pmid": pmid}
            links.append({**key, "relevant": int(made.topic.relevant), "relevance_score": made.topic.score,
                          "relevance_basis": made.topic.basis, **_sentence_columns("rationale", made.rationale)})
            suggestions.append({**key, "stance": made.stance, "confidence": made.confidence,
                                **_sentence_columns("sentence", made.sentence), "reason": made.reason,
                                "method": made.method, "inputs": digest, "computed_at": now})
        if suggestions:
            with db.atomic():
                db["suggestions"].upsert_all(suggestions, pk=("claim_id", "pmid"))
                db["claim_papers"].upsert_all(links, pk=("claim_id", "pmid"))
        stats.pairs += len(papers)
        stats.computed += len(suggestions)
    return stats


def read_pairs(db: sqlite_utils.Database, path: str | Path) -> list[tuple[str, int]]:
    """A CSV of claim_id,pmid pairs, checked against the database before anything is written."""
    path = Path(path)
    with reading(path, "a CSV file with a claim_id,pmid header"), path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"claim_id", "pmid"} <= set(reader.fieldnames or []):
            raise InputError(f"{path}: the header must be claim_id,pmid (found: {', '.join(reader.fieldnames or [])})")
        pairs = []
        for row in reader:
            claim_id, pmid = (row.get("claim_id") or "").strip(), (row.get("pmid") or "").strip()
            if as_pmid(pmid) is None:
                raise InputError(f"{path}, line {reader.line_num}: pmid {pmid!r} is not a PubMed id")
            pairs.append((claim_id, as_pmid(pmid)))
    claims = {row[0] for row in db.execute("SELECT id FROM claims WHERE status = 'active'")}
    unknown_claims = sorted({c for c, _ in pairs} - claims)
    if unknown_claims:
        raise InputError(f"{path}: no active claim {', '.join(map(repr, unknown_claims))}; "
                         "`tracker claims list` shows them; nothing was written")
    known = set()
    for chunk in chunks([p for _, p in pairs], 500):
        chunk = list(chunk)
        marks = ", ".join("?" for _ in chunk)
        known.update(r[0] for r in db.execute(f"SELECT pmid FROM papers WHERE pmid IN ({marks})", chunk))
    missing = sorted({p for _, p in pairs} - known)
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise InputError(f"{path}: PMID {shown} not in the database (`tracker sync --term` or `tracker load` "
                         "brings them); nothing was written")
    return pairs


def add_requested(db: sqlite_utils.Database, pairs: list[tuple[str, int]], now: str | None = None) -> int:
    """Make requested pairs candidates ("by request"); returns how many were not candidates yet."""
    now = now or utc_now()
    added = 0
    with db.atomic():
        for claim_id, pmid in pairs:
            db["candidate_sources"].upsert({"claim_id": claim_id, "pmid": pmid, "source": "requested", "via_pmid": 0,
                                            "found_at": now}, pk=("claim_id", "pmid", "source", "via_pmid"))
            if db.execute("SELECT 1 FROM claim_papers WHERE claim_id = ? AND pmid = ?", [claim_id, pmid]).fetchone():
                continue
            db["claim_papers"].insert({"claim_id": claim_id, "pmid": pmid, "methods": json.dumps(["requested"]),
                                       "in_last_run": 0, "first_linked": now, "last_linked": now})
            added += 1
    return added
