"""Benchmark: database size per 1,000 papers, table by table.

Loads a file of --records real records (as `tracker bench load` builds it) into a new database,
indexes it for search, checkpoints and vacuums it, and reports each table's share (SQLite's
dbstat). Baselines, in the same run, are the same database rewritten as earlier versions stored it:
"previous" keeps every abstract's sections (an unlabelled abstract's text twice) and raw records in
plain zstd at level 1; "first" also gives the full-text index its own copy of the text, as the
tracker stored it when the size target was set (but for zstd, where it had zlib).

    tracker bench size [--records 1000]
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from .common import one_file_options


def table_sizes(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    connection.execute("VACUUM")
    sizes = dict(connection.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    connection.close()
    return sizes


def store_as_before(path: Path) -> dict:
    """Rewrite a database's stored values as the version before the zstd dictionary kept them: every
    abstract's sections, raw records in plain zstd at level 1, user_version 0. The raw bytes by PMID."""
    import zstandard

    from tracker.papers.compress import decompress_raw

    plain = zstandard.ZstdCompressor(level=1)
    connection = sqlite3.connect(path)
    raws = {}
    with connection:
        for pmid, codec, blob in connection.execute("SELECT pmid, codec, compressed FROM raw_records").fetchall():
            raws[pmid] = raw = decompress_raw(codec, blob)
            connection.execute("UPDATE raw_records SET codec = 'zstd', compressed = ? WHERE pmid = ?",
                               [plain.compress(raw), pmid])
        connection.execute("""UPDATE papers SET abstract_sections = json_array(json_object(
                                  'label', NULL, 'nlm_category', NULL, 'text', abstract))
                              WHERE abstract IS NOT NULL AND abstract_sections IS NULL""")
        connection.execute("DELETE FROM raw_dictionaries")
        connection.execute("PRAGMA user_version = 0")
    connection.close()
    return raws


def give_the_index_its_own_copy(path: Path) -> None:
    connection = sqlite3.connect(path)
    with connection:  # the index as earlier versions kept it: with its own copy of the text
        connection.execute("DROP TABLE paper_search")
        connection.execute("CREATE VIRTUAL TABLE paper_search USING fts5(title, abstract, mesh, keywords, "
                           "tokenize = 'porter unicode61 remove_diacritics 2')")
        connection.execute("INSERT INTO paper_search (rowid, title, abstract, mesh, keywords) "
                           "SELECT pmid, title, abstract, mesh, keywords FROM paper_search_source")
    connection.close()


def main(argv=None) -> int:
    from tracker.core.database import open_db
    from tracker.link.index import refresh_index
    from tracker.papers.load import load_file

    args, xml = one_file_options(__doc__, 1000, argv)
    path = args.workdir / "size.db"
    for leftover in args.workdir.glob("size*.db*"):
        leftover.unlink()
    db = open_db(path)
    load_file(db, xml)
    refresh_index(db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode = DELETE")  # a copy is then the whole database
    db.close()
    previous, first = args.workdir / "size-previous.db", args.workdir / "size-first.db"
    shutil.copyfile(path, previous)
    store_as_before(previous)
    shutil.copyfile(previous, first)
    give_the_index_its_own_copy(first)
    columns = [("this version", table_sizes(path)), ("previous", table_sizes(previous)),
               ("first", table_sizes(first))]
    per = 1000 / args.records / 1e6  # MB as docs/benchmarks.md counts them
    print(f"\n{args.records:,} records; MB per 1,000 papers, after VACUUM\n")
    print("| table | " + " | ".join(name for name, _ in columns) + " |\n|---|" + "---:|" * len(columns))
    names = set().union(*(sizes for _, sizes in columns))
    for name in sorted(names, key=lambda n: -max(sizes.get(n, 0) for _, sizes in columns))[:12]:
        print(f"| {name} | " + " | ".join(f"{sizes.get(name, 0) * per:.2f}" for _, sizes in columns) + " |")
    totals = [sum(sizes.values()) * per for _, sizes in columns]
    print("| **all** | " + " | ".join(f"**{total:.2f}**" for total in totals) + " |")
    print(f"\nthis version: {totals[0] / totals[1]:.2f}x previous, {totals[0] / totals[2]:.2f}x first; "
          f"target 12 MB per 1,000 papers")
    return 0
