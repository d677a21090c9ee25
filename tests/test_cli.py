"""The command line: help, database errors, exit codes, the offline path of scripts/run."""

import socket

from click.testing import CliRunner

from tracker.cli import cli


def test_help_lists_the_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "load", "sync", "reparse", "seed", "searches", "summary"):
        assert command in result.output
    sync_help = CliRunner().invoke(cli, ["sync", "--help"]).output
    assert "--since" in sync_help and "--full" in sync_help and "Exit codes" in sync_help


def test_db_in_a_folder_that_cannot_exist(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(cli, ["--db", str(blocker / "tracker.db"), "init"])
    assert result.exit_code == 1
    assert "cannot create the folder for --db" in result.output


def test_db_that_is_a_folder(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path), "init", "--no-seed"])
    assert result.exit_code == 2  # refused by the option's own check, before anything opens
    assert f"Invalid value for '--db': File '{tmp_path}' is a directory." in result.output


def test_db_that_is_not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a database\n" * 100)
    result = CliRunner().invoke(cli, ["--db", str(path), "init", "--no-seed"])
    assert result.exit_code == 1
    assert "cannot use" in result.output and "tracker database" in result.output
    assert path.read_text().startswith("these are notes")  # nothing lost


def test_load_reports_each_file_and_fails_if_any_failed(run, fixtures, tmp_path):
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    result = run("load", fixtures / "biopython_entrez/pubmed4.xml", empty, fixtures / "biopython_entrez/pubmed7.xml")
    assert result.exit_code == 1
    assert "pubmed4.xml: 1 records: 1 new" in result.output
    assert "pubmed7.xml: 1 records: 1 new" in result.output
    assert "empty.xml: the file is empty; nothing from this file was stored." in result.output


def test_offline_ok_says_one_line_and_exits_zero(run):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"TRACKER_EUTILS_URL": f"http://127.0.0.1:{port}/", "TRACKER_BACKOFF_SECONDS": "0.01"}
    result = run("sync", "--offline-ok", env=env)
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("PubMed could not be reached") and "going on with the 0 papers" in lines[0]


def test_since_must_be_a_date(run):
    result = run("sync", "--since", "last week")
    assert result.exit_code == 2 and "use YYYY-MM-DD" in result.output
