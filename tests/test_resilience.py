"""A sync under stress: Datasette answering while it writes, backups taken meanwhile, and SIGKILL at random points.

Each sync here is a real `tracker sync` process against the fake E-utilities server (real records
re-issued under PMIDs from 900000001 up), writing a real SQLite database in WAL mode.
"""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from .support.corpus import copies, metapub_records
from .support.eutils_env import TERM, env_for
from .support.serving import TRACKER, tracker_serve

REPO = Path(__file__).resolve().parents[1]
TRIALS = 20
SEED = 20261121  # the kill times are random, and reproducible


def tracker(db, *args, env=None, **popen):
    return subprocess.Popen([*TRACKER, "--db", str(db), *map(str, args)], cwd=REPO,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def sync_command(db, fake, batch):
    env = env_for(fake)
    return tracker(db, "sync", "--term", TERM, "--search", "kratom", "--batch-size", batch, "--quiet", env=env)


def count(db, sql):
    connection = sqlite3.connect(db, timeout=30)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def base_database(tmp_path) -> Path:
    (tmp_path / "base").mkdir()
    db = tmp_path / "base" / "tracker.db"  # Datasette names the database after the file: /tracker
    done = subprocess.run([*TRACKER, "--db", str(db), "init"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    connection.close()
    return db


def test_datasette_answers_and_backups_are_consistent_while_a_sync_writes(fake, tmp_path):
    records = copies(metapub_records(), 3000)
    fake.add(TERM, records)
    db = base_database(tmp_path)
    with tracker_serve(db) as url:
        sync = sync_command(db, fake, 50)
        pages = ["/tracker", "/tracker/papers?_size=50", "/tracker/claims", "/",
                 "/tracker.json?sql=select+count(*)+as+n+from+papers&_shape=array"]
        answers, counts, problems = [], [], []
        backups = []

        def browse():
            number = 0
            while sync.poll() is None:
                page = pages[number % len(pages)]
                number += 1
                started = time.monotonic()
                try:
                    with urllib.request.urlopen(url + page, timeout=10) as response:
                        body = response.read()
                        answers.append((page, response.status, time.monotonic() - started))
                        if "count" in page:
                            counts.append(json.loads(body)[0]["n"])
                except Exception as error:  # noqa: BLE001  (every failure is what the test reports)
                    problems.append(f"{page}: {error}")

        browser = threading.Thread(target=browse)
        browser.start()
        while sync.poll() is None:  # backups taken while the sync writes
            time.sleep(0.4)
            target = tmp_path / f"backup-{len(backups)}.db"
            done = subprocess.run([*TRACKER, "--db", str(db), "backup", str(target)], cwd=REPO,
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            backups.append(target)
        browser.join()
        out, err = sync.communicate()
        assert sync.returncode == 0, err
    latencies = sorted(seconds for _, _, seconds in answers)
    print(f"\nwhile the sync wrote 3,000 records: {len(answers)} pages answered, all 200, "
          f"median {latencies[len(latencies) // 2] * 1000:.0f} ms, slowest {latencies[-1] * 1000:.0f} ms; "
          f"paper counts seen {counts[0]}..{counts[-1]} ({len(set(counts))} distinct); {len(backups)} backups")
    assert problems == [], problems
    assert len(answers) >= 20 and all(status == 200 for _, status, _ in answers)
    # The pages saw the sync in progress: the paper count grew while they were answering.
    assert len(set(counts)) >= 3 and counts == sorted(counts)
    assert count(db, "SELECT count(*) FROM papers") == 53 + 3000
    assert backups
    for backup in backups:
        connection = sqlite3.connect(backup)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        synced = connection.execute("SELECT count(*) FROM papers WHERE is_seed = 0").fetchone()[0]
        found = connection.execute("SELECT count(*) FROM search_results").fetchone()[0]
        connection.close()
        # A backup is one moment of the database: whole batches of 50, each with its provenance.
        assert synced % 50 == 0 and synced == found


def _check_whole(db: Path, batch: int) -> tuple[int, str]:
    """Integrity, and every record whole: paper, raw record, provenance and children together."""
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        synced = connection.execute("SELECT count(*) FROM papers WHERE is_seed = 0").fetchone()[0]
        assert connection.execute("SELECT count(DISTINCT pmid) FROM papers").fetchone()[0] == \
            connection.execute("SELECT count(*) FROM papers").fetchone()[0]
        assert connection.execute("SELECT count(*) FROM raw_records").fetchone()[0] == synced
        assert connection.execute(
            "SELECT count(*) FROM papers p WHERE is_seed = 0 AND NOT EXISTS "
            "(SELECT 1 FROM raw_records r WHERE r.pmid = p.pmid)").fetchone()[0] == 0
        for table in ("authors", "mesh_headings", "search_results", "comments_corrections"):
            orphans = connection.execute(
                f"SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM papers p WHERE p.pmid = t.pmid)"
            ).fetchone()[0]
            assert orphans == 0, table
        # Whole batches only: each page of records lands in one transaction with its provenance.
        assert connection.execute("SELECT count(*) FROM search_results").fetchone()[0] == synced
        assert synced % batch == 0
        state = connection.execute("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()
        return synced, state[0] if state else "none"
    finally:
        connection.close()


def test_sigkill_at_random_points_leaves_a_whole_database_and_the_next_run_completes(fake, tmp_path):
    total, batch = 600, 20
    fake.add(TERM, copies(metapub_records(), total))
    base = base_database(tmp_path)
    # When a sync here begins writing (start-up takes a good part of it on a slow machine) and how
    # long it takes in all, so the kills fall inside the sync itself.
    calibration = tmp_path / "calibration.db"
    shutil.copy(base, calibration)
    started = time.monotonic()
    calibrating = sync_command(calibration, fake, batch)
    began = None
    while calibrating.poll() is None:
        if began is None and count(calibration, "SELECT count(*) FROM sync_runs"):
            began = time.monotonic() - started
        time.sleep(0.01)
    assert calibrating.returncode == 0
    duration = time.monotonic() - started
    began = min(began if began is not None else 0.0, duration)
    rng = random.Random(SEED)
    outcomes = []
    attempts = 0
    while sum(1 for o in outcomes if o[0]) < TRIALS:  # a sync that ended before its kill is not a trial
        attempts += 1
        assert attempts <= 2 * TRIALS, "the syncs kept finishing before the kill"
        db = tmp_path / f"trial-{attempts}.db"
        shutil.copy(base, db)
        process = sync_command(db, fake, batch)
        time.sleep(began + rng.uniform(0.05, 0.9) * (duration - began))
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed = process.returncode == -signal.SIGKILL
        synced, state = _check_whole(db, batch)
        outcomes.append((killed, synced, state))
        status = subprocess.run([*TRACKER, "--db", str(db), "status"], cwd=REPO, capture_output=True, text=True)
        if killed and state == "running":
            assert "was interrupted (the next sync finishes it)" in status.stdout
        # The next run completes: every record exactly once.
        rerun = sync_command(db, fake, batch)
        _, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err
        assert _check_whole(db, batch) == (total, "ok")
        assert count(db, "SELECT count(*) FROM papers WHERE pmid > 900000000") == total
    mid_sync = [o for o in outcomes if o[0] and o[2] == "running"]
    print(f"\n{TRIALS} SIGKILL trials (seed {SEED}, sync {duration:.1f} s, writing from {began:.1f} s, {attempts} "
          f"attempts): {len(mid_sync)} "
          f"killed mid-sync (records stored at the kill: {sorted(o[1] for o in mid_sync)}), "
          f"{sum(1 for o in outcomes if o[0] and o[2] != 'running')} before the sync began or after it ended")
    assert len(mid_sync) >= TRIALS // 2  # most kills land while records are being written
    assert len({o[1] for o in mid_sync}) >= 3  # at different points of the sync
