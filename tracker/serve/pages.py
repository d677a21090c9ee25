"""What each page of the tracker shows, as plain data from the database: no HTML here.

One function per page (home, claim, paper, article, to-review, search), each taking a
sqlite-utils Database and returning a dict the page's template renders. The Datasette plugin
(plugins/pages.py) calls them on a read-only connection.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import sqlite_utils

from ..articles.store import article_name
from ..core.vocabulary import HUMAN, PRECLINICAL, STANCE_RANK
from ..link.verdict import (
    LEVEL_WORDS,
    article_scorecard,
    claim_evidence,
    counts_words,
    evidence_counts,
    level_rank,
    verdict_of,
)
from . import charts

_STOP = frozenset("""a an and are as at be by can for from has have in into is it its kratom kratom's may of on or
    that the their this to use used users using was were when which with without""".split())
MENTIONS_SHOWN = 3


# ---- marking a claim's words in a sentence ----

def claim_terms(claim: dict) -> list[str]:
    """The words that make a sentence about the claim: its statement's content words, its synonyms
    and its topic terms ('*' = any ending)."""
    terms = [w for w in re.findall(r"[\w'-]+", claim.get("statement") or "") if w.lower() not in _STOP and len(w) > 2]
    for field in ("synonyms", "topic"):
        value = claim.get(field)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = []
        terms += [t for t in value or [] if isinstance(t, str)]
    return terms


def _terms_pattern(terms: list[str]) -> re.Pattern | None:
    alternatives = []
    for term in sorted({t.strip().lower() for t in terms if t.strip()}, key=len, reverse=True):
        prefix = term.endswith("*")
        text = re.escape(term.rstrip("*"))
        if len(text) < 3:
            continue
        alternatives.append(text + (r"[\w-]*" if prefix else r"(?:e?s)?"))
    if not alternatives:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


def mark(text: str, pattern: re.Pattern | None) -> list[tuple[str, bool]]:
    """The text as segments (text, marked): the claim's words marked."""
    if not text:
        return []
    if pattern is None:
        return [(text, False)]
    segments, at = [], 0
    for match in pattern.finditer(text):
        if match.start() > at:
            segments.append((text[at:match.start()], False))
        segments.append((match.group(0), True))
        at = match.end()
    if at < len(text):
        segments.append((text[at:], False))
    return segments


# ---- the claim page ----

def _evidence_order(row: dict) -> tuple:
    """Strongest evidence first: the design's rank, then the newest."""
    return (level_rank(row.get("evidence_level")), -(row.get("pub_year") or 0), row["pmid"])


def claim_page(db: sqlite_utils.Database, claim_id: str) -> dict | None:
    found = list(db.query("SELECT * FROM claims WHERE id = ?", [claim_id]))
    if not found:
        return None
    claim = found[0]
    evidence = claim_evidence(db, claim_id)
    pattern = _terms_pattern(claim_terms(claim))
    for row in evidence:
        sentence = row.get("suggestion_sentence") or row.get("rationale") or ""
        row["sentence_marked"] = mark(sentence, pattern)
        row["level_words"] = LEVEL_WORDS.get(row.get("evidence_level") or "unknown", ("", ""))[0]
    decided = sorted((r for r in evidence if r["stance"]),
                     key=lambda r: (STANCE_RANK.get(r["stance"], 9), *_evidence_order(r)))
    waiting = [r for r in evidence if not r["stance"]]
    suggested = sorted((r for r in waiting if r.get("relevant") != 0),
                       key=lambda r: (STANCE_RANK.get(r.get("suggested_stance"), 8), *_evidence_order(r)))
    others = sorted((r for r in waiting if r.get("relevant") == 0), key=lambda r: (r.get("rank") or 10**9, r["pmid"]))
    verdict = verdict_of(evidence, claim.get("about"))
    levels = charts.count_by(evidence, lambda r: r.get("evidence_level") or "unknown", order=level_rank)
    level_bars = [(LEVEL_WORDS[level][1], counts) for level, counts in levels]
    years = charts.years_filled(charts.count_by(evidence, lambda r: str(r["pub_year"]) if r.get("pub_year") else None))
    passages = claim_passages(db, claim_id)
    return {
        "claim": claim, "verdict": verdict, "decided": decided, "suggested": suggested, "others": others,
        "counts": {"papers": len(evidence), "decided": len(decided), "suggested": len(suggested), "others": len(others)},
        "counts_words": counts_words(evidence_counts(evidence)),
        "levels_chart": charts.horizontal_bars(level_bars, chart_id="levels",
                                               title="Papers on this claim by evidence level and stance"),
        "years_chart": charts.vertical_bars(years, chart_id="years", title="Papers on this claim per year, by stance"),
        "passages": passages[:MENTIONS_SHOWN], "more_passages": passages[MENTIONS_SHOWN:],
        "passage_count": len(passages),
    }


