"""Benchmark: `tracker link` for every catalog claim against 10,000 and 100,000 stored papers.

The papers are the real fixture records re-issued under distinct PMIDs (the same files as
`tracker bench load`), stored with `tracker load`. For each size, in a fresh process:
building the full-text index (once, after a load), then linking all claims of db/claims.yml
(full text only: a benchmark has no PubMed and no semantic extra), then linking again with the
index current, as a scheduled run does. Reported: seconds per claim, and the ratio between sizes.
Target: 10x the papers costs at most 3x the time per claim.

    tracker bench link [--sizes 1000 10000 100000] [--top 50]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .common import ROOT, in_child, stored_database


def measure(path: Path, top: int) -> dict:
    """Runs in a child process: index, link, relink."""
    from tracker.claims.catalog import read_catalog
    from tracker.claims.store import active_claims, load_claims
    from tracker.core.database import open_db
    from tracker.core.schema import ensure_schema
    from tracker.link import index
    from tracker.link.link import link_claims

    db = open_db(path)
    db.execute("DELETE FROM claim_papers")
    db.execute(f"DROP TABLE IF EXISTS {index.FTS_TABLE}")
    db.execute(f"DROP TABLE IF EXISTS {index.STATE_TABLE}")
    db.execute("DELETE FROM paper_evidence")
    db.execute("DELETE FROM suggestions")  # kept by hash: a database linked before would make "first" a relink
    db.conn.commit()
    ensure_schema(db)  # the index tables again, empty
    catalog = read_catalog(ROOT / "db" / "claims.yml")
    load_claims(db, catalog.claims, categories=catalog.categories)
    claims = active_claims(db)
    papers = db["papers"].count
    started = time.perf_counter()
    indexed = index.refresh_index(db)
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    first = link_claims(db, claims, top=top)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    link_claims(db, claims, top=top)
    again_seconds = time.perf_counter() - started
    return {
        "papers": papers,
        "claims": len(claims),
        "indexed": indexed,
        "index_seconds": index_seconds,
        "first_per_claim": first_seconds / len(claims),
        "again_per_claim": again_seconds / len(claims),
        "links": sum(s.kept for s in first),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.top)))
        return 0
    results = []
    for size in args.sizes:
        path = stored_database(size)
        print(f"linking against {size:,} papers ...", flush=True)
        measured = in_child("link", ["--child", str(path), "--top", str(args.top)])
        if "failed" in measured:
            raise SystemExit(f"linking against {size:,} papers failed: {measured['failed']}")
        results.append(measured)
    print()
    print("| papers | claims | index build s | link s/claim (first) | link s/claim (again) | links kept |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['papers']:,} | {r['claims']} | {r['index_seconds']:.1f} | {r['first_per_claim']:.3f} | "
              f"{r['again_per_claim']:.3f} | {r['links']:,} |")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        factor = large["papers"] / small["papers"]
        print(f"\n{factor:.0f}x the papers: time per claim x{large['first_per_claim'] / small['first_per_claim']:.2f} "
              f"(first link), x{large['again_per_claim'] / small['again_per_claim']:.2f} (again); target at most x3")
    return 0

