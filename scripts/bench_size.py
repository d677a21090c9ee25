"""Benchmark: database size per 1,000 papers, table by table.

Loads a file of --records real records (as `scripts/bench load` builds it) into a new database,
indexes it for search, checkpoints and vacuums it, and reports each table's share (SQLite's
dbstat). The baseline, in the same run: the same database with the full-text index as earlier
versions made it, keeping its own copy of the text.

    scripts/bench size [--records 1000]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def table_sizes(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    connection.execute("VACUUM")
    sizes = dict(connection.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    connection.close()
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench-data")
    args = parser.parse_args()
    from bench_load import build_file

    from tracker.core.database import open_db
    from tracker.link.index import refresh_index
    from tracker.papers.load import load_file

    xml = args.workdir / f"pubmed-{args.records}.xml"
    build_file(xml, args.records)
    path = args.workdir / "size.db"
    for leftover in args.workdir.glob("size*.db*"):
        leftover.unlink()
    db = open_db(path)
    load_file(db, xml)
    refresh_index(db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    old = args.workdir / "size-own-copy.db"
    shutil.copyfile(path, old)
    connection = sqlite3.connect(old)
    with connection:  # the index as earlier versions kept it: with its own copy of the text
        connection.execute("DROP TABLE paper_search")
        connection.execute("CREATE VIRTUAL TABLE paper_search USING fts5(title, abstract, mesh, keywords, "
                           "tokenize = 'porter unicode61 remove_diacritics 2')")
        connection.execute("INSERT INTO paper_search (rowid, title, abstract, mesh, keywords) "
                           "SELECT pmid, title, abstract, mesh, keywords FROM paper_search_source")
    connection.close()
    ours, baseline = table_sizes(path), table_sizes(old)
    per = 1000 / args.records / 1e6  # MB as the README counts them
    print(f"\n{args.records:,} records; MB per 1,000 papers, after VACUUM\n")
    print("| table | this version | index with its own copy (baseline) |\n|---|---:|---:|")
    for name in sorted(set(ours) | set(baseline), key=lambda n: -max(ours.get(n, 0), baseline.get(n, 0)))[:12]:
        print(f"| {name} | {ours.get(name, 0) * per:.2f} | {baseline.get(name, 0) * per:.2f} |")
    total, base_total = sum(ours.values()) * per, sum(baseline.values()) * per
    print(f"| **all** | **{total:.2f}** | **{base_total:.2f}** |")
    print(f"\nthis version: {total / base_total:.2f}x the baseline; target 12 MB per 1,000 papers")


if __name__ == "__main__":
    main()
