"""Day-to-day operation: the scheduled job, its lock, log and exit codes; status; digest; backup.

PubMed is the local fake E-utilities server serving real records; nothing reaches the network.
"""

import csv
import json
import logging
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from tracker.core.database import open_db
from tracker.ops.digest import make_digest
from tracker.ops.job import log_to_file
from tracker.ops.lock import sync_lock

from .support.eutils_env import KEY, TERM, env_for
from .support.serving import get

REPO = Path(__file__).resolve().parents[1]
OTHER_TERM = "mitragynine[tiab]"


@pytest.fixture
def searches_file(tmp_path):
    path = tmp_path / "searches.yml"
    path.write_text(f"searches:\n  - name: kratom\n    term: '{TERM}'\n", encoding="utf-8")
    return path


@pytest.fixture
def job(run, fake, tmp_path, searches_file):
    """Run `tracker job` against the fake server; returns click's Result."""
    def invoke(*args, searches=searches_file, **env):
        return run("job", "--searches", searches, "--log", tmp_path / "logs" / "sync.log",
                   "--digests", tmp_path / "digests", "--no-semantic", *args, env=env_for(fake, **env))
    return invoke


def _claims_loaded(run):
    assert run("claims", "load", REPO / "db/claims.yml").exit_code == 0


def test_job_is_silent_and_records_sync_link_digest_and_exports(run, job, fake, records, db_path, tmp_path):
    _claims_loaded(run)
    fake.add(TERM, records)
    result = job("--exports", tmp_path / "exports")
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    db = open_db(db_path)
    row = next(db.query("SELECT * FROM job_runs"))
    assert row["status"] == "ok" and row["new"] == 164 and row["new_links"] > 0 and row["digest_id"] == 1
    assert next(db.query("SELECT status FROM link_runs ORDER BY id DESC"))["status"] == "ok"
    log = (tmp_path / "logs" / "sync.log").read_text(encoding="utf-8")
    assert "kratom (full): 164 found, 164 fetched, 164 new" in log and "job 1 ok" in log
    digests = sorted((tmp_path / "digests").iterdir())
    assert len(digests) == 1 and digests[0].read_text(encoding="utf-8").startswith("# Kratom claims tracker: digest of")
    with (tmp_path / "exports" / "links.csv").open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == db["claim_papers"].count
    assert (tmp_path / "exports" / "report.md").read_text(encoding="utf-8").startswith("# What the published")
    # Nothing new the second time: still silent, the digest says so and writes no file, and the
    # exports come out byte for byte the same (a git-scraping workflow commits only real changes).
    exported = {p.name: p.read_bytes() for p in (tmp_path / "exports").iterdir()}
    again = job("--exports", tmp_path / "exports")
    assert again.exit_code == 0 and again.output == ""
    assert {p.name: p.read_bytes() for p in (tmp_path / "exports").iterdir()} == exported
    second = next(db.query("SELECT * FROM job_runs ORDER BY id DESC"))
    assert second["status"] == "ok" and second["new"] == 0 and second["new_links"] == 0
    assert "Nothing new." in next(db.query("SELECT markdown FROM digests ORDER BY id DESC"))["markdown"]
    assert len(list((tmp_path / "digests").iterdir())) == 1


def test_partial_when_some_searches_fail(job, fake, records, db_path, tmp_path):
    searches = tmp_path / "two.yml"
    searches.write_text(f"searches:\n  - name: kratom\n    term: '{TERM}'\n  - name: other\n    term: '{OTHER_TERM}'\n",
                        encoding="utf-8")
    fake.add(TERM, records)
    fake.add(OTHER_TERM, records[:20])
    fake.fault("esearch", "500", times=-1, after=1)  # the first search goes through, the second never does
    result = job(searches=searches)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "partial: 1 of 2 searches failed (other:" in result.stderr and "the next run finishes them" in result.stderr
    db = open_db(db_path)
    assert db["papers"].count == 164  # the first search's records are kept
    assert next(db.query("SELECT status FROM job_runs"))["status"] == "partial"
    fake.clear_faults()
    assert job(searches=searches).exit_code == 0


