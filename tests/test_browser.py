"""What a person sees and does, in a real headless Chromium, on pages served by `tracker serve`:
home -> claim -> paper -> back, deciding a stance from the page, and the writes that must be refused.

Full-page screenshots of the home, claim, paper, article and to-review pages go to test-artifacts/.
"""

import csv
import datetime
import shutil
import subprocess
from pathlib import Path

import pytest

from .support.built import built, copy_database  # noqa: F401  (built: a fixture)
from .support.serving import TRACKER, tracker_serve

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
CLAIM = "liver-protective"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/test installs it as root)")


@pytest.fixture
def workspace(built, tmp_path):  # noqa: F811
    """A copy of the built database (deciding writes to it) and of db/curation.csv, named `copy.db`:
    the pages must not depend on the file's name."""
    db = copy_database(built, tmp_path / "copy.db")
    curation = tmp_path / "curation.csv"
    shutil.copy(REPO / "db/curation.csv", curation)
    return db, curation


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def _shot(page, name: str) -> None:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366, f"{name} is wider than the window"


def test_walk_decide_and_refuse_forgeries(workspace, browser):
    db, curation = workspace
    before = curation.read_bytes()
    with tracker_serve(db, "--decide", "--curation", str(curation), "--reviewer", "browser test") as server:
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(server + "/")
        assert page.locator("h2", has_text="The claims (29)").is_visible()
        _shot(page, "home")
        page.get_by_role("link", name="Kratom has liver-protective (hepatoprotective) properties.").click()
        page.wait_for_load_state()
        assert page.url == server + f"/copy/claims/{CLAIM}"
        assert page.locator("h1").first.inner_text() == "Kratom has liver-protective (hepatoprotective) properties."
        verdict = page.locator("section.verdict").inner_text()
        assert verdict.startswith("Contradicted · certainty: ●○○○ very low")
        assert "Contradicted by 7 human case series and case reports" in verdict
        assert page.locator("svg.chart").count() == 2
        decided_before = page.locator("table.evidence-decided tbody tr").count()
        assert decided_before == 8
        _shot(page, "claim")

        # home -> claim -> paper -> back
        page.locator("table.evidence-decided tbody tr").first.locator("td.paper a").first.click()
        page.wait_for_load_state()
        assert "/copy/papers/" in page.url
        opened = page.url.rsplit("/", 1)[1]
        assert page.locator(f"p.meta a[href='https://pubmed.ncbi.nlm.nih.gov/{opened}/']").is_visible()
        assert page.locator(f"a[href='/copy/claims/{CLAIM}']").first.is_visible()
        page.go_back()
        page.wait_for_load_state()
        assert page.url == server + f"/copy/claims/{CLAIM}"

        # one click on the suggestion, with a note
        row = page.locator("table.evidence-suggested tbody tr").first
        pmid = row.get_attribute("id").removeprefix("pmid-")
        suggested = row.locator("button.accept").get_attribute("value")
        row.locator("input[name=note]").fill("checked the abstract, = safe note")
        row.locator("button.accept").click()
        page.wait_for_load_state()
        assert page.locator("p.decided-now").is_visible()
        assert page.locator("table.evidence-decided tbody tr").count() == decided_before + 1
        assert page.locator(f"table.evidence-decided tr#pmid-{pmid}").is_visible()
        lines = list(csv.reader(curation.read_text(encoding="utf-8").splitlines()))
        assert lines[-1] == [CLAIM, pmid, suggested, "checked the abstract, = safe note",
                             "browser test", datetime.date.today().isoformat()]
        assert curation.read_bytes().startswith(before)  # appended: every earlier line kept byte for byte

        for name, url in (("paper", f"/copy/papers/{pmid}"), ("article", "/copy/articles/004_8b1ffd36f2c9c437"),
                          ("to-review", "/-/tracker/review")):
            page.goto(server + url)
            _shot(page, name)
        assert page.locator("h1").inner_text() == "To review"
        page.goto(server + "/copy/evidence_board")  # the board fits a 1366 px window and links every claim
        right = page.evaluate("document.querySelector('table.rows-and-columns').getBoundingClientRect().right")
        assert right <= 1366
        assert page.locator("table.rows-and-columns td.col-claim_id a").count() == 29

        # a forged POST (no CSRF token) is refused and writes nothing
        written = curation.read_bytes()
        response = page.request.post(server + "/-/tracker/decide", form={
            "claim_id": CLAIM, "pmid": pmid, "stance": "supports", "note": "forged"})
        assert response.status == 403
        assert curation.read_bytes() == written


def test_a_server_without_decide_refuses_a_decision(workspace, browser):
    db, curation = workspace
    before = db.read_bytes(), curation.read_bytes()
    with tracker_serve(db) as server:
        page = browser.new_page()
        page.goto(server + f"/copy/claims/{CLAIM}")
        assert page.locator("form.decide").count() == 0  # no buttons where nothing can be decided
        page.goto(server + "/-/messages")  # any form of Datasette's gives a valid token and its cookie
        token = page.locator("input[name=csrftoken]").first.get_attribute("value")
        response = page.request.post(server + "/-/tracker/decide", form={
            "csrftoken": token, "claim_id": CLAIM, "pmid": "34055525", "stance": "supports"})
        assert response.status == 403
        assert "tracker serve --decide" in response.text()
    assert (db.read_bytes(), curation.read_bytes()) == before


