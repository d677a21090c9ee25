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


def fresh(path: Path):
    """The database with its links, levels, suggestions and index cleared, the catalog loaded; (db, claims)."""
    from tracker.claims.catalog import read_catalog
    from tracker.claims.store import active_claims, load_claims
    from tracker.core.database import open_db
    from tracker.core.schema import ensure_schema
    from tracker.link import index

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
    return db, active_claims(db)


def measure(path: Path, top: int) -> dict:
    """Runs in a child process: index, link, relink."""
    from tracker.link import index
    from tracker.link.link import link_claims

    db, claims = fresh(path)
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


def measure_rationale(path: Path, top: int, rounds: int) -> dict:
    """Runs in a child process, with the semantic extra and the built models: every claim linked and every
    suggestion made, the rationale picked by the rules and by the learned ranker in turn (rules first, then
    alternating), seconds per claim. No sentence vector is kept from one paper to the next: the records here
    are 164 real ones under many PMIDs, so a kept vector would make the ranker look cheaper than it is on
    papers that differ (and a real run, which keeps them, embeds a paper's sentences once for all its claims:
    this is the upper bound). Word vectors are kept, as a run keeps them: words recur across papers."""
    from tracker.link import index
    from tracker.link.link import link_claim
    from tracker.link.ranker import Vectors, load_ranker, read_ranker, ranker_path, RationaleRanker
    from tracker.link.semantic import semantic_index
    from tracker.link.stance import load_stance_model
    from tracker.link.suggest import suggest_for_claims

    class Uncached(Vectors):
        def __init__(self, embed):
            super().__init__(embed)
            self.sentences.cache = _Forgetful()

    db, claims = fresh(path)
    semantic = semantic_index(True)
    if load_ranker(semantic) is None or load_stance_model(semantic) is None:
        raise SystemExit("build the models first: `tracker model build` (semantic extra)")
    index.refresh_index(db)
    started = time.perf_counter()
    embedded = semantic.refresh(db)
    embed_seconds = time.perf_counter() - started
    seconds = {"rules": [], "learned ranker": []}
    for number in range(rounds):
        for name in (("rules", "learned ranker") if number % 2 == 0 else ("learned ranker", "rules")):
            db.execute("DELETE FROM suggestions")
            db.conn.commit()
            stance = load_stance_model(semantic)
            stance.embeddings.cache = _Forgetful()
            ranker = RationaleRanker(read_ranker(ranker_path()), Uncached(semantic.embed)) \
                if name == "learned ranker" else None
            started = time.perf_counter()
            for claim in claims:
                link_claim(db, claim, top=top, semantic=semantic)
            suggest_for_claims(db, claims, stance=stance, ranker=ranker)
            seconds[name].append((time.perf_counter() - started) / len(claims))
    return {"papers": db["papers"].count, "claims": len(claims), "embedded": embedded, "embed_seconds": embed_seconds,
            **{name: sorted(values)[len(values) // 2] for name, values in seconds.items()}, "rounds": rounds}


class _Forgetful(dict):
    """A cache that keeps nothing."""

    def update(self, *args, **kwargs):
        self._last = dict(*args, **kwargs)

    def __getitem__(self, key):
        return self._last[key]

    def __contains__(self, key):
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--rationale", action="store_true", help="instead: link and suggest with the semantic "
                        "extra, the rationale picked by the rules and by the learned ranker in turn, at each size")
    parser.add_argument("--rounds", type=int, default=3, help="with --rationale: runs of each (default 3)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        found = measure_rationale(args.child, args.top, args.rounds) if args.rationale else measure(args.child, args.top)
        print(json.dumps(found))
        return 0
    if args.rationale:
        for size in args.sizes:
            print(f"linking against {size:,} papers, rules and learned ranker in turn ...", flush=True)
            found = in_child("link", ["--child", str(stored_database(size)), "--top", str(args.top), "--rationale",
                                      "--rounds", str(args.rounds)])
            if "failed" in found:
                raise SystemExit(f"failed: {found['failed']}")
            print(f"{found['papers']:,} papers ({found['embedded']:,} embedded in {found['embed_seconds']:.0f} s, "
                  f"not counted), {found['claims']} claims, median of {found['rounds']} runs each: link and "
                  f"suggest {found['rules']:.3f} s/claim with the rules, {found['learned ranker']:.3f} s/claim with "
                  f"the learned ranker: x{found['learned ranker'] / found['rules']:.2f}")
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

