"""What a person sees: the liver-protective claim page in a real headless Chromium, served by `tracker serve`."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .support.built import built  # noqa: F401  (a fixture)

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(built):  # noqa: F811
    port = free_port()
    env = {**os.environ, "TRACKER_DB": str(built)}
    process = subprocess.Popen(
        [sys.executable, "-c", "from tracker.cli import cli; cli()", "serve", "--port", str(port)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/-/versions.json", timeout=1).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError("tracker serve did not start: " + process.stdout.read().decode()[-2000:])
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


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
