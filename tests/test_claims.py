"""The claim catalog: loading, retiring, matching mentions, and what is left for review."""

from pathlib import Path

import pytest
import yaml

from tracker.claims.catalog import compile_term, load_catalog, read_catalog
from tracker.claims.match import Matcher
from tracker.core.errors import InputError

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO / "db" / "articles"
CLAIMS = REPO / "db" / "claims.yml"


def catalog_entries():
    return yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))["claims"]


def write_catalog(path: Path, entries, **sections) -> Path:
    """A catalog with the project's categories and terms (unless replaced) and these claims."""
    project = yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))
    catalog = {"categories": project["categories"], "terms": project["terms"], **sections, "claims": entries}
    path.write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
    return path


def test_the_catalog_holds_20_to_30_distinct_claims_covering_every_category():
    claims = load_catalog(CLAIMS)
    assert 20 <= len(claims) <= 30
    assert len({c.id for c in claims}) == len(claims)
    assert len({c.statement for c in claims}) == len(claims)
    assert {c.category for c in claims} == {c.name for c in read_catalog(CLAIMS).categories}
    assert all(c.pubmed and c.synonyms and c.match for c in claims)


def test_terms_match_whole_words_with_optional_endings():
    import re

    assert re.search(compile_term("craving*"), "reduce cravings")
    assert not re.search(compile_term("ALT"), "alternative")
    assert re.search(compile_term("ALT"), "levels of alt and ast")
    assert re.search(compile_term("opioid receptor*"), "the opioid  receptors in the brain")
    assert not re.search(compile_term("respirator*"), "non-respiratory")


def test_a_gap_in_a_term_stands_for_up_to_three_words():
    import re

    gap = re.compile(compile_term("interact* with ... medication*"))
    assert gap.search("it interacts with medications")
    assert gap.search("it interacts with other prescription medications")
    assert not gap.search("it interacts with the same receptors as pain medications")  # four words between
    assert not gap.search("it interacts with receptorsmedications")
    with pytest.raises(ValueError, match="between two words"):
        compile_term("... medication*")


def test_a_sentence_is_matched_with_score_method_and_evidence():
    matcher = Matcher(load_catalog(CLAIMS))
    matches = matcher.match("It has liver-protective properties but requires careful use.")
    assert matches[0].claim_id == "liver-protective"
    assert matches[0].method == "rule" and 0.8 <= matches[0].score <= 1.0
    assert "liver-protective" in matches[0].evidence
    assert matcher.match("The seized products are worth approximately $1.3 million.") == []


def test_loading_is_idempotent(run, db):
    first = run("claims", "load", CLAIMS)
    assert first.exit_code == 0 and f"{len(catalog_entries())} new" in first.output
    assert run("articles", "add", ARTICLES).exit_code == 0
    before = {t: list(db[t].rows) for t in ("claims", "claim_mentions")}
    second = run("claims", "load", CLAIMS)
    assert "0 new, 0 changed" in second.output and f"{len(catalog_entries())} unchanged" in second.output
    after = {t: list(db[t].rows) for t in ("claims", "claim_mentions")}
    strip = lambda rows, *keys: [{k: v for k, v in r.items() if k not in keys} for r in rows]  # noqa: E731
    assert strip(after["claims"], "last_loaded") == strip(before["claims"], "last_loaded")
    assert strip(after["claim_mentions"], "matched_at") == strip(before["claim_mentions"], "matched_at")


def test_a_removed_claim_is_retired_with_its_mentions_kept_and_can_come_back(run, db, tmp_path):
    assert run("claims", "load", CLAIMS).exit_code == 0
    assert run("articles", "add", ARTICLES).exit_code == 0
    mentions = db.execute("SELECT count(*) FROM claim_mentions WHERE claim_id = 'liver-protective'").fetchone()[0]
    assert mentions >= 2
    smaller = write_catalog(tmp_path / "claims.yml", [e for e in catalog_entries() if e["id"] != "liver-protective"])
    result = run("claims", "load", smaller)
    assert result.exit_code == 0 and "retired: liver-protective" in result.output
    row = db["claims"].get("liver-protective")
    assert row["status"] == "retired" and row["retired_at"]
    assert db.execute("SELECT count(*) FROM claim_mentions WHERE claim_id = 'liver-protective'").fetchone()[0] == mentions
    listed = run("claims", "list").output
    assert "liver-protective" not in listed
    assert "liver-protective [retired]" in run("claims", "list", "--all").output
    back = run("claims", "load", CLAIMS)
    assert "1 back from retirement" in back.output
    assert db["claims"].get("liver-protective")["status"] == "active"


def test_a_claim_matching_no_canonical_claim_is_kept_for_review(run, db, tmp_path):
    smaller = write_catalog(tmp_path / "claims.yml", [e for e in catalog_entries() if e["id"] != "strain-differences"])
    assert run("claims", "load", smaller).exit_code == 0
    assert run("articles", "add", ARTICLES / "003_f6a46e9e997b1915.txt").exit_code == 0
    sentence = "Strain Selection: Different strains of kratom can produce varying effects."
    row = next(db.query("SELECT * FROM article_sentences WHERE text = ?", [sentence]))
    assert row["label"] == "claim"
    assert db.execute("SELECT count(*) FROM claim_mentions WHERE sentence_id = ?", [row["id"]]).fetchone()[0] == 0
    review = run("claims", "unmatched").output
    assert f"{row['id']} (product-regulation): {sentence}" in review
    # With the full catalog it matches its claim by rule.
    assert run("claims", "load", CLAIMS).exit_code == 0
    best = next(db.query("SELECT * FROM claim_mentions WHERE sentence_id = ? ORDER BY rank", [row["id"]]))
    assert best["claim_id"] == "strain-differences" and best["method"] == "rule"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda e: e[0].update(category="vibes"), "category 'vibes' is not one of the file's categories"),
        (lambda e: e[0].update(match=[["@no-such-list"]]), "@no-such-list names no list under 'terms:'"),
        (lambda e: e[1].update(id=e[0]["id"]), "the id is used twice"),
        (lambda e: e[0].pop("pubmed"), "'pubmed' is missing"),
        (lambda e: e[0].update(id="Liver Protective"), "'id' must be lowercase"),
        (lambda e: e[0].update(match="craving"), "'match' must be a list of rules"),
        (lambda e: e[0].update(match=[["  "]]), "'match' must be a list of rules"),
    ],
)
def test_catalog_mistakes_are_named(tmp_path, change, message, run, db):
    entries = catalog_entries()
    change(entries)
    path = write_catalog(tmp_path / "claims.yml", entries)
    with pytest.raises(InputError, match=message):
        load_catalog(path)
    result = run("claims", "load", path)
    assert result.exit_code == 1 and message.split("'")[0] in result.output
    assert db["claims"].count == 0


def test_unreadable_catalogs(tmp_path):
    (tmp_path / "bad.yml").write_text("claims: [unclosed", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_catalog(tmp_path / "bad.yml")
    with pytest.raises(InputError, match="no such file"):
        load_catalog(tmp_path / "missing.yml")
    (tmp_path / "empty.yml").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="'claims:' list"):
        load_catalog(tmp_path / "empty.yml")


def test_evaluate_command_reports_the_figures(run):
    result = run("articles", "evaluate", "--gold", Path(__file__).parent / "gold" / "article_sentences.tsv",
                 "--articles", ARTICLES, "--claims", CLAIMS, "--json")
    assert result.exit_code == 0
    import json

    figures = json.loads(result.output)
    assert figures["sentences"] == 206
    assert figures["claim_precision"] >= 0.9 and figures["claim_recall"] >= 0.9
