from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.core.database import open_db

from .support.corpus import metapub_records
from .support.fake_eutils import FakeEutils
from .support.linked import build_linked

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
def run(db_path, monkeypatch, tmp_path):
    """Run the tracker CLI against the test database; returns click's Result."""
    for name in ("NCBI_API_KEY", "TRACKER_EUTILS_URL", "TRACKER_MAX_RATE", "TRACKER_DB"):
        monkeypatch.delenv(name, raising=False)
    # Never the user's cached stance model: a test that wants one builds it.
    monkeypatch.setenv("TRACKER_MODELS", str(tmp_path / "no-models"))

    def invoke(*args, env=None):
        runner = CliRunner()
        return runner.invoke(cli, ["--db", str(db_path), *map(str, args)], env=env or {}, catch_exceptions=False)

    return invoke


@pytest.fixture
def linked(run, db, tmp_path):
    """Starter bibliography, real records, the catalog and the starter decisions, linked."""
    return build_linked(run, db, tmp_path)


@pytest.fixture
def fake():
    """The local E-utilities server, serving what a test adds to it."""
    with FakeEutils() as server:
        yield server


@pytest.fixture
def records():
    """The 164 real records of the metapub fixture set."""
    return metapub_records()