def claim_passages(db: sqlite_utils.Database, claim_id: str) -> list[dict]:
    """Each distinct passage (block of an article) that makes the claim, once, with every sentence
    in it that makes the claim marked; the same text in two articles is one passage."""
    rows = db.query(
        "SELECT s.article_id, s.block_id, s.start, s.text, s.hedged, b.text AS block_text, b.start AS block_start, "
        "a.title, a.note FROM claim_mentions m JOIN article_sentences s ON s.id = m.sentence_id "
        "JOIN article_blocks b ON b.id = s.block_id JOIN articles a ON a.id = s.article_id "
        "WHERE m.claim_id = ? AND s.is_current = 1 AND coalesce(m.polarity, 'asserts') = 'asserts' "
        "ORDER BY s.article_id, s.position", [claim_id])  # a sentence denying the claim does not make it
    by_block: dict[str, dict] = {}
    for row in rows:
        block = by_block.setdefault(row["block_id"], {
            "block_text": row["block_text"], "block_start": row["block_start"], "spans": [],
            "articles": [], "hedged": False})
        block["spans"].append((row["start"] - row["block_start"], len(row["text"])))
        block["hedged"] = block["hedged"] or bool(row["hedged"])
        article = {"id": row["article_id"], "name": article_name(row)}
        if article not in block["articles"]:
            block["articles"].append(article)
    passages: dict[str, dict] = {}
    for block in by_block.values():
        key = " ".join(block["block_text"].split())
        if key in passages:  # the same paragraph in another article
            for article in block["articles"]:
                if article not in passages[key]["articles"]:
                    passages[key]["articles"].append(article)
            continue
        text, segments, at = block["block_text"], [], 0
        for start, length in sorted(set(block["spans"])):
            if start < at:
                continue
            if start > at:
                segments.append((text[at:start], False))
            segments.append((text[start:start + length], True))
            at = start + length
        if at < len(text):
            segments.append((text[at:], False))
        passages[key] = {"segments": segments, "articles": block["articles"], "hedged": block["hedged"]}
    return list(passages.values())


# ---- the paper page ----

def paper_page(db: sqlite_utils.Database, pmid: int) -> dict | None:
    found = list(db.query("SELECT * FROM papers WHERE pmid = ?", [pmid]))
    if not found:
        return None
    paper = found[0]
    authors = list(db.query("SELECT last_name, fore_name, initials, collective_name FROM authors "
                            "WHERE pmid = ? AND role = 'author' ORDER BY position", [pmid]))
    links = list(db.query("SELECT e.*, c.synonyms, c.topic FROM claim_evidence e JOIN claims c ON c.id = e.claim_id "
                          "WHERE e.pmid = ?", [pmid]))
    links.sort(key=lambda r: (r["stance"] is None, r.get("relevant") == 0, STANCE_RANK.get(r["stance"], 9),
                              r["claim_id"]))
    bearing: dict[str, list[str]] = {}  # sentence -> claims it bears on
    for link in links:
        sentence = link.get("suggestion_sentence") or link.get("rationale")
        if sentence and link.get("relevant") != 0:
            bearing.setdefault(sentence, []).append(link["claim_id"])
    sections = []
    try:
        raw_sections = json.loads(paper.get("abstract_sections") or "[]") or []
    except ValueError:
        raw_sections = []
    if not raw_sections and paper.get("abstract"):  # an unlabelled abstract: its paragraphs, as the store joined them
        raw_sections = [{"label": None, "text": part} for part in paper["abstract"].split("\n\n")]
    for section in raw_sections:
        sections.append({"label": section.get("label"), "segments": _mark_sentences(section.get("text") or "", bearing)})
    evidence = list(db.query("SELECT level, basis FROM paper_evidence WHERE pmid = ?", [pmid]))
    mesh = [r["descriptor"] for r in db.query(
        "SELECT descriptor FROM mesh_headings WHERE pmid = ? ORDER BY position", [pmid])]
    return {
        "paper": paper, "authors": [_author_name(a) for a in authors], "sections": sections,
        "links": [link for link in links if link["stance"] or link.get("relevant") != 0],
        "other_links": [link for link in links if not link["stance"] and link.get("relevant") == 0],
        "title_claims": bearing.get(paper.get("title") or "", []),
        "level": evidence[0]["level"] if evidence else None, "level_basis": evidence[0]["basis"] if evidence else None,
        "mesh": mesh,
    }


