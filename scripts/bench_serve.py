"""Benchmark: the tracker's pages under concurrent requests, beside Datasette's plain papers table page.

Uses the database of `scripts/bench link` at --size papers (built first if missing), adds the
claims, articles, decisions and links, starts `tracker serve` on loopback, warms up, then sends
the same number of requests to each page from concurrent clients, alternating the pages in rounds
so all see the same machine state. Reported: p50 and p95 latency per page, and each page's p95
as a ratio of the plain `/<db>/papers` table page's (and, for reference, of that page without
facets). Target: every page of the tracker at most 2x the papers table page.

    scripts/bench serve [--size 10000] [--requests 200] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "papers table page (Datasette, plain)"
NO_FACETS = "papers table page without facets (reference)"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def prepare(size: int) -> Path:
    from bench_link import build_database

    path = build_database(size)
    tracker = [sys.executable, "-c", "from tracker.cli import cli; cli()", "--db", str(path)]
    for command in (["claims", "load", "db/claims.yml"], ["articles", "add", "db/articles"],
                    ["curate", "db/curation.csv"], ["link", "--no-semantic", "--quiet"]):
        subprocess.run(tracker + command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return path


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - started


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args(argv)
    path = prepare(args.size)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", "from tracker.cli import cli; cli()", "--db", str(path), "serve", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )
    root = f"http://127.0.0.1:{port}"
    base = f"{root}/{path.stem}"
    from tracker.core.database import open_db

    db = open_db(path)
    paper = db.execute("SELECT pmid FROM claim_papers WHERE claim_id = 'liver-protective' ORDER BY rank LIMIT 1").fetchone()[0]
    article = db.execute("SELECT id FROM articles ORDER BY id DESC LIMIT 1").fetchone()[0]
    db.close()
    pages = {
        "home page": f"{root}/",
        "claim page (liver-protective)": f"{base}/claims/liver-protective",
        f"paper page ({paper})": f"{base}/papers/{paper}",
        "article page": f"{base}/articles/{article}",
        "search (hepatotoxicity)": f"{root}/-/tracker/search?q=hepatotoxicity",
        "to review": f"{root}/-/tracker/review",
        BASELINE: f"{base}/papers",
        NO_FACETS: f"{base}/papers?_nofacet=1",
    }
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                timed_get(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        for url in pages.values():
            for _ in range(5):
                timed_get(url)
        latencies = {name: [] for name in pages}
        rounds = 10
        per_round = args.requests // rounds
        with ThreadPoolExecutor(args.concurrency) as pool:
            for _ in range(rounds):
                for name, url in pages.items():
                    latencies[name].extend(pool.map(timed_get, [url] * per_round))
    finally:
        server.terminate()
        server.wait(timeout=10)
    papers = open_db(path)["papers"].count
    print(f"{papers:,} papers; {args.concurrency} concurrent clients; {per_round * rounds} requests per page\n")
    p95 = {name: percentile(values, 0.95) for name, values in latencies.items()}
    print(f"| page | p50 ms | p95 ms | p95 / papers table page | p95 / papers page without facets |")
    print("|---|---:|---:|---:|---:|")
    for name, values in latencies.items():
        print(f"| {name} | {statistics.median(values) * 1000:.0f} | {p95[name] * 1000:.0f} | "
              f"{p95[name] / p95[BASELINE]:.2f} | {p95[name] / p95[NO_FACETS]:.2f} |")
    worst = max((name for name in p95 if name not in (BASELINE, NO_FACETS)), key=lambda n: p95[n])
    print(f"\nslowest tracker page: {worst}, {p95[worst] / p95[BASELINE]:.2f}x the papers table page (target at most 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
