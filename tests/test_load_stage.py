"""Large files staged, then published in committed batches (papers/stage.py): the same rows as
one transaction, a write-ahead log that stays small, nothing stored when reading fails, and a
publish that is interrupted (by an error, or by SIGKILL) finished by the next `tracker load`."""

import gzip
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.core.database import open_db
from tracker.core.errors import InputError
from tracker.papers import split, stage
from tracker.papers.load import PublishInterrupted, finish_interrupted_loads, load_file

from .support.corpus import as_document, copies
from .support.stored import stored_rows

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("papers", "authors", "mesh_headings", "chemicals", "comments_corrections", "raw_records", "paper_evidence")


def rows(db):
    return stored_rows(db, TABLES)


@pytest.fixture
def document(tmp_path, records):
    path = tmp_path / "baseline.xml.gz"
    path.write_bytes(gzip.compress(as_document(records)))
    return path


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(split, "RUN_BYTES", 100_000)  # runs of a few records
    monkeypatch.setattr(stage, "PUBLISH_RECORDS", 20)  # 164 records: 9 transactions


def wal_size(path):
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def load_watching_wal(path, document, **options):
    db = open_db(path)
    sizes = [0]
    stats = load_file(db, document, progress=lambda s: sizes.append(wal_size(path)), **options)
    sizes.append(wal_size(path))
    return db, stats, max(sizes)


def test_a_staged_file_lands_with_the_same_rows_as_one_transaction_and_a_small_wal(tmp_path, records, small_batches):
    document = tmp_path / "baseline.xml"
    document.write_bytes(as_document(records + copies(records, 600)))  # 764 real records, distinct PMIDs
    whole, whole_stats, whole_wal = load_watching_wal(tmp_path / "whole.db", document)
    staged, staged_stats, staged_wal = load_watching_wal(tmp_path / "staged.db", document, stage_bytes=0)
    assert whole_stats.new == staged_stats.new == 764
    assert rows(staged) == rows(whole)
    run = staged.execute("SELECT status, records, new, stage, published FROM load_runs").fetchone()
    assert run[:4] == ("ok", 764, 764, None) and run[4] > 0
    assert not list(tmp_path.glob("*.stage"))  # the staging file is gone once published
    # One transaction's WAL holds the whole file; batches of 20 records keep it to about one batch's pages.
    assert whole_wal > 10_000_000 and staged_wal < whole_wal / 4
    # Loading the same file again changes nothing, staged or not.
    again = load_file(staged, document, stage_bytes=0)
    assert again.unchanged == 764 and again.new == again.updated == 0


def test_a_file_the_streaming_parser_must_read_is_staged_too(tmp_path, records, small_batches):
    document = as_document(records).replace(b"</PubmedArticle>\n<PubmedArticle>",
                                            b"</PubmedArticle>\n<!-- a note -->\n<PubmedArticle>", 1)
    path = tmp_path / "noted.xml"
    path.write_bytes(document)
    staged = open_db(tmp_path / "staged.db")
    assert load_file(staged, path, stage_bytes=0).new == 164
    whole = open_db(tmp_path / "whole.db")
    load_file(whole, path)
    assert rows(staged) == rows(whole)


def test_a_file_that_fails_while_staging_leaves_nothing(tmp_path, records, small_batches):
    path = tmp_path / "half.xml"
    path.write_bytes(as_document(records)[: 3_000_000])
    db = open_db(tmp_path / "tracker.db")
    with pytest.raises(InputError, match=r"half.xml.*not well-formed XML at line \d+"):
        load_file(db, path, stage_bytes=0)
    assert db["papers"].count == 0 and db["raw_records"].count == 0
    assert db.execute("SELECT status FROM load_runs").fetchone()[0] == "failed"
    assert not list(tmp_path.glob("*.stage"))


def test_an_interrupted_publish_keeps_its_batches_and_the_next_load_finishes_it(tmp_path, document, small_batches,
                                                                               monkeypatch, run, db_path):
    reference = open_db(tmp_path / "reference.db")
    load_file(reference, document)
    original = stage.save_records
    calls = []

    def full_disk_on_the_fourth_batch(db, records):
        calls.append(len(records))
        if len(calls) == 4:
            raise sqlite3.OperationalError("database or disk is full")
        return original(db, records)

    monkeypatch.setattr(stage, "save_records", full_disk_on_the_fourth_batch)
    db = open_db(db_path)
    with pytest.raises(PublishInterrupted, match="baseline.xml.gz: publishing stopped part way .*disk is full.*"
                                                 "tracker load"):
        load_file(db, document, stage_bytes=0)
    status, error, published, stored = db.execute(
        "SELECT status, error, published, records FROM load_runs").fetchone()
    assert status == "publishing" and "disk is full" in error
    assert stored == db["papers"].count == sum(calls[:3]) > 0  # three batches committed, the fourth undone
    assert len(list(tmp_path.glob("*.stage"))) == 1
    monkeypatch.setattr(stage, "save_records", original)
    assert "baseline.xml.gz stopped part way through publishing" in run("status").output

    result = run("load")  # no files: finishes what was interrupted
    assert result.exit_code == 0, result.output
    assert "baseline.xml.gz: finished the load interrupted" in result.output
    assert "164 records: 164 new" in result.output
    db = open_db(db_path)
    assert rows(db) == rows(reference)
    assert db.execute("SELECT status, records, new, error FROM load_runs").fetchone() == ("ok", 164, 164, None)
    assert not list(tmp_path.glob("*.stage"))
    assert "no interrupted load" in run("load").output  # nothing left to finish, and no file given


def test_a_publish_killed_with_sigkill_is_finished_by_the_next_load(tmp_path, document):
    db_path = tmp_path / "tracker.db"
    # A child process that loads the file and is killed outright as it publishes its third batch.
    child = f"""
import os, signal
from tracker.core.database import open_db
from tracker.papers import split, stage
from tracker.papers.load import load_file
split.RUN_BYTES = 100_000
stage.PUBLISH_RECORDS = 20
original, calls = stage.save_records, []
def save(db, records):
    calls.append(1)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(db, records)
stage.save_records = save
load_file(open_db({str(db_path)!r}), {str(document)!r}, stage_bytes=0)
"""
    process = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True)
    assert process.returncode == -signal.SIGKILL
    db = open_db(db_path)
    status, committed = db.execute("SELECT status, records FROM load_runs").fetchone()
    assert status == "publishing"
    assert 40 <= db["papers"].count == committed < 164  # the two batches committed before the kill
    [(run, stats, why)] = finish_interrupted_loads(db)
    assert why is None and stats.new == 164 and db["papers"].count == 164
    reference = open_db(tmp_path / "reference.db")
    load_file(reference, document)
    assert rows(db) == rows(reference)


def test_a_publish_whose_staging_file_is_gone_says_so(tmp_path, document, small_batches, monkeypatch):
    db = open_db(tmp_path / "tracker.db")
    monkeypatch.setattr(stage, "save_records", lambda db, records: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        load_file(db, document, stage_bytes=0)
    assert db.execute("SELECT status, error FROM load_runs").fetchone() == ("publishing", "interrupted")
    for leftover in tmp_path.glob("*.stage"):
        os.unlink(leftover)
    [(run, stats, why)] = finish_interrupted_loads(db)
    assert stats is None and "staging file" in why and "is gone" in why and "load the file again" in why
    assert db.execute("SELECT status FROM load_runs").fetchone()[0] == "failed"
    assert finish_interrupted_loads(db) == []
