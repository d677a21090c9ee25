"""A database built the way scripts/run builds it, offline: starter papers, claims, articles, decisions, links."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from click.testing import CliRunner

    from tracker.cli import cli

    path = tmp_path_factory.mktemp("serve") / "tracker.db"
    runner = CliRunner()
    for command in (["init"], ["claims", "load", REPO / "db/claims.yml"], ["articles", "add", REPO / "db/articles"],
                    ["curate", REPO / "db/curation.csv"], ["link", "--no-semantic"]):
        result = runner.invoke(cli, ["--db", str(path), *map(str, command)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return path


