"""A verdict a fact-checker can quote: its direction, the certainty of the evidence (after GRADE) and why.

The rows below carry what a verdict is computed from (a person's stance, the paper's design,
retraction); their PMIDs are real papers of the starter bibliography, used as row identities only.
"""

import re
from pathlib import Path

from click.testing import CliRunner

from tracker.cli import cli
from tracker.link.verdict import counts_words, evidence_counts, grade, verdict_of

REPO = Path(__file__).resolve().parents[1]
PMIDS = [21528385, 33257199, 31643556, 34055525, 32202088, 33097339]


def rows(*pairs, retracted=(), **extra):
    """Evidence rows: (stance, evidence_level) each, on the real PMIDs above in turn."""
    return [{"pmid": PMIDS[i], "stance": stance, "evidence_level": level, "retracted": int(i in retracted),
             "relevant": 1, **extra} for i, (stance, level) in enumerate(pairs)]


def test_trials_that_agree_give_high_certainty():
    graded = grade(rows(("supports", "rct"), ("supports", "rct"), ("supports", "observational")))
    assert (graded.direction, graded.certainty) == ("supported", "high")
    assert graded.reasons == ["starts high: the strongest decided evidence is 2 human randomised controlled "
                              "trials, of 3 decided papers"]
    assert graded.scale == "●●●● high"


def test_each_rating_down_costs_one_level_and_says_why():
    inconsistent = grade(rows(("supports", "rct"), ("contradicts", "rct"), ("supports", "rct")))
    assert (inconsistent.direction, inconsistent.certainty) == ("mixed", "moderate")
    assert "rated down for inconsistency: the decided papers disagree (2 support, 1 contradict)" in inconsistent.reasons

    few = grade(rows(("contradicts", "observational"), ("contradicts", "observational")))
    assert (few.direction, few.certainty) == ("contradicted", "very low")
    assert "rated down for imprecision: only 2 decided studies" in few.reasons

    observed = grade(rows(*[("contradicts", "observational")] * 3))
    assert observed.certainty == "low" and not any("rated down" in r for r in observed.reasons)


def test_animal_work_is_indirect_for_a_claim_about_people_not_for_a_mechanism():
    lab = rows(*[("supports", "animal")] * 3)
    people = grade(lab, about="people")
    mechanism = grade(lab, about="mechanism")
    assert people.certainty == "very low"
    assert "rated down for indirectness: animal or in-vitro work only, for a claim about people" in people.reasons
    assert mechanism.certainty == "low" and not any("indirectness" in r for r in mechanism.reasons)
    assert grade([{**r, "claim_about": "mechanism"} for r in lab]).certainty == "low"  # as the view gives it


def test_case_reports_alone_are_very_low_with_no_controlled_study():
    graded = grade(rows(*[("contradicts", "case-report")] * 4, ("contradicts", "case-series")))
    assert (graded.direction, graded.certainty) == ("contradicted", "very low")
    assert graded.reasons[0] == ("starts very low: the strongest decided evidence is 1 human case series, "
                                 "of 5 decided papers")
    assert "no controlled study" in graded.reasons


def test_retracted_papers_never_count():
    graded = grade(rows(("supports", "rct"), ("contradicts", "case-report"), retracted=(0,)))
    assert (graded.direction, graded.certainty) == ("contradicted", "very low")
    assert graded.reasons[0] == f"1 retracted paper set aside (PMID {PMIDS[0]})"
    only_retracted = grade(rows(("supports", "rct"), retracted=(0,)))
    assert only_retracted.direction == "undecided" and only_retracted.certainty is None


def test_an_undecided_claim_shows_only_what_the_suggestions_lean_to():
    undecided = [{**r, "stance": None} for r in rows(*[("supports", "case-report")] * 4)]
    for row, suggested in zip(undecided, ("contradicts", "contradicts", "supports", "mentions")):
        row["suggested_stance"] = suggested
    graded = grade(undecided)
    assert graded.direction == "undecided" and graded.certainty is None and graded.reasons == []
    assert graded.lean == "suggestions lean contradicted: 2 of 4 papers on its topic, 1 the other way"
    assert graded.summary.startswith("Not yet decided (suggestions lean contradicted")
    assert graded.scale == "○○○○ none yet"
    assert counts_words(evidence_counts(undecided)) == "0 decided, 3 suggested, 4 candidates"
    verdict = verdict_of(undecided)
    assert verdict.kind == "undecided" and verdict.grade.lean == graded.lean


def _readme_table() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- tracker verdicts: start -->\n(.*?)<!-- tracker verdicts: end -->", text, re.S)
    assert found, "README.md has no tracker verdicts table between its markers"
    return found.group(1).strip("\n") + "\n"


def test_readme_shows_the_verdicts_the_starter_database_gives(tmp_path):
    db = tmp_path / "tracker.db"
    env = {"TRACKER_MODELS": str(tmp_path / "no-models")}  # suggestions by the catalog's rules, as the README says
    runner = CliRunner()
    for command in (["init"], ["claims", "load", REPO / "db/claims.yml"], ["articles", "add", REPO / "db/articles"],
                    ["curate", REPO / "db/curation.csv"], ["link", "--no-semantic"]):
        result = runner.invoke(cli, ["--db", str(db), *map(str, command)], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    printed = runner.invoke(cli, ["verdicts", "--db", str(db)], env=env, catch_exceptions=False)  # --db after too
    assert printed.exit_code == 0
    assert printed.output.startswith("| claim | direction | certainty | why |")
    assert "| Contradicted | ●○○○ very low |" in printed.output  # liver-protective, from eight case reports and series
    assert printed.output == _readme_table()  # run `tracker verdicts` on a fresh starter database to update README
