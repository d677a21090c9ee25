"""Where things are: the project's data folder (db/) and the database.

The project's own files (catalog, searches, decisions, articles, Datasette metadata) live in the
project root's db/ folder, found from this package's place, so every command and script works
from any working directory. The database is --db, else TRACKER_DB, else db/tracker.db in the
project root; what belongs to one database (its lock, logs, digests, its decisions file) sits
beside it.
TRACKER_ROOT names another project root (an installed copy of the package has none of its own).
"""

from __future__ import annotations

import os
from pathlib import Path


def _project_root() -> Path:
    if os.environ.get("TRACKER_ROOT"):
        return Path(os.environ["TRACKER_ROOT"])
    source_checkout = Path(__file__).resolve().parents[2]
    if (source_checkout / "db").is_dir():
        return source_checkout
    return Path.cwd()


ROOT = _project_root()
DATA = ROOT / "db"
DEFAULT_DB = DATA / "tracker.db"
SEARCHES = DATA / "searches.yml"
CLAIMS = DATA / "claims.yml"
CURATION = DATA / "curation.csv"
ARTICLES = DATA / "articles"
BIBLIOGRAPHY = DATA / "kratom_bibliography.tsv"
METADATA = DATA / "metadata.yml"
TEMPLATES = DATA / "templates"
GOLD = ROOT / "tests" / "gold" / "article_sentences.tsv"
# Development articles no one here wrote, with our own labels (tests/gold/README.md); ../shared beside the checkout.
DEV_GOLD = ROOT / "tests" / "gold" / "dev_article_sentences.tsv"
DEV_ARTICLES = ROOT.parent / "shared" / "articles-dev"


def shown(path: Path) -> str:
    """A path as help texts show it: relative to the project root when inside it."""
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def database_path(given: str | os.PathLike | None = None) -> Path:
    """--db, else TRACKER_DB, else db/tracker.db in the project."""
    return Path(given or os.environ.get("TRACKER_DB") or DEFAULT_DB)


def beside_database(db_path: str | os.PathLike, name: str) -> Path:
    """A file or folder that belongs to one database (logs/, digests/), next to it."""
    return Path(db_path).parent / name


CURATION_NAME = "curation.csv"


def curation_file(db_path: str | os.PathLike) -> Path:
    """A database's decisions file: curation.csv beside it (db/curation.csv for the project's own
    db/tracker.db). Decisions made on a database never go to another checkout's file."""
    return beside_database(db_path, CURATION_NAME)