def test_failed_when_pubmed_is_unreachable(job, db_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = job(TRACKER_EUTILS_URL=f"http://127.0.0.1:{port}/")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tracker job: failed: PubMed could not be reached")
    assert "Log:" in lines[0]
    assert next(open_db(db_path).query("SELECT status FROM job_runs"))["status"] == "failed"


def test_a_second_sync_does_nothing_while_one_runs(run, job, fake, records, db_path, tmp_path):
    fake.add(TERM, records)
    open_db(db_path).close()
    with sync_lock(db_path):
        result = job()
        assert result.exit_code == 75
        assert "already running (pid" in result.stderr and result.stdout == ""
        manual = run("sync", "--term", TERM, env=env_for(fake))
        assert manual.exit_code == 75 and "already running" in manual.output
    db = open_db(db_path)
    assert db["sync_runs"].count == 0 and db["job_runs"].count == 0
    assert "already running" in (tmp_path / "logs" / "sync.log").read_text(encoding="utf-8")
    assert job().exit_code == 0  # the lock went with its holder


def test_log_rotates_and_never_holds_the_api_key(job, fake, records, tmp_path):
    fake.add(TERM, records)
    fake.fault("efetch", "500", times=-1)  # retries: log lines about the failing requests
    for _ in range(4):
        assert job("--log-max-bytes", 1_000, "--log-backups", 2, NCBI_API_KEY=KEY).exit_code == 1
    logs = sorted((tmp_path / "logs").iterdir())
    assert [p.name for p in logs] == ["sync.log", "sync.log.1", "sync.log.2"]
    assert all(p.stat().st_size <= 1_000 for p in logs)
    text = "".join(p.read_text(encoding="utf-8") for p in logs)
    assert "HTTP 500" in text and KEY not in text


def test_the_log_redacts_the_key_whatever_the_message(tmp_path, monkeypatch):
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    path = tmp_path / "sync.log"
    with log_to_file(path):
        logging.getLogger("tracker.anything").error("request failed: https://x/?api_key=%s", KEY)
    text = path.read_text(encoding="utf-8")
    assert KEY not in text and "api_key=[NCBI_API_KEY]" in text


def test_digest_reports_new_links_and_retractions_once(run, job, fake, records, db_path):
    _claims_loaded(run)
    fake.add(TERM, records)
    assert job().exit_code == 0
    db = open_db(db_path)
    first = next(db.query("SELECT * FROM digests"))
    assert first["new_links"] == db.execute("SELECT count(*) FROM claim_papers").fetchone()[0] > 0
    # A linked paper turns retracted (test state: no fixture record is retracted); the next digest says so, once.
    pmid, claims = db.execute("SELECT pmid, count(*) FROM claim_papers GROUP BY pmid ORDER BY 2 DESC LIMIT 1").fetchone()
    db.execute("UPDATE papers SET retracted = 1 WHERE pmid = ?", [pmid])
    db.conn.commit()
    digest = make_digest(db)
    assert digest.retracted == claims and digest.new_links == 0
    assert f"**Retracted**: [{pmid}](https://pubmed.ncbi.nlm.nih.gov/{pmid}/)" in digest.markdown
    assert make_digest(db).retracted == 0
    printed = run("digest")
    assert printed.exit_code == 0 and "**Retracted**" in printed.stdout  # the latest digest with news
    # The Atom feed Datasette serves.
    response = get(db_path, "/tracker/digest.atom")
    assert response.status_code == 200
    feed = etree.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert sum(t.startswith('Retracted, linked to "') for t in titles) == claims
    assert any(t.startswith('New for "') for t in titles)


def test_status_and_check(run, job, fake, records, db_path):
    _claims_loaded(run)
    before = run("status", "--check")
    assert before.exit_code == 1 and "no sync has run yet" in before.output
    fake.add(TERM, records)
    assert job().exit_code == 0
    status = json.loads(run("status", "--json").stdout)
    kratom = next(s for s in status["searches"] if s["name"] == "kratom")
    assert kratom["last_status"] == "ok" and kratom["age_days"] < 1
    assert status["counts"]["papers"] == 164 and status["papers_awaiting_linking"] == 0
    assert status["last_job"]["status"] == "ok" and status["sync_running"] is None
    assert status["warnings"] == []
    assert run("status", "--check").exit_code == 0
    db = open_db(db_path)
    ten_days_ago = (datetime.now(timezone.utc) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.execute("UPDATE sync_runs SET finished_at = ?", [ten_days_ago])  # as if the nightly job had stopped
    db.conn.commit()
    stale = run("status", "--check")
    assert stale.exit_code == 1 and "search kratom last synced 10.0 days ago (more than 8)" in stale.output
    assert run("status", "--check", "--max-age", "11").exit_code == 0
    pmid = db.execute("SELECT pmid FROM claim_papers LIMIT 1").fetchone()[0]
    db.execute("UPDATE papers SET retracted = 1 WHERE pmid = ?", [pmid])  # test state, as above
    db.conn.commit()
    retracted = run("status", "--check")
    assert retracted.exit_code == 1 and f"retracted papers are linked to claims: PMID {pmid}" in retracted.output


def test_backup_is_a_consistent_copy(run, db_path, tmp_path):
    assert run("init").exit_code == 0
    target = tmp_path / "backups" / "copy.db"
    target.parent.mkdir()
    result = run("backup", target)
    assert result.exit_code == 0 and "Backed up 53 papers" in result.output
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM papers").fetchone()[0] == 53
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.db"]
    same = run("backup", db_path)
    assert same.exit_code == 1 and "would overwrite the database itself" in same.output
    missing = run("backup", tmp_path / "nowhere" / "copy.db")
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_scripts_sync_is_silent_and_says_when_it_is_already_running(fake, records, tmp_path, searches_file):
    fake.add(TERM, records)
    db = tmp_path / "db" / "tracker.db"
    # The test environment's own install (scripts/test's extras), so the script finds it set up.
    env = {**os.environ, **env_for(fake), "TRACKER_DB": str(db), "TRACKER_VENV": sys.prefix, "TRACKER_EXTRAS": "test"}
    env.pop("NCBI_API_KEY", None)
    command = ["bash", str(REPO / "scripts/sync"), "--searches", str(searches_file), "--no-semantic"]
    elsewhere = tmp_path / "elsewhere"  # cron starts jobs in the home folder, not the project
    elsewhere.mkdir()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    log = (tmp_path / "db" / "logs" / "sync.log").read_text(encoding="utf-8")
    assert "job 1 ok" in log
    rows = sqlite3.connect(db).execute("SELECT status, new FROM job_runs").fetchall()
    assert rows == [("ok", 164)]
    with sync_lock(db):
        busy = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert busy.returncode == 75 and "already running" in busy.stderr and busy.stdout == ""


def test_the_schedules_in_the_docs_are_ready_to_use():
    import configparser

    import yaml

    schedules = REPO / "docs/schedules"
    workflow = yaml.safe_load((schedules / "github-actions-sync.yml").read_text(encoding="utf-8"))
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"].count(" ") == 4 and "workflow_dispatch" in triggers
    assert workflow["permissions"]["contents"] == "write"
    steps = workflow["jobs"]["sync"]["steps"]
    scripts = "\n".join(step.get("run", "") for step in steps)
    assert "scripts/sync --exports exports" in scripts and "git add exports" in scripts and "git push" in scripts
    sync_step = next(step for step in steps if step.get("id") == "sync")
    assert sync_step["env"]["NCBI_API_KEY"] == "${{ secrets.NCBI_API_KEY }}"
    for name in ("tracker-sync.service", "tracker-sync.timer", "tracker-serve.service"):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read_string((schedules / name).read_text(encoding="utf-8"))
        if name == "tracker-sync.service":
            assert unit["Service"]["Type"] == "oneshot" and unit["Service"]["ExecStart"].endswith("/scripts/sync")
            assert "75" in unit["Service"]["SuccessExitStatus"].split()
        elif name == "tracker-sync.timer":
            assert unit["Timer"]["OnCalendar"] and unit["Timer"]["Persistent"] == "true"
        else:
            assert unit["Service"]["ExecStart"].endswith("tracker serve --host 127.0.0.1 --port 8001")
    cron = [line for line in (schedules / "crontab").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#") and "=" not in line.split()[0]]
    assert len(cron) == 3
    for line in cron:
        fields = line.split(None, 5)
        assert len(fields) == 6 and fields[5].startswith("cd /opt/kratom-claims-tracker && ")
    assert cron[0].endswith("&& scripts/sync") and (REPO / "scripts/sync").exists()
    # The commands the schedules name exist with those options.
    from click.testing import CliRunner

    from tracker.cli import cli

    for command in (["status", "--check", "--help"], ["backup", "--help"], ["serve", "--help"], ["job", "--help"]):
        assert CliRunner().invoke(cli, command).exit_code == 0
