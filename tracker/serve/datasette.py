"""`tracker serve`: Datasette (0.65.x) on the tracker database, read-only, with the project's metadata."""

from __future__ import annotations

import os
from pathlib import Path

from ..core.paths import METADATA, TEMPLATES
from ..core.schema import TABLES
from ..core.yamlfile import load_yaml

PLUGINS = Path(__file__).resolve().parent / "plugins"  # the project's own Datasette plugins
# suggest_facets off: at 100,000 papers, probing every column for facets to suggest was nearly all of
# the papers page's time. The facets metadata.yml names are still shown.
SETTINGS = {"sql_time_limit_ms": 3000, "max_returned_rows": 2000, "allow_download": False, "suggest_facets": False}


def metadata_for(db_path: Path, metadata: Path = METADATA) -> dict | None:
    """db/metadata.yml, addressed to the database's name (Datasette names a database after its file)."""
    if not metadata.exists():
        return None
    text = metadata.read_text(encoding="utf-8")
    name = Path(db_path).stem
    data = load_yaml(text.replace("/tracker/", f"/{name}/"), str(metadata))
    databases = data.get("databases") or {}
    if "tracker" in databases and name != "tracker":
        databases[name] = databases.pop("tracker")
    glossary = data.pop("column_glossary", {}) or {}
    _describe_declared_columns(databases.setdefault(name, {}))
    if glossary and Path(db_path).exists():
        _describe_every_column(Path(db_path), databases.setdefault(name, {}), glossary)
    return data


def _describe_declared_columns(database: dict) -> None:
    """Column descriptions declared with the schema (core/schema.py), where metadata.yml has none."""
    tables = database.setdefault("tables", {})
    for table in TABLES.values():
        described = [c for c in table.columns if c.description]
        if described:
            columns = tables.setdefault(table.name, {}).setdefault("columns", {})
            for column in described:
                columns.setdefault(column.name, column.description)


def _describe_every_column(db_path: Path, database: dict, glossary: dict) -> None:
    """Give each column of each table and view the glossary's description unless its table has one."""
    import sqlite3

    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")]
        tables = database.setdefault("tables", {})
        for table in names:
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info([{table}])")]
            described = tables.setdefault(table, {}).setdefault("columns", {})
            for column in columns:
                if column not in described and column in glossary:
                    described[column] = glossary[column]
    finally:
        connection.close()


def datasette_args(db_path: Path, host: str, port: int, metadata: Path = METADATA, templates: Path = TEMPLATES) -> list[str]:
    """Datasette's command line for `tracker serve`, which replaces the process with Datasette."""
    args = ["serve", str(db_path), "--host", host, "--port", str(port)]
    data = metadata_for(db_path, metadata)
    if data is not None:
        args += ["--metadata", _metadata_file(data)]
    if templates.is_dir():
        args += ["--template-dir", str(templates)]
    args += ["--plugins-dir", str(PLUGINS)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, str(value).lower() if isinstance(value, bool) else str(value)]
    return args


def _metadata_file(data: dict) -> str:
    """A path Datasette can read the metadata from, that leaves nothing behind when it stops.

    The process is replaced by Datasette (exec), so nothing runs afterwards to delete a file:
    the metadata goes into an anonymous in-memory file whose descriptor Datasette inherits.
    """
    import json

    text = json.dumps(data).encode("utf-8")
    if hasattr(os, "memfd_create"):
        descriptor = os.memfd_create("tracker-metadata", 0)  # no close-on-exec: Datasette inherits it
        os.write(descriptor, text)
        return f"/dev/fd/{descriptor}"
    import tempfile  # elsewhere than Linux: a file in the temporary folder, as before

    with tempfile.NamedTemporaryFile("wb", suffix=".json", prefix="tracker-metadata-", delete=False) as handle:
        handle.write(text)
    return handle.name


def make_datasette(db_path: Path, metadata: Path = METADATA, templates: Path = TEMPLATES):
    """The same Datasette as `tracker serve`, in process (for tests and benchmarks)."""
    from datasette.app import Datasette

    return Datasette(
        files=[str(db_path)],
        plugins_dir=str(PLUGINS),
        metadata=metadata_for(db_path, metadata),
        template_dir=str(templates) if templates.is_dir() else None,
        settings=SETTINGS,
    )
