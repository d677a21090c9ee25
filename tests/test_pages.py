"""The tracker's pages: verdicts, charts, search, the to-review list, deciding, and the pages in Datasette."""

import csv
import html
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlite_utils
from click.testing import CliRunner
from lxml import etree

from tracker.cli import cli
from tracker.core.errors import InputError
from tracker.link.verdict import describe_studies, verdict_of
from tracker.serve import charts, decide, pages, search

from .support.built import built, built_records, copy_database  # noqa: F401  (built*: fixtures)
from .support.serving import get

REPO = Path(__file__).resolve().parents[1]


def _row(stance=None, level=None, suggested=None, relevant=1, retracted=0, year=None):
    return {"stance": stance, "evidence_level": level, "suggested_stance": suggested, "relevant": relevant,
            "retracted": retracted, "pub_year": year}


# ---- verdicts ----

def test_verdict_names_its_basis_in_words():
    rows = [_row("contradicts", "case-report")] * 5 + [_row("contradicts", "case-series")] * 3
    verdict = verdict_of(rows)
    assert verdict.kind == "contradicted"
    assert verdict.line == "Contradicted: contradicted by 8 human case series and case reports; no supporting study."


def test_verdict_kinds():
    assert verdict_of([]).kind == "no-evidence"
    assert verdict_of([_row(suggested="supports")]).kind == "undecided"
    assert verdict_of([_row("supports", "animal"), _row("supports", "in-vitro")]).kind == "preclinical-only"
    assert verdict_of([_row("supports", "rct"), _row("contradicts", "case-report")]).kind == "contested"
    assert verdict_of([_row("contradicts", "animal")]).kind == "weakly-contradicted"
    retracted = verdict_of([_row("supports", "rct", retracted=1)])
    assert retracted.relies_on_retracted and "relies on a retracted paper" in retracted.basis
    assert verdict_of([]).tone == "none" and verdict_of([_row("contradicts", "rct")]).tone == "bad"


def test_pending_counts_only_on_topic_undecided_papers():
    rows = [_row(suggested="supports"), _row(suggested="supports"), _row(suggested="contradicts"),
            _row(suggested="supports", relevant=0), _row("supports", "rct")]
    assert verdict_of(rows).pending == ("3 papers on its topic await a decision "
                                        "(the tracker suggests 1 contradicts and 2 support)")


def test_describe_studies_keeps_human_and_other_designs_apart():
    assert describe_studies(["case-report", "narrative-review", "case-report"]) == (
        "2 human case reports and 1 narrative review")
    assert describe_studies(["animal", "animal", "in-vitro"]) == "2 animal studies and 1 in-vitro study"


# ---- charts ----

def test_stacked_bars_are_svg_with_one_segment_per_count():
    rows = ([_row("contradicts", "case-report", year=2019)] * 3 + [_row(suggested="supports", level="animal", year=2021)]
            + [_row("unrelated", "rct", year=2020), _row(suggested="supports", relevant=0, year=2020)])
    bars = charts.count_by(rows, lambda r: r["evidence_level"])
    assert bars == [("animal", {"suggested-supports": 1}), ("case-report", {"contradicts": 3})]
    svg = etree.fromstring(charts.horizontal_bars(bars, title="t").encode())
    titles = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert "case-report: 3 papers contradicts (decided)" in titles and "animal: 1 paper suggested: supports" in titles
    years = charts.years_filled(charts.count_by(rows, lambda r: str(r["pub_year"])))
    assert [label for label, _ in years] == ["2019", "2020", "2021"] and years[1][1] == {}
    assert etree.fromstring(charts.vertical_bars(years).encode()).tag == "{http://www.w3.org/2000/svg}svg"
    assert charts.horizontal_bars([]) == "" and charts.vertical_bars([]) == ""


# ---- page data ----

def test_claim_page_groups_and_orders_the_evidence(built):  # noqa: F811
    db = sqlite_utils.Database(built)
    page = pages.claim_page(db, "liver-protective")
    assert [r["stance"] for r in page["decided"]] == ["contradicts"] * 8
    levels = [pages.level_rank(r["evidence_level"]) for r in page["decided"]]
    assert levels == sorted(levels)  # strongest design first
    assert all(r["stance"] is None and r["relevant"] != 0 for r in page["suggested"])
    assert all(r["relevant"] == 0 for r in page["others"])
    assert page["counts"]["papers"] == len(page["decided"]) + len(page["suggested"]) + len(page["others"])
    texts = ["".join(text for text, _ in p["segments"]) for p in page["passages"] + page["more_passages"]]
    assert len(texts) == len(set(" ".join(t.split()) for t in texts)) == page["passage_count"]  # each passage once
    assert len(page["passages"]) <= 3
    marked = [text for row in page["decided"] for text, on in row["sentence_marked"] if on]
    assert any("liver" in m.lower() for m in marked)
    assert pages.claim_page(db, "no-such-claim") is None