def _author_name(author: dict) -> str:
    if author.get("collective_name"):
        return author["collective_name"]
    return " ".join(p for p in (author.get("last_name"), author.get("initials")) if p)


def _mark_sentences(text: str, bearing: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """Segments (text, claim ids): the sentences that bear on claims carry the claims' ids."""
    spans = []
    for sentence, claim_ids in bearing.items():
        at = text.find(sentence)
        if at >= 0:
            spans.append((at, at + len(sentence), claim_ids))
    spans.sort()
    segments, at = [], 0
    for start, end, claim_ids in spans:
        if start < at:
            continue
        if start > at:
            segments.append((text[at:start], []))
        segments.append((text[start:end], claim_ids))
        at = end
    if at < len(text):
        segments.append((text[at:], []))
    return segments


# ---- the article page ----

def article_page(db: sqlite_utils.Database, article_id: str) -> dict | None:
    found = list(db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
    if not found:
        return None
    article = found[0]
    sentences = list(db.query(
        "SELECT s.id, s.block_id, s.block_kind, s.label, s.text, s.hedged FROM article_sentences s "
        "WHERE s.article_id = ? AND s.is_current = 1 ORDER BY s.position", [article_id]))
    mentions: dict[str, list[dict]] = {}
    for row in db.query(
            "SELECT m.sentence_id, m.claim_id, c.statement, coalesce(m.polarity, 'asserts') AS polarity "
            "FROM claim_mentions m JOIN claims c ON c.id = m.claim_id "
            "JOIN article_sentences s ON s.id = m.sentence_id WHERE s.article_id = ? AND s.is_current = 1 "
            "ORDER BY m.sentence_id, m.rank", [article_id]):
        says = row["statement"] if row["polarity"] == "asserts" else "says the opposite of: " + row["statement"]
        mentions.setdefault(row["sentence_id"], []).append({"id": row["claim_id"], "statement": says,
                                                            "short": shortened(row["statement"]),
                                                            "denies": row["polarity"] == "denies"})
    blocks: list[dict] = []
    for sentence in sentences:
        if not blocks or blocks[-1]["id"] != sentence["block_id"]:
            blocks.append({"id": sentence["block_id"], "kind": sentence["block_kind"], "sentences": []})
        sentence["claims"] = mentions.get(sentence["id"], [])
        blocks[-1]["sentences"].append(sentence)
    source = article.get("source") or ""
    url = source if source.startswith(("http://", "https://")) else None
    return {
        "article": article, "name": article_name(article), "url": url,
        "site": urlsplit(url).hostname if url else None, "blocks": blocks,
        "scorecard": article_scorecard(db, article_id),
    }


def shortened(text: str, limit: int = 60) -> str:
    """Text cut at a word boundary to about `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


# ---- the home page ----

def home_page(db: sqlite_utils.Database) -> dict:
    evidence = list(db.query("SELECT claim_id, claim_about, pmid, stance, relevant, suggested_stance, evidence_level, "
                             "pub_year, retracted FROM claim_evidence WHERE claim_status = 'active'"))
    by_claim: dict[str, list[dict]] = {}
    for row in evidence:
        by_claim.setdefault(row["claim_id"], []).append(row)
    claims = []
    for claim in db.query("SELECT id, statement, category FROM claims WHERE status = 'active' ORDER BY category, id"):
        rows = by_claim.get(claim["id"], [])
        claims.append({**claim, "verdict": verdict_of(rows), "papers": len(rows),
                       "counts_words": counts_words(evidence_counts(rows)),
                       "decided": sum(1 for r in rows if r["stance"]),
                       "human": sum(1 for r in rows if r["evidence_level"] in HUMAN and r.get("relevant") != 0),
                       "preclinical": sum(1 for r in rows if r["evidence_level"] in PRECLINICAL
                                          and r.get("relevant") != 0)})
    # One paper counts once per year in the picture, by what was decided or suggested for it anywhere.
    per_paper: dict[int, dict] = {}
    rank = {"contradicts": 0, "supports": 1, "mentions": 2, "suggested-contradicts": 3, "suggested-supports": 4,
            "undecided": 5}
    for row in evidence:
        category = charts.stance_category(row)
        if category is None or not row.get("pub_year"):
            continue
        kept = per_paper.get(row["pmid"])
        if kept is None or rank[category] < rank[charts.stance_category(kept)]:
            per_paper[row["pmid"]] = row
    years = charts.years_filled(charts.count_by(list(per_paper.values()), lambda r: str(r["pub_year"])))
    fresh = db.execute("""SELECT (SELECT max(finished_at) FROM sync_runs WHERE status = 'ok'),
        (SELECT count(*) FROM papers), (SELECT count(*) FROM papers WHERE is_seed = 1),
        (SELECT count(*) FROM papers WHERE retracted = 1), (SELECT count(*) FROM articles),
        (SELECT count(*) FROM curation)""").fetchone()
    articles = [{"id": a["id"], "name": article_name(a)} for a in db.query("SELECT id, title, note FROM articles ORDER BY id")]
    return {
        "claims": claims, "articles": articles,
        "years_chart": charts.vertical_bars(years, chart_id="home-years",
                                            title="Linked papers per year, by what was decided or suggested"),
        "synced": fresh[0], "papers": fresh[1], "seeds": fresh[2], "retracted": fresh[3], "article_count": fresh[4],
        "decisions": fresh[5],
    }


# ---- the to-review page ----

REVIEW_STATES = {"undecided": "stance IS NULL", "decided": "stance IS NOT NULL", "all": "1"}


def review_page(db: sqlite_utils.Database, limit: int = 50, offset: int = 0, claim: str | None = None,
                suggestion: str | None = None, state: str = "undecided", just_decided: tuple | None = None) -> dict:
    """Pairs of a claim and a paper on its topic that carry a suggestion, grouped by claim (the surest
    suggestion first within each), a page at a time; filtered by claim, suggested stance and whether a
    person decided. `just_decided` (claim, pmid): the pair decided a moment ago stays on the page, so
    the reader lands back on it."""
    state = state if state in REVIEW_STATES else "undecided"
    where = ["relevant = 1", "claim_status = 'active'", REVIEW_STATES[state],
             "(suggested_stance IS NOT NULL OR stance IS NOT NULL)"]
    params: list = []
    if claim:
        where.append("claim_id = ?")
        params.append(claim)
    if suggestion in STANCE_RANK:
        where.append("coalesce(suggested_stance, '') = ?")
        params.append(suggestion)
    condition = " AND ".join(where)
    if just_decided:
        condition = f"(({condition}) OR (claim_id = ? AND pmid = ?))"
        params += [just_decided[0], just_decided[1]]
    total = db.execute(f"SELECT count(*) FROM claim_evidence WHERE {condition}", params).fetchone()[0]
    rows = list(db.query(f"SELECT * FROM claim_evidence WHERE {condition} "
                         "ORDER BY claim, suggestion_confidence DESC, pmid LIMIT ? OFFSET ?", [*params, limit, offset]))
    groups: list[dict] = []
    for row in rows:
        if not groups or groups[-1]["claim_id"] != row["claim_id"]:
            groups.append({"claim_id": row["claim_id"], "claim": row["claim"], "rows": []})
        groups[-1]["rows"].append(row)
    claims = list(db.query("SELECT id, statement FROM claims WHERE status = 'active' ORDER BY statement"))
    return {"rows": rows, "groups": groups, "total": total, "limit": limit, "offset": offset,
            "next": offset + limit if offset + limit < total else None,
            "previous": max(0, offset - limit) if offset else None,
            "filters": {"claim": claim or "", "suggestion": suggestion or "", "state": state},
            "claims": claims, "states": list(REVIEW_STATES), "stances": list(STANCE_RANK)}