def test_every_page_says_its_verdicts_in_words(workspace, browser):
    """Home, claim, article (with its scorecard), search and review, as a reader sees them: each
    verdict with its certainty in words, counts that mean something, no slug, no server path."""
    db, curation = workspace
    denying = REPO.parent / "shared" / "articles-dev" / "puritykratom_dosage_guide.txt"  # "without any ... side effects"
    if denying.is_file():
        added = subprocess.run([*TRACKER, "--db", str(db), "articles", "add", str(denying)], capture_output=True,
                               text=True, timeout=120)
        assert added.returncode == 0, added.stderr
    with tracker_serve(db, "--decide", "--curation", str(curation)) as server:
        page = browser.new_page(viewport={"width": 1366, "height": 900})

        page.goto(server + "/")
        claims = page.locator("ul.claims-list > li").all_inner_texts()
        assert len(claims) > 20
        for text in claims:
            assert "certainty" in text or "Not yet decided" in text, text
            assert " decided, " in text and " suggested, " in text and "candidate" in text, text
        assert len({t.split("·")[-2] for t in claims}) > 5  # counts differ from claim to claim

        page.goto(server + f"/copy/claims/{CLAIM}")
        verdict = page.locator("section.verdict").inner_text()
        assert verdict.startswith("Contradicted · certainty:") and "very low" in verdict
        assert "Starts very low" in verdict and "No controlled study" in verdict
        assert page.locator("p.crumbs").inner_text().split(" / ")[:2] == ["Home", "All tables"]
        _shot(page, "claim-verdict")

        page.goto(server + "/copy/articles/004_8b1ffd36f2c9c437")
        text = page.locator("body").inner_text()
        assert "Untitled" not in text and "db/articles" not in text and str(db.parent) not in text
        assert "+liver-" not in text and "+adverse" not in text  # claims are named in words, not slugs
        # "offering relief without some of the adverse effects associated with traditional treatments" compares:
        # it denies nothing
        assert "denies:" not in text
        rows = page.locator("table.scorecard tbody tr").all_inner_texts()
        assert rows[0].startswith("Main claim:")
        assert all(("certainty" in r) or ("Not yet decided" in r) for r in rows)
        assert any("agrees with the literature" in r or "goes against the literature" in r for r in rows)
        _shot(page, "article-scorecard")
        if denying.is_file():  # a sentence that denies a claim says so
            page.goto(server + "/copy/articles/puritykratom_dosage_guide")
            assert "denies: Kratom can cause adverse effects" in page.locator("body").inner_text()

        page.goto(server + "/-/tracker/search?q=hepatotoxic")
        found = page.locator("body").inner_text()
        assert "Supported · certainty ●○○○ very low" in found  # long-term liver injury, from one case report
        page.goto(server + "/-/tracker/search?q=" + "x" * 10_000)
        assert "Your query was longer than 200 characters" in page.locator("body").inner_text()

        page.goto(server + "/-/tracker/review")
        page.select_option("select[name=claim]", CLAIM)
        page.click("form.filters button")
        page.wait_for_url("**claim=liver-protective**")
        page.wait_for_selector("h2.review-claim")
        headings = page.locator("h2.review-claim").all_inner_texts()
        assert headings and all(h.startswith("Kratom has liver-protective") for h in headings)
        page.locator("form.decide button.accept").first.click()  # accept the first suggestion
        page.wait_for_url("**decided=**")
        page.wait_for_selector("p.decided-now")
        assert "claim=liver-protective" in page.url
        assert page.locator("p.decided-now").is_visible() and page.locator("tr.just-decided").count() == 1
        for shown in (page.locator("body").inner_text(),):
            assert "is_seed" not in shown and "% sure" not in shown


def test_the_readme_screenshot_is_taken_again_by_one_command(workspace, tmp_path):
    # `tracker docs screenshot`: README's picture of the claim page, from a served database, whole or not at all.
    import subprocess

    from tracker.serve.screenshot import png_size

    db, _ = workspace
    out = tmp_path / "claim-page.png"
    tracker = [*TRACKER, "--db", str(db), "docs", "screenshot"]
    done = subprocess.run([*tracker, "-o", str(out), "--width", "1000", "--height", "700"], capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert png_size(out) == (1000, 700) and out.stat().st_size > 20_000  # a page, not a blank window
    assert "/copy/claims/liver-protective" in done.stderr
    missing = subprocess.run([*tracker, "-o", str(tmp_path / "none.png"), "--claim", "no-such-claim"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "has no claim 'no-such-claim'" in missing.stderr
    assert not (tmp_path / "none.png").exists()