def test_paper_page_marks_the_sentences_that_bear_on_claims(built_records, tmp_path):  # noqa: F811
    # The fixture records are not about kratom, so none is relevant to a kratom claim: one link to a
    # structured abstract is marked relevant here, in a copy, to see how the page shows such a paper.
    db = sqlite_utils.Database(copy_database(built_records, tmp_path / "copy.db"))
    pmid = db.execute("SELECT p.pmid FROM papers p JOIN claim_papers l ON l.pmid = p.pmid "
                      "WHERE p.abstract_sections LIKE '%\"label\": \"%' AND l.rationale IS NOT NULL "
                      "LIMIT 1").fetchone()
    assert pmid is not None
    db.execute("UPDATE claim_papers SET relevant = 1 WHERE pmid = ?", [pmid[0]])
    db.conn.commit()
    page = pages.paper_page(db, pmid[0])
    assert any(section["label"] for section in page["sections"])
    assert any(claim_ids for section in page["sections"] for _, claim_ids in section["segments"])
    assert pages.paper_page(db, 1) is None


def test_mark_finds_the_claims_words_and_word_endings():
    pattern = pages._terms_pattern(["liver", "hepat*", "opioid receptor"])
    segments = pages.mark("Hepatotoxicity and liver injury; no opioid receptors here", pattern)
    assert [text for text, on in segments if on] == ["Hepatotoxicity", "liver", "opioid receptors"]
    assert "".join(text for text, _ in segments) == "Hepatotoxicity and liver injury; no opioid receptors here"


def test_search_widens_hepatotoxicity_to_the_liver_injury_papers(built):  # noqa: F811
    db = sqlite_utils.Database(built)
    widened = search.search(db, "hepatotoxicity")
    plain = {r["pmid"] for r in db.query("SELECT rowid AS pmid FROM paper_search WHERE paper_search MATCH 'hepatotoxicity'")}
    liver_injury = {r["pmid"] for r in search.search(db, "liver injury")["papers"]}
    found = {r["pmid"] for r in widened["papers"]}
    assert "liver injury" in widened["synonyms"]
    assert len(plain) < len(liver_injury) and liver_injury <= found
    assert [c["id"] for c in widened["claims"]][:1] and "liver-injury-long-term" in {c["id"] for c in widened["claims"]}
    assert search.search(db, "  ")["papers"] == []


def test_review_groups_by_claim_the_surest_suggestions_first(built):  # noqa: F811
    db = sqlite_utils.Database(built)
    page = pages.review_page(db, limit=50)
    assert page["groups"] and sum(len(g["rows"]) for g in page["groups"]) == len(page["rows"])
    assert len({g["claim_id"] for g in page["groups"]}) == len(page["groups"])  # each claim once on a page
    for group in page["groups"]:
        confidences = [r["suggestion_confidence"] for r in group["rows"]]
        assert confidences == sorted(confidences, reverse=True)
    assert all(r["stance"] is None and r["suggested_stance"] for r in page["rows"]) and page["total"] >= len(page["rows"])
    second = pages.review_page(db, limit=50, offset=50)
    assert not {(r["claim_id"], r["pmid"]) for r in second["rows"]} & {(r["claim_id"], r["pmid"]) for r in page["rows"]}


