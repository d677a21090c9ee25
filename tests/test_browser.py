"""What a person sees: the liver-protective claim page in a real headless Chromium, served by `tracker serve`."""

import shutil
from pathlib import Path

import pytest

from .support.built import built  # noqa: F401  (a fixture)
from .support.serving import tracker_serve

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


@pytest.fixture
def server(built):  # noqa: F811
    with tracker_serve(built) as url:
        yield url


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/test installs it as root)")
def test_liver_protective_claim_page_in_chromium(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.goto(server + "/tracker/claims/liver-protective")
        assert page.locator("h1").first.inner_text() == "Kratom has liver-protective (hepatoprotective) properties."
        assert page.get_by_text("Contradicted by human evidence").is_visible()
        marks = page.locator("figure.mention mark")
        assert marks.count() >= 2
        assert "liver-protective" in marks.first.inner_text()
        rows = page.locator("table.evidence tbody tr")
        assert rows.count() >= 8
        stances = [rows.nth(i).locator("td").nth(3).inner_text() for i in range(rows.count())]
        assert sum(s.startswith("contradicts") for s in stances) == 8
        assert page.locator("table.evidence a[href='https://pubmed.ncbi.nlm.nih.gov/34055525/']").is_visible()
        page.screenshot(path=str(ARTIFACTS / "claim-liver-protective.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "claim-liver-protective.png").stat().st_size > 10_000
