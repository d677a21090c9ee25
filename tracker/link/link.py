"""`tracker link`: candidate papers for each canonical claim, with scores and the methods that found them.

Candidates come from (a) the claim's own PubMed query (search `claim-<id>` of `tracker sync`),
(b) FTS5 full-text retrieval with the claim's synonyms and statement words, (c) FTS5 retrieval of
the claim's topic terms (papers on the topic whatever they conclude), (d) papers linked in PubMed
to papers a person decided on (ELink, ops), and (e) semantic similarity when the optional extra is
installed. Methods are fused by reciprocal rank (each contributes 1 / (60 + rank)), the best `top`
are kept. Links are upserted: relinking adds and updates, it never deletes; a link that falls below
`top` is kept with in_last_run = 0. Relevance, the rationale sentence and a suggested stance are
then computed for every candidate (suggest.py).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass

import sqlite_utils

from ..claims.catalog import Claim
from ..claims.store import active_claims
from ..core.clock import utc_now
from ..core.errors import TrackerError
from ..papers.evidence import paper_levels_for
from . import index
from .ranker import load_ranker
from .stance import load_stance_model
from .suggest import suggest_for_claims

RRF_K = 60
METHODS = ("pubmed-search", "fts", "topic", "semantic", "related")
DEFAULT_TOP = 50


@dataclass
class LinkStats:
    claim_id: str
    candidates: int = 0
    kept: int = 0
    new: int = 0
    seconds: float = 0.0


def fuse(rankings: dict[str, list[int]]) -> dict[int, float]:
    """Reciprocal-rank fusion of several ranked PMID lists."""
    fused: dict[int, float] = {}
    for ranked in rankings.values():
        for position, pmid in enumerate(ranked, start=1):
            fused[pmid] = fused.get(pmid, 0.0) + 1.0 / (RRF_K + position)
    return fused


def _rankings(db, claim: Claim, top: int, semantic) -> tuple[dict[str, list[int]], dict[str, dict[int, float]]]:
    """Each method's ranked PMIDs, and each method's scores."""
    rankings: dict[str, list[int]] = {}
    depth = max(2 * top, 100)
    fts_hits = index.search(db, index.fts_query(index.query_terms(claim)), depth)
    scores = {"fts": dict(fts_hits), "semantic": {}}
    if fts_hits:
        rankings["fts"] = [pmid for pmid, _ in fts_hits]
    # The claim's topic, apart from its assertion: finds what argues against it too.
    topic_hits = index.search(db, index.topic_query(claim), depth) if claim.topic else []
    if topic_hits:
        rankings["topic"] = [pmid for pmid, _ in topic_hits]
    sources = db.execute("SELECT DISTINCT pmid FROM candidate_sources WHERE claim_id = ? AND source != 'requested'",
                         [claim.id]).fetchall()
    if sources:
        # Found through PubMed's links from papers a person decided on; the full-text score orders them.
        rankings["related"] = sorted((r[0] for r in sources), key=lambda p: (-scores["fts"].get(p, float("-inf")), -p))
    from_search = [row[0] for row in db.execute(
        "SELECT r.pmid FROM search_results r JOIN papers p ON p.pmid = r.pmid WHERE r.search = ? "
        "AND coalesce(p.deleted, 0) = 0", [f"claim-{claim.id}"])]
    if from_search:
        # Within the search's results, the full-text score orders them; the newest PMIDs break ties.
        rankings["pubmed-search"] = sorted(from_search, key=lambda p: (-scores["fts"].get(p, float("-inf")), -p))
    if semantic is not None:
        hits = semantic.search(db, claim.statement + ". " + "; ".join(claim.synonyms), depth)
        scores["semantic"] = dict(hits)
        if hits:
            rankings["semantic"] = [pmid for pmid, _ in hits]
    return rankings, scores


def _rounded(scores: dict, pmid: int, digits: int = 4):
    return round(scores[pmid], digits) if pmid in scores else None


def _store_links(db, claim_id: str, rows: list[dict]) -> None:
    with db.atomic():
        db.execute("UPDATE claim_papers SET in_last_run = 0 WHERE claim_id = ?", [claim_id])
        # New and existing links apart: an upsert of rows without first_linked must not blank it.
        fresh = [r for r in rows if "first_linked" in r]
        known = [r for r in rows if "first_linked" not in r]
        if fresh:
            db["claim_papers"].insert_all(fresh, alter=False)
        if known:
            db["claim_papers"].upsert_all(known, pk=("claim_id", "pmid"), alter=False)


def link_claim(
    db: sqlite_utils.Database, claim: Claim, top: int = DEFAULT_TOP, semantic=None, now: str | None = None
) -> LinkStats:
    started = time.perf_counter()
    now = now or utc_now()
    stats = LinkStats(claim.id)
    rankings, scores = _rankings(db, claim, top, semantic)
    fused = fuse(rankings)
    stats.candidates = len(fused)
    kept = sorted(fused, key=lambda p: (-fused[p], -p))[:top]
    positions = {name: {pmid: i for i, pmid in enumerate(ranked, start=1)} for name, ranked in rankings.items()}
    existing = {row[0] for row in db.execute("SELECT pmid FROM claim_papers WHERE claim_id = ?", [claim.id])}
    levels = paper_levels_for(db, kept)
    marks = ", ".join("?" for _ in kept)
    papers = {row["pmid"]: row for row in db.query(
        f"SELECT pmid, retracted, has_erratum FROM papers WHERE pmid IN ({marks})", kept)}
    rows = []
    for rank, pmid in enumerate(kept, start=1):
        paper = papers[pmid]
        found_by = [name for name in METHODS if pmid in positions.get(name, {})]
        row = {
            "claim_id": claim.id, "pmid": pmid, "rank": rank, "score": round(fused[pmid], 6),
            "methods": json.dumps(found_by), "pubmed_search": int("pubmed-search" in found_by),
            "fts_score": _rounded(scores["fts"], pmid), "fts_rank": positions.get("fts", {}).get(pmid),
            "semantic_score": _rounded(scores["semantic"], pmid),
            "semantic_rank": positions.get("semantic", {}).get(pmid),
            "evidence_level": levels[pmid].level, "retracted": paper["retracted"] or 0,
            "has_erratum": paper["has_erratum"] or 0, "in_last_run": 1, "last_linked": now,
        }
        if pmid not in existing:
            row["first_linked"] = now
            stats.new += 1
        rows.append(row)
    _store_links(db, claim.id, rows)
    stats.kept = len(rows)
    stats.seconds = time.perf_counter() - started
    return stats


def claims_to_link(db, claim_ids=()) -> list[Claim]:
    """The active claims, or those of `claim_ids`; an unknown id is an error that names it."""
    claims = active_claims(db)
    if not claims:
        raise TrackerError("no claims loaded; run `tracker claims load` first")
    if claim_ids:
        unknown = sorted(set(claim_ids) - {c.id for c in claims})
        if unknown:
            raise TrackerError(f"no active claim {', '.join(unknown)}; `tracker claims list` shows them")
        claims = [c for c in claims if c.id in claim_ids]
    return claims


def learned_models(db, semantic):
    """(the stance model, the rationale ranker), each None where it is not built or `semantic` is None; they read
    one store of vectors (`text_embeddings`), so a paper is embedded once for both."""
    vectors = semantic.stored(db) if semantic is not None else None
    return load_stance_model(semantic, vectors), load_ranker(semantic, vectors)


def link_claims(db, claims: list[Claim], top: int = DEFAULT_TOP, semantic=None, progress=None) -> list[LinkStats]:
    """Link every claim, then suggest a stance for every candidate (link/suggest.py); the run is recorded
    in link_runs (what `tracker status` counts papers awaiting linking from)."""
    started_at = utc_now()
    with db.atomic():
        run_id = db["link_runs"].insert({"started_at": started_at, "status": "running", "claims": len(claims)}).last_pk
    try:
        index.refresh_index(db)
        if semantic is not None:
            semantic.refresh(db)
        results = []
        for number, claim in enumerate(claims, start=1):
            results.append(link_claim(db, claim, top=top, semantic=semantic))
            if progress:
                progress(number, len(claims), claim.id)
        stance, ranker = learned_models(db, semantic)
        suggest_for_claims(db, claims, stance=stance, ranker=ranker)
    except BaseException as error:  # recorded as failed, not left "running"; the next link redoes it all
        with contextlib.suppress(Exception), db.atomic():
            db["link_runs"].update(run_id, {"finished_at": utc_now(), "status": "failed"})
        raise
    with db.atomic():
        db["link_runs"].update(run_id, {"finished_at": utc_now(), "status": "ok", "links": sum(r.kept for r in results),
                                        "new_links": sum(r.new for r in results)})
    return results