def test_review_filters_by_claim_suggestion_and_decision(built):  # noqa: F811
    db = sqlite_utils.Database(built)
    only = pages.review_page(db, claim="liver-protective", suggestion="contradicts")
    assert only["rows"] and {(r["claim_id"], r["suggested_stance"]) for r in only["rows"]} == \
        {("liver-protective", "contradicts")}
    decided = pages.review_page(db, claim="liver-protective", state="decided")
    assert decided["total"] == 8 and all(r["stance"] for r in decided["rows"])
    # The pair decided a moment ago stays on the undecided list, so the reader lands back on it.
    pair = (decided["rows"][0]["claim_id"], decided["rows"][0]["pmid"])
    undecided = pages.review_page(db, claim="liver-protective")
    back = pages.review_page(db, claim="liver-protective", just_decided=pair)
    assert pair not in {(r["claim_id"], r["pmid"]) for r in undecided["rows"]}
    assert pair in {(r["claim_id"], r["pmid"]) for r in back["rows"]} and back["total"] == undecided["total"] + 1
    html_page = get(built, "/-/tracker/review?claim=liver-protective&state=decided&decided="
                    f"{pair[0]}:{pair[1]}:contradicts").text
    assert 'class="just-decided"' in html_page and 'role="status"' in html_page
    assert '<option value="liver-protective" selected>' in html_page


# ---- deciding ----

@pytest.fixture
def workspace(built, tmp_path):  # noqa: F811
    db = copy_database(built, tmp_path / "copy.db")
    curation = tmp_path / "curation.csv"
    curation.write_bytes((REPO / "db/curation.csv").read_bytes())
    return db, curation


def _suggested_pair(db_path):
    return sqlite_utils.Database(db_path).execute(
        "SELECT claim_id, pmid, suggested_stance FROM claim_evidence WHERE stance IS NULL AND relevant = 1 "
        "AND suggested_stance IS NOT NULL ORDER BY suggestion_confidence DESC LIMIT 1").fetchone()


def test_a_decision_is_appended_and_loaded(workspace):
    db_path, curation = workspace
    before = curation.read_bytes()
    claim_id, pmid, suggested = _suggested_pair(db_path)
    result = decide.record_decision(db_path, curation, claim_id, str(pmid), suggested, "=1+1 looks right\nreally",
                                    "tester", today="2026-11-21")
    assert result.applied >= 37
    after = curation.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
    last = list(csv.reader(after.decode().splitlines()))[-1]
    assert last == [claim_id, str(pmid), suggested, "'=1+1 looks right really", "tester", "2026-11-21"]
    row = sqlite_utils.Database(db_path).execute(
        "SELECT stance, stance_note, suggested_stance FROM claim_evidence WHERE claim_id = ? AND pmid = ?",
        [claim_id, pmid]).fetchone()
    assert row == (suggested, "=1+1 looks right really", None)  # decided: the suggestion steps aside


@pytest.mark.parametrize("change", [
    {"stance": "agrees"}, {"pmid": "12x"}, {"claim_id": "no-such-claim"}, {"pmid": "1"},
])
def test_a_bad_decision_is_refused_and_writes_nothing(workspace, change):
    db_path, curation = workspace
    claim_id, pmid, suggested = _suggested_pair(db_path)
    decision = {"claim_id": claim_id, "pmid": str(pmid), "stance": suggested, **change}
    before = curation.read_bytes(), sqlite_utils.Database(db_path).execute("SELECT count(*) FROM curation").fetchone()
    with pytest.raises(InputError):
        decide.record_decision(db_path, curation, decision["claim_id"], decision["pmid"], decision["stance"])
    assert (curation.read_bytes(),
            sqlite_utils.Database(db_path).execute("SELECT count(*) FROM curation").fetchone()) == before


def test_a_broken_curation_file_is_left_alone(workspace):
    db_path, curation = workspace
    curation.write_bytes(curation.read_bytes() + b'liver-protective,34055525,supports,"unclosed\n')
    broken = curation.read_bytes()
    claim_id, pmid, suggested = _suggested_pair(db_path)
    with pytest.raises(InputError, match="unclosed"):
        decide.record_decision(db_path, curation, claim_id, str(pmid), suggested)
    assert curation.read_bytes() == broken


def test_password_hashes():
    hashed = decide.hash_password("correct horse battery", iterations=1000)
    assert hashed.startswith("pbkdf2_sha256$1000$") and "correct" not in hashed
    assert decide.check_password("correct horse battery", hashed)
    assert not decide.check_password("wrong", hashed) and not decide.check_password("x", "garbage")
    assert decide.is_loopback("127.0.0.1") and decide.is_loopback("::1") and decide.is_loopback("localhost")
    assert not decide.is_loopback("0.0.0.0") and not decide.is_loopback("192.168.1.5")


