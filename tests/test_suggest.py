"""Suggested stances, relevance and rationale: what the tracker suggests, and that a person's decision
always wins. The database holds the starter bibliography and the 164 real metapub records."""

import json

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.core.database import open_db
from tracker.link.rationale import RationaleScorer, paper_sentences
from tracker.link.suggest import suggest

from .support.linked import CLAIMS, DILIN, LIVERTOX, REPO


def rows(db, sql, params=()):
    return list(db.query(sql, params))


def test_every_undecided_candidate_has_a_suggestion_with_its_sentence_and_reason(linked):
    undecided = rows(linked, "SELECT * FROM claim_evidence WHERE stance IS NULL AND methods != '[\"curated\"]'")
    assert len(undecided) > 100
    for row in undecided:
        assert row["suggested_stance"] in ("supports", "contradicts", "mentions", "unrelated"), row
        assert row["suggestion_reason"] and row["suggestion_method"]
        assert 0 < row["suggestion_confidence"] <= 1
        assert row["suggestion_sentence"], row  # the sentence it rests on (the title at least)


def test_a_decision_always_wins_and_is_never_changed(linked, run):
    before = rows(linked, "SELECT * FROM curation ORDER BY claim_id, pmid")
    decided = rows(linked, "SELECT * FROM claim_evidence WHERE stance IS NOT NULL")
    assert len(decided) == len(before) == 36
    # Where a person decided, the view shows the decision and no suggestion beside it.
    assert all(r["suggested_stance"] is None and r["suggestion_reason"] is None for r in decided)
    # Suggestions are stored apart; recomputing them (and relinking) leaves every decision as it was.
    assert run("suggest").exit_code == 0 and run("link", "--no-semantic").exit_code == 0
    assert rows(linked, "SELECT * FROM curation ORDER BY claim_id, pmid") == before
    # No suggestion made for a decided pair goes against the person's decision.
    opposite = rows(linked, """SELECT c.claim_id, c.pmid, c.stance, s.stance AS suggested FROM curation c
                               JOIN suggestions s ON s.claim_id = c.claim_id AND s.pmid = c.pmid
                               WHERE (c.stance = 'supports' AND s.stance = 'contradicts')
                                  OR (c.stance = 'contradicts' AND s.stance = 'supports')""")
    assert opposite == []


def test_the_liver_injury_series_contradicts_liver_protective_and_says_why(linked):
    row = rows(linked, "SELECT * FROM suggestions WHERE claim_id = 'liver-protective' AND pmid = ?", [DILIN])[0]
    assert row["stance"] == "contradicts" and row["method"] == "catalog findings"
    assert "liver injury" in row["reason"] and "the claim says: Kratom has liver-protective" in row["reason"]
    paper = rows(linked, "SELECT title, abstract FROM papers WHERE pmid = ?", [DILIN])[0]
    field = paper[row["sentence_field"]]
    assert field[row["sentence_start"]:row["sentence_end"]] == row["sentence"]
    # The same paper supports the claim that heavy use can damage the liver.
    other = rows(linked, "SELECT stance FROM suggestions WHERE claim_id = 'liver-injury-long-term' AND pmid = ?", [DILIN])
    assert other and other[0]["stance"] == "supports"


def test_relevance_puts_topic_papers_first_and_the_rest_apart(linked):
    liver = rows(linked, "SELECT pmid, relevant, relevance_basis FROM claim_papers WHERE claim_id = 'liver-protective'")
    flags = {r["pmid"]: r["relevant"] for r in liver}
    assert flags[DILIN] == 1 and flags[LIVERTOX] == 1
    # The liver-injury series is not on the topic of dopamine, wherever the retrieval ranked it.
    dopamine = rows(linked, "SELECT relevant, relevance_basis FROM claim_papers WHERE claim_id = 'dopamine-effects' "
                            "AND pmid = ?", [DILIN])
    assert not dopamine or (dopamine[0]["relevant"] == 0 and "none of the claim's topic terms" in
                            dopamine[0]["relevance_basis"])
    # Every link carries its flag and the score and terms behind it.
    unflagged = rows(linked, "SELECT count(*) AS n FROM claim_papers WHERE relevant IS NULL OR relevance_basis IS NULL")
    assert unflagged[0]["n"] == 0


