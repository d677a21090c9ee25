"""Benchmark: the tracker's pages under concurrent requests, beside Datasette's plain papers table page.

Uses the database of `tracker bench link` at --size papers (built first if missing), adds the
claims, articles, decisions and links, starts `tracker serve` on loopback, warms up, then sends
the same number of requests to each page from concurrent clients, alternating the pages in rounds
so all see the same machine state. Reported: p50 and p95 latency per page, and each page's p95
as a ratio of the plain `/<db>/papers` table page's (and, for reference, of that page without
facets). Target: every page of the tracker at most 2x the papers table page.

    tracker bench serve [--papers 10000] [--small 1000] [--requests 200] [--concurrency 10]
    tracker bench serve --against REV [--papers 10000] [--rounds 25]   # this tree against revision REV

Also measured: the papers table and its full-text search beside the same pages without facets, and
the home and database pages beside themselves on a database of --small papers, in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..serve.process import served
from .common import ROOT, linked_database, percentile, timed_get

BASELINE = "papers table page (Datasette, plain)"
NO_FACETS = "papers table page without facets (reference)"
SEARCH = "papers table search (_search=liver)"
SEARCH_NO_FACETS = "papers table search without facets (reference)"


def tracker_pages(path: Path, root: str) -> dict:
    import sqlite3

    base = f"{root}/{path.stem}"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # read only: a served copy stays as its server left it
    paper = db.execute("SELECT pmid FROM claim_papers WHERE claim_id = 'liver-protective' ORDER BY rank LIMIT 1").fetchone()[0]
    article = db.execute("SELECT id FROM articles ORDER BY id DESC LIMIT 1").fetchone()[0]
    db.close()
    return {
        "home page": f"{root}/",
        "database page (/<db>)": base,
        "claim page (liver-protective)": f"{base}/claims/liver-protective",
        f"paper page ({paper})": f"{base}/papers/{paper}",
        "article page": f"{base}/articles/{article}",
        "search (hepatotoxicity)": f"{root}/-/tracker/search?q=hepatotoxicity",
        "to review": f"{root}/-/tracker/review",
        BASELINE: f"{base}/papers",
        NO_FACETS: f"{base}/papers?_nofacet=1",
        SEARCH: f"{base}/papers?_search=liver",
        SEARCH_NO_FACETS: f"{base}/papers?_search=liver&_nofacet=1",
    }


def measure(path: Path, requests: int, concurrency: int) -> dict:
    """p95 and p50 latency of every page, the pages alternating in rounds so all see the same machine state."""
    with served(path) as root:
        pages = tracker_pages(path, root)
        for url in pages.values():
            for _ in range(5):
                timed_get(url)
        latencies = {name: [] for name in pages}
        rounds = 10
        per_round = max(1, requests // rounds)
        with ThreadPoolExecutor(concurrency) as pool:
            for _ in range(rounds):
                for name, url in pages.items():
                    latencies[name].extend(pool.map(timed_get, [url] * per_round))
    return {name: (statistics.median(values), percentile(values, 0.95)) for name, values in latencies.items()}


AB_PAGES = ("home page", "claim page (liver-protective)", "search (hepatotoxicity)", "to review", BASELINE)


def compare_with(revision: str, path: Path, rounds: int, per_round: int, concurrency: int) -> None:
    """Serve copies of the database from the code of `revision` (a temporary git worktree) and from this
    tree at once, alternating the two in every round (and which goes first), and print p95 before and
    after for the main pages: a comparison both sides of which see the same machine."""
    with tempfile.TemporaryDirectory(prefix="bench-serve-ab-") as work:
        tree = Path(work) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            with contextlib.ExitStack() as servers:
                roots = {}
                for side, code in (("before", tree), ("after", ROOT)):
                    (Path(work) / side).mkdir()
                    copy = Path(work) / side / path.name  # the same name: the same page addresses
                    shutil.copy(path, copy)
                    root = servers.enter_context(served(copy, code=code))
                    roots[side] = (root, tracker_pages(copy, root))
                latencies = {(side, page): [] for side in roots for page in AB_PAGES}
                with ThreadPoolExecutor(concurrency) as pool:
                    for side, (_, pages) in roots.items():  # warm up
                        for page in AB_PAGES:
                            list(pool.map(timed_get, [pages[page]] * 3))
                    for number in range(rounds):
                        for page in AB_PAGES:
                            for side in (("before", "after") if number % 2 == 0 else ("after", "before")):
                                url = roots[side][1][page]
                                latencies[(side, page)].extend(pool.map(timed_get, [url] * per_round))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    print(f"\n{revision} (before) against this tree (after), served at once; {rounds} rounds of {per_round} "
          f"requests a page, {concurrency} clients, the order alternating each round\n")
    print("| page | p95 ms before | p95 ms after | after / before | after / papers table page |")
    print("|---|---:|---:|---:|---:|")
    base = percentile(latencies[("after", BASELINE)], 0.95)
    for page in AB_PAGES:
        before, after = (percentile(latencies[(side, page)], 0.95) for side in ("before", "after"))
        print(f"| {page} | {before * 1000:.0f} | {after * 1000:.0f} | {after / before:.2f} | {after / base:.2f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", "--size", dest="papers", type=int, default=10000)
    parser.add_argument("--small", type=int, default=1000, help="the size the home and database pages are compared with")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--against", metavar="REV", help="instead: serve the code of git revision REV and this "
                        "tree at once on copies of the --papers database, and compare them page by page")
    parser.add_argument("--rounds", type=int, default=25, help="with --against: rounds of 20 requests a page")
    args = parser.parse_args(argv)
    if args.against:
        compare_with(args.against, linked_database(args.papers), args.rounds, 20, args.concurrency)
        return 0
    small_path, path = linked_database(args.small), linked_database(args.papers)
    small = measure(small_path, args.requests, args.concurrency)
    large = measure(path, args.requests, args.concurrency)
    from tracker.core.database import open_db

    count = open_db(path)["papers"].count
    print(f"{count:,} papers beside {open_db(small_path)['papers'].count:,}; {args.concurrency} concurrent clients; "
          f"{args.requests} requests per page\n")
    p95 = {name: values[1] for name, values in large.items()}
    print("| page | p50 ms | p95 ms | p95 / papers page | p95 / papers page without facets | "
          f"p95 / same page at {args.small:,} papers |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (p50, q95) in large.items():
        print(f"| {name} | {p50 * 1000:.0f} | {q95 * 1000:.0f} | {q95 / p95[BASELINE]:.2f} | {q95 / p95[NO_FACETS]:.2f} | "
              f"{q95 / small[name][1]:.2f} |")
    print("\nTargets (p95, same run):")
    for name, against, target in ((BASELINE, NO_FACETS, 2), (SEARCH, SEARCH_NO_FACETS, 2)):
        print(f"- {name}: {p95[name] / p95[against]:.2f}x the same page without facets (target at most {target})")
    for name in ("home page", "database page (/<db>)"):
        print(f"- {name}: {p95[name] / small[name][1]:.2f}x what it takes at {args.small:,} papers (target at most 2)")
    tracker = [n for n in p95 if n not in (BASELINE, NO_FACETS, SEARCH, SEARCH_NO_FACETS)]
    worst = max(tracker, key=lambda n: p95[n])
    print(f"- slowest tracker page: {worst}, {p95[worst] / p95[BASELINE]:.2f}x the papers table page (target at most 2)")
    return 0