def test_deciding_off_loopback_needs_a_password(workspace, tmp_path):
    db_path, _ = workspace
    result = CliRunner().invoke(cli, ["--db", str(db_path), "serve", "--decide", "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "needs a password" in result.output
    plain = tmp_path / "hash.txt"
    plain.write_text("my password\n")
    result = CliRunner().invoke(cli, ["--db", str(db_path), "serve", "--decide", "--host", "0.0.0.0",
                                      "--password-file", str(plain)])
    assert result.exit_code != 0 and "never put the password itself there" in result.output
    assert "my password" not in result.output


def _csrf(response) -> tuple[str, str]:
    token = re.search(r'name="csrftoken" value="([^"]+)"', response.text).group(1)
    return token, response.cookies["ds_csrftoken"]


def test_login_then_decide_in_datasette(workspace, monkeypatch):
    import asyncio

    from tracker.serve.datasette import make_datasette

    db_path, curation = workspace
    monkeypatch.setenv(decide.ENABLED, "1")
    monkeypatch.setenv(decide.CURATION_FILE, str(curation))
    monkeypatch.setenv(decide.PASSWORD_HASH, decide.hash_password("a long password", iterations=1000))
    claim_id, pmid, suggested = _suggested_pair(db_path)
    datasette = make_datasette(db_path, REPO / "db/metadata.yml", REPO / "db/templates")
    form = {"claim_id": claim_id, "pmid": str(pmid), "stance": suggested, "next": f"/copy/claims/{claim_id}"}

    async def walk():
        client = datasette.client
        token, cookie = _csrf(await client.get("/-/tracker/login"))
        cookies = {"ds_csrftoken": cookie}
        refused = await client.post("/-/tracker/decide", data={**form, "csrftoken": token}, cookies=cookies)
        wrong = await client.post("/-/tracker/login", data={"password": "nope", "csrftoken": token}, cookies=cookies)
        right = await client.post("/-/tracker/login", data={"password": "a long password", "csrftoken": token,
                                                            "next": "/"}, cookies=cookies)
        cookies["ds_actor"] = right.cookies["ds_actor"]
        claim_page = await client.get(f"/copy/claims/{claim_id}", cookies=cookies)
        done = await client.post("/-/tracker/decide", data={**form, "csrftoken": token}, cookies=cookies)
        return refused, wrong, right, claim_page, done

    refused, wrong, right, claim_page, done = asyncio.run(walk())
    assert refused.status_code == 403 and "Log in first" in refused.text
    assert wrong.status_code == 403 and "ds_actor" not in wrong.cookies
    assert right.status_code == 303
    assert 'class="decide"' in claim_page.text and "Accept: " + suggested in claim_page.text
    assert done.status_code == 303 and done.headers["location"].startswith(f"/copy/claims/{claim_id}?decided=")
    assert curation.read_text().splitlines()[-1].startswith(f"{claim_id},{pmid},{suggested},")


# ---- pages in Datasette ----

def test_pages_work_whatever_the_database_is_called(workspace):
    db_path, _ = workspace
    for url in ("/", "/copy/claims/liver-protective", "/copy/papers/34055525",
                "/copy/articles/004_8b1ffd36f2c9c437", "/-/tracker/search?q=kratom", "/-/tracker/review"):
        response = get(db_path, url)
        assert response.status_code == 200, url
        assert "/tracker/" not in response.text.replace("/-/tracker/", ""), url
    assert 'class="verdict bad"' in get(db_path, "/copy/claims/liver-protective").text


def test_flags_read_as_words_and_claims_link_from_the_board(built):  # noqa: F811
    page = get(built, "/tracker/evidence_board").text
    assert "contradicted by human evidence" in page and 'href="/tracker/claims/liver-protective"' in page
    assert '<td class="col-contradicted_by_human type-int">1</td>' not in page


def test_new_papers_is_empty_until_a_sync_has_run(built):  # noqa: F811
    rows = get(built, "/tracker/new_papers.json?_shape=array").json()
    assert rows == []


def test_a_fresh_database_serves_every_page(tmp_path):
    fresh = tmp_path / "tracker.db"
    assert CliRunner().invoke(cli, ["--db", str(fresh), "init"]).exit_code == 0
    for url in ("/", "/-/tracker/search?q=liver", "/-/tracker/review"):
        assert get(fresh, url).status_code == 200, url
    assert "No evidence found" not in get(fresh, "/").text  # nothing to call a verdict on


def test_report_for_an_article_starts_with_its_scorecard(built, tmp_path):  # noqa: F811
    out = tmp_path / "report.md"
    result = CliRunner().invoke(cli, ["--db", str(built), "export", "report", "--article", "004_8b1ffd36f2c9c437",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("# Kratom Effects on Liver: What Research Says: its claims against")  # index.yml
    assert re.search(r"\| Kratom has liver-protective \(hepatoprotective\) properties\. \(`liver-protective`\) "
                     r"\| asserts it \| Contradicted \| ●○○○ very low \| starts very low", text)
    scorecard = text[text.index("## Scorecard"):text.index("## The claims, one by one")]
    rows = [line for line in scorecard.splitlines() if line.startswith("| ") and "`" in line]
    sections = [line for line in text.splitlines() if line.startswith("## ")][2:]
    assert len(rows) == len(sections) > 5  # a section for each claim the article makes
    missing = tmp_path / "missing.md"
    result = CliRunner().invoke(cli, ["--db", str(built), "export", "report", "--article", "nope", "-o", str(missing)])
    assert result.exit_code != 0 and "no article 'nope'" in result.output and not missing.exists()


# ---- search people can rely on ----

def _papers_found(page: str) -> set[str]:
    return set(re.findall(r'href="/tracker/papers/(\d+)"', page))


def test_search_matches_word_forms_alike(built):  # noqa: F811
    db = sqlite_utils.Database(built)
    short, long = search.search(db, "hepatotoxic"), search.search(db, "hepatotoxicity")
    assert short["paper_total"] == long["paper_total"] > 1
    assert {p["pmid"] for p in short["papers"]} == {p["pmid"] for p in long["papers"]}
    assert _papers_found(get(built, "/-/tracker/search?q=hepatotoxic").text) == \
        _papers_found(get(built, "/-/tracker/search?q=hepatotoxicity").text)


@pytest.mark.parametrize("query", ["_", "%", "'", "(", "%_", "x" * 10_000, "liver " * 2_000])
def test_search_takes_any_text_literally_and_says_what_it_did(built, query):  # noqa: F811
    response = get(built, "/-/tracker/search?q=" + quote(query))
    assert response.status_code == 200
    page = response.text
    if len(query) > 200:
        assert "Your query was longer than 200 characters" in page
    else:
        assert "holds no word to search for" in page
        assert "No paper." in page and "No article." in page  # a wildcard character matched nothing


def test_short_terms_match_whole_words_only(built):  # noqa: F811
    found = search.search(sqlite_utils.Database(built), "ALT")
    assert "alt" in found["terms"]
    pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in found["terms"]) + r")\b", re.I)
    assert found["articles"] and all(pattern.search(a["example"].strip("…")) for a in found["articles"])
    # "Always consult ... alternative remedies" holds 'alt' only inside words
    assert "002_bfa00cc071a4ea70" not in {a["id"] for a in found["articles"]}


def test_search_results_carry_each_claims_verdict_and_word_bounded_snippets(built):  # noqa: F811
    page = get(built, "/-/tracker/search?q=liver").text
    claims = page[page.index("<h2>Claims"):page.index("<h2>Papers")]
    assert "Contradicted" in claims and "certainty" in claims and "very low" in claims
    sentences = [" ".join(r[0].split()) for r in sqlite_utils.Database(built).execute(
        "SELECT text FROM article_sentences WHERE is_current = 1")]
    examples = [html.unescape(e) for e in re.findall(r"e\.g\. “(.*?)”", page)]
    assert examples
    for example in examples:
        core = example.strip("…")
        source = next(s for s in sentences if core in s)
        at = source.index(core)
        before, after = source[at - 1:at], source[at + len(core):at + len(core) + 1]
        assert not (before.isalnum() and example.startswith("…")), example  # starts at a word
        assert not (after.isalnum() and example.endswith("…")), example  # ends at a word


def test_search_sees_the_mesh_headings_of_papers_loaded_while_it_was_serving(tmp_path, records):
    from tracker.core.database import open_db
    from tracker.papers.load import load_file

    from .support.corpus import as_document

    db = open_db(tmp_path / "tracker.db")
    assert search.expand(db, "liver")["mesh"] == []  # nothing loaded yet: no heading to widen to
    path = tmp_path / "records.xml"
    path.write_bytes(as_document(records))
    load_file(db, path)
    assert "Liver Diseases" in search.expand(db, "liver")["mesh"]  # the kept list was renewed