def test_suggestions_are_recomputed_only_when_their_inputs_change(linked, run, tmp_path):
    first = {(r["claim_id"], r["pmid"]): r for r in rows(linked, "SELECT * FROM suggestions")}
    again = run("suggest")
    assert again.exit_code == 0 and ": 0 new or recomputed," in again.output
    # A changed claim (another finding) recomputes that claim's suggestions, and only those.
    catalog = (REPO / "db" / "claims.yml").read_text(encoding="utf-8")
    changed = catalog.replace('"a protective effect on the liver"', '"a protective effect on the liver (reworded)"')
    assert changed != catalog
    path = tmp_path / "claims.yml"
    path.write_text(changed, encoding="utf-8")
    assert run("claims", "load", path).exit_code == 0
    result = run("suggest")
    liver_pairs = len([k for k in first if k[0] == "liver-protective"])
    assert f": {liver_pairs} new or recomputed," in result.output
    now = {(r["claim_id"], r["pmid"]): r for r in rows(linked, "SELECT * FROM suggestions")}
    assert all(now[k]["inputs"] == first[k]["inputs"] for k in first if k[0] != "liver-protective")
    assert all(now[k]["inputs"] != first[k]["inputs"] for k in first if k[0] == "liver-protective")


def test_a_rebuilt_database_suggests_the_same(linked, tmp_path):
    first = rows(linked, "SELECT claim_id, pmid, stance, confidence, sentence, reason FROM suggestions "
                         "ORDER BY claim_id, pmid")
    rebuilt = tmp_path / "rebuilt.db"
    records = tmp_path / "records.xml"
    for args in (("init",), ("load", records), ("claims", "load"), ("curate", REPO / "db" / "curation.csv"),
                 ("link", "--no-semantic")):
        result = CliRunner().invoke(cli, ["--db", str(rebuilt), *map(str, args)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    second = list(open_db(rebuilt).query("SELECT claim_id, pmid, stance, confidence, sentence, reason "
                                         "FROM suggestions ORDER BY claim_id, pmid"))
    assert second == first


def test_requested_pairs_become_candidates_found_by_request(linked, run, tmp_path):
    # A pair the linker did not propose: a paper and a claim it was not linked to.
    pmid = next(r["pmid"] for r in rows(linked, """SELECT pmid FROM papers WHERE pmid NOT IN
                (SELECT pmid FROM claim_papers WHERE claim_id = 'strain-differences') ORDER BY pmid LIMIT 1"""))
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"claim_id,pmid\nstrain-differences,{pmid}\n", encoding="utf-8")
    result = run("suggest", "--pairs", pairs)
    assert result.exit_code == 0 and "1 new candidates (found by request)" in result.output
    row = rows(linked, "SELECT * FROM claim_evidence WHERE claim_id = 'strain-differences' AND pmid = ?", [pmid])[0]
    assert json.loads(row["methods"]) == ["requested"] and row["suggested_stance"] and row["suggestion_reason"]
    assert row["relevant"] in (0, 1) and row["rationale"]


@pytest.mark.parametrize("body, message", [
    ("claim_id,pmid\nno-such-claim,{pmid}\n", "no active claim 'no-such-claim'"),
    ("claim_id,pmid\nliver-protective,999999999\n", "PMID 999999999 not in the database"),
    ("claim_id,pmid\nliver-protective,²\n", "is not a PubMed id"),
    ("claim,paper\nliver-protective,{pmid}\n", "the header must be claim_id,pmid"),
])
def test_bad_pairs_are_refused_and_nothing_is_written(linked, run, tmp_path, body, message):
    before = {t: list(linked[t].rows) for t in ("claim_papers", "suggestions", "candidate_sources")}
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(body.format(pmid=DILIN), encoding="utf-8")
    result = run("suggest", "--pairs", pairs)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert {t: list(linked[t].rows) for t in before} == before


def test_rationale_prefers_a_results_sentence_and_keeps_offsets():
    claim = CLAIMS["liver-injury-long-term"]
    abstract = ("BACKGROUND: Kratom use and liver injury are topics of concern.\n\n"
                "RESULTS: Kratom use was followed by cholestatic liver injury in eight patients.\n\n"
                "CONCLUSIONS: Clinicians should ask about kratom.")
    sentences = paper_sentences("A title", abstract)
    best = RationaleScorer(claim).best(sentences)
    assert best.section == "RESULTS" and abstract[best.start:best.end] == best.text


def test_a_suggestion_says_when_the_evidence_is_in_animals():
    claim = CLAIMS["liver-protective"]
    paper = {"title": "Hepatoprotective effect of a kratom extract in rats", "abstract": None, "mesh": [], "keywords": []}
    made = suggest(claim, paper, "animal")
    assert made.stance == "supports" and "animals or cells, not people" in made.reason
    human = suggest(claim, {**paper, "title": "Kratom and liver injury: a case series"}, "case-series")
    assert human.stance == "contradicts" and human.reason.startswith("A case series reporting liver injury")
    assert made.confidence < human.confidence  # people over animals
    off_topic = suggest(claim, {**paper, "title": "Kratom and opioid withdrawal"}, "observational")
    assert off_topic.stance == "unrelated" and "not on the claim's topic" in off_topic.reason


def test_exports_and_the_report_mark_suggestions_as_suggestions(linked, run):
    links = json.loads(run("export", "links", "-f", "json").stdout)
    decided = [r for r in links if r["stance"]]
    undecided = [r for r in links if not r["stance"] and r["rank"] is not None]
    assert decided and all(r["suggested_stance"] is None for r in decided)
    assert undecided and all(r["suggested_stance"] and r["suggestion_reason"] for r in undecided)
    # On-topic candidates come before the other candidates of each claim.
    for claim_id in {r["claim_id"] for r in links}:
        flags = [r["relevant"] for r in links if r["claim_id"] == claim_id and r["relevant"] is not None]
        assert flags == sorted(flags, reverse=True)
    report = run("export", "report").stdout
    section = report.split("## Kratom has liver-protective")[1].split("\n## ")[0]
    assert "| contradicts |" in section  # the decisions, as decisions
    assert "*suggested: contradicts* (A review reporting liver injury" in section  # LiverTox, as a suggestion


def test_a_paper_that_does_not_name_kratom_bears_on_no_claim(fixtures):
    from tracker.link.relevance import relevance
    from tracker.papers.parse import iter_xml_records

    with open(fixtures / "biopython_entrez" / "pubmed4.xml", "rb") as handle:
        record = next(r for r in iter_xml_records(handle, "pubmed4.xml") if r.pmid == 27797938)
    paper, mesh = record.paper, [m["descriptor"] for m in record.mesh]  # a telomere study, indexed as an RCT topic
    evidence_limited = CLAIMS["evidence-limited"]
    args = (paper["title"], paper["abstract"], mesh, paper.get("keywords") or [])
    assert not relevance(evidence_limited, *args).relevant
    assert "does not name kratom" in relevance(evidence_limited, *args).basis
    # the same words in a paper known to be about kratom (a starter-bibliography paper), or one that names
    # it only among its substances, are on the claim's topic
    assert relevance(evidence_limited, *args, on_subject=True).relevant
    assert relevance(evidence_limited, *args, chemicals=["mitragynine"]).relevant
    # a catalog without a subject (the benchmarks' claims) asks for none
    from dataclasses import replace
    assert relevance(replace(evidence_limited, subject=[], subject_pattern=None), *args).relevant
