"""The nightly job and people deciding at the same time: no crash, no run left "running", nothing lost.

A transaction begun with a plain BEGIN that reads, then writes after another connection committed,
is refused at once with "database is locked" whatever the busy timeout. The tracker's write
transactions take the write lock up front (core/database.py), so they wait instead.
"""

import sqlite3
import threading
import time

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.core import database
from tracker.core.database import DatabaseBusy, open_db

from .support.deciding import REPO, base_database, run_round
from .support.eutils_env import TERM


def test_a_transaction_that_read_first_waits_for_a_decision_instead_of_failing(tmp_path):
    path = tmp_path / "tracker.db"
    db = open_db(path)
    db.execute("CREATE TABLE pages (n INTEGER)")
    db.execute("CREATE TABLE decisions (n INTEGER)")
    read_done, decided = threading.Event(), threading.Event()

    def decide():  # another connection (the page's decision) writes while the sync's transaction is open
        other = database.connect(path)
        read_done.wait(5)
        with other.atomic():
            other.execute("INSERT INTO decisions VALUES (1)")
        decided.set()
        other.close()

    person = threading.Thread(target=decide)
    person.start()
    with db.atomic():
        db.execute("SELECT count(*) FROM pages").fetchone()  # the sync reads what it has ...
        read_done.set()
        time.sleep(0.3)  # ... the person decides meanwhile ...
        db.execute("INSERT INTO pages VALUES (1)")  # ... then it writes: refused if its lock was not taken first
        assert not decided.is_set()  # the decision waits for this transaction, it does not slip in before
    person.join()
    assert decided.is_set()
    assert db.execute("SELECT (SELECT count(*) FROM pages), (SELECT count(*) FROM decisions)").fetchone() == (1, 1)


def test_a_database_busy_too_long_gives_a_clear_message_and_writes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "tracker.db"
    open_db(path).close()
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(database, "BUSY_TRIES", 2)
    db = open_db(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than we wait
    try:
        with pytest.raises(DatabaseBusy, match="is busy: another process held its write lock"):
            with db.atomic():
                db.execute("INSERT INTO searches (name, term) VALUES ('x', 'y')")
        result = CliRunner().invoke(cli, ["--db", str(path), "curate", str(REPO / "db" / "curation.csv")],
                                    catch_exceptions=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "is busy" in result.output and "Run the command again" in result.output
    assert "Traceback" not in result.output
    assert open_db(path).execute("SELECT count(*) FROM curation").fetchone()[0] == 0


def test_opening_an_up_to_date_database_changes_nothing_a_reader_could_trip_on(tmp_path):
    # Every command opens the database; views dropped and created again on each open were, for a
    # moment, missing for a page being read while the nightly job started.
    path = tmp_path / "tracker.db"
    open_db(path).close()
    reader = sqlite3.connect(path)
    before = reader.execute("PRAGMA schema_version").fetchone()[0]
    open_db(path).close()
    assert reader.execute("PRAGMA schema_version").fetchone()[0] == before
    reader.close()


def test_a_run_left_running_by_a_process_that_died_is_closed_by_the_next_sync(run, db, db_path, fake, monkeypatch):
    from .support.corpus import copies, metapub_records
    from .support.eutils_env import env_for

    fake.add(TERM, copies(metapub_records(), 5))
    db["sync_runs"].insert({"search": "kratom", "term": TERM, "mode": "full", "status": "running",
                            "started_at": "2026-01-01T00:00:00Z"})
    for name, value in env_for(fake).items():
        monkeypatch.setenv(name, value)
    result = run("sync", "--term", TERM, "--search", "kratom")
    assert result.exit_code == 0, result.output
    rows = list(db.query("SELECT status, error FROM sync_runs ORDER BY id"))
    assert rows[0]["status"] == "failed" and rows[0]["error"].startswith("interrupted")
    assert rows[1]["status"] == "ok"
    status = run("status")
    assert f"decisions file: {db_path.parent / 'curation.csv'} (not there yet" in status.output


def test_the_nightly_job_while_the_map_is_served_read_and_decided_on(tmp_path):
    repo_curation = (REPO / "db" / "curation.csv").read_bytes()
    base = base_database(tmp_path / "base")
    seen = run_round(tmp_path / "round", base, records=300, decide_every=0.15, before_s=1.0)
    print(f"\njob {seen.job_seconds:.1f} s, {len(seen.decisions)} decisions "
          f"({seen.decisions_during('sync')} during the sync, {seen.decisions_during('link')} during the link), "
          f"{len(seen.reads)} pages read")
    assert seen.problems() == []
    assert len(seen.decisions) >= 10
    assert seen.decisions_during("sync") >= 3  # decisions landed while pages of records were being written
    assert seen.reads and all(status == 200 for _, _, _, status in seen.reads)
    # The decisions went to the served database's own file, started from what it held; not the checkout's.
    assert (REPO / "db" / "curation.csv").read_bytes() == repo_curation
    assert (tmp_path / "round" / "curation.csv").read_bytes().startswith(repo_curation.split(b"\n", 1)[0])


def test_a_decision_the_database_cannot_take_leaves_the_curation_file_as_it_was(tmp_path, monkeypatch):
    from tracker.serve import decide

    path = tmp_path / "tracker.db"
    db = open_db(path)
    for command in (["claims", "load"], ["seed"]):
        assert CliRunner().invoke(cli, ["--db", str(path), *command]).exit_code == 0
    pmid = db.execute("SELECT pmid FROM papers LIMIT 1").fetchone()[0]
    curation = tmp_path / "curation.csv"
    curation.write_bytes((REPO / "db" / "curation.csv").read_bytes())
    before = curation.read_bytes()
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(database, "BUSY_TRIES", 1)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the nightly job holding the write lock past the wait
    try:
        with pytest.raises(DatabaseBusy):
            decide.record_decision(path, curation, "liver-protective", str(pmid), "mentions")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert curation.read_bytes() == before  # the page said "not recorded", and the file agrees
    decide.record_decision(path, curation, "liver-protective", str(pmid), "mentions")  # once free, it is
    assert curation.read_bytes().startswith(before) and curation.read_bytes() != before
