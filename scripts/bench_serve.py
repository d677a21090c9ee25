"""Benchmark: the claim page's latency under 20 concurrent requests, beside Datasette's plain papers page.

Uses the 100,000-paper database of `scripts/bench link` (built first if missing), adds the
articles and links, starts `tracker serve` on loopback, warms up, then sends the same number of
requests to each page from 20 concurrent clients, alternating the pages in rounds so both see the
same machine state. Reported: p50 and p95 latency per page and the ratio of the p95s.
Target: the claim page's p95 at most 2x the papers table page's.

    scripts/bench serve [--size 100000] [--requests 400] [--concurrency 20]
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
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--requests", type=int, default=400, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args(argv)
    path = prepare(args.size)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", "from tracker.cli import cli; cli()", "--db", str(path), "serve", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}/{path.stem}"
    pages = {
        "claim page (liver-protective)": f"{base}/claims/liver-protective",
        "papers table page (Datasette, no facets)": f"{base}/papers?_nofacet=1",
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
    from tracker.core.database import open_db

    papers = open_db(path)["papers"].count
    print(f"{papers:,} papers; {args.concurrency} concurrent clients; {per_round * rounds} requests per page\n")
    print("| page | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    p95 = {}
    for name, values in latencies.items():
        p95[name] = percentile(values, 0.95)
        print(f"| {name} | {statistics.median(values) * 1000:.0f} | {p95[name] * 1000:.0f} |")
    claim, table = p95.values()
    print(f"\np95 ratio, claim page / papers page: {claim / table:.2f} (target at most 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
