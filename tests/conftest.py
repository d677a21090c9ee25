from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.db import open_db

FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def db(db_path):
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def run(db_path, monkeypatch):
    """Run the tracker CLI against the test database; returns click's Result."""
    for name in ("NCBI_API_KEY", "TRACKER_EUTILS_URL", "TRACKER_MAX_RATE", "TRACKER_DB"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args, env=None):
        runner = CliRunner()
        return runner.invoke(cli, ["--db", str(db_path), *map(str, args)], env=env or {}, catch_exceptions=False)

    return invoke
