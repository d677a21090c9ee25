"""Benchmark: the write-ahead log while `tracker load` stores one large file, with a reader querying throughout.

Builds a file of --records real records (as `tracker bench load` does), then loads it twice into
a new database with `tracker load`, each time in its own process beside a reader process:
once in one transaction (the baseline: the file is under the staging threshold, raised for
this run) and once staged and published in batches (the default for a file this size).
Reported for each: load time, the WAL file's peak size (sampled every 20 ms), and the reader's
queries answered, their p95 and slowest latency and any errors.

    tracker bench wal [--records 30000]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from .common import ROOT, one_file_options, tracker_command

READER = r"""
import json, sqlite3, sys, time
path, stop_file = sys.argv[1], sys.argv[2]
latencies, errors = [], []
import os
while not os.path.exists(stop_file):
    started = time.perf_counter()
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        conn.execute("SELECT count(*), max(pmid) FROM papers").fetchone()
        conn.execute("SELECT title FROM papers ORDER BY pmid DESC LIMIT 20").fetchall()
        conn.close()
        latencies.append(time.perf_counter() - started)
    except sqlite3.Error as error:
        errors.append(str(error))
    time.sleep(0.05)
print(json.dumps({"latencies": latencies, "errors": errors}))
"""


def measure(xml: Path, db_path: Path, staged: bool) -> dict:
    for leftover in db_path.parent.glob(db_path.name + "*"):
        leftover.unlink()
    tracker = tracker_command(db_path)
    subprocess.run(tracker + ["init", "--no-seed"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    stop_file = db_path.with_suffix(".stop")
    stop_file.unlink(missing_ok=True)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db_path), str(stop_file)], stdout=subprocess.PIPE,
                              text=True)
    threshold = [] if staged else ["--stage-mb", str(10**9)]  # the file under the threshold: one transaction
    peak, done = [0], threading.Event()
    wal = Path(f"{db_path}-wal")

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], wal.stat().st_size)
            except FileNotFoundError:
                pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    subprocess.run(tracker + ["load", "--quiet", *threshold, str(xml)], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    stop_file.touch()
    read = json.loads(reader.communicate()[0])
    stop_file.unlink()
    latencies = sorted(read["latencies"])
    return {
        "seconds": seconds, "wal_peak_mb": peak[0] / 1024**2, "queries": len(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "max_ms": 1000 * latencies[-1] if latencies else None,
        "median_ms": 1000 * statistics.median(latencies) if latencies else None, "errors": len(read["errors"]),
        "db_mb": db_path.stat().st_size / 1024**2,
    }


def main(argv=None) -> int:
    args, xml = one_file_options(__doc__, 30_000, argv)
    results = {}
    for name, staged in (("one transaction (baseline)", False), ("staged, published in batches", True)):
        print(f"loading {args.records:,} records: {name} ...", file=sys.stderr)
        results[name] = measure(xml, args.workdir / "wal.db", staged)
    mb = xml.stat().st_size / 1024**2
    print(f"\n{args.records:,} records, {mb:,.0f} MB of XML; a reader queried every 50 ms throughout\n")
    print("| load | seconds | records/s | WAL peak MB | database MB | reader queries | reader p95 ms "
          "| reader slowest ms | reader errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']:.1f} | {args.records / r['seconds']:,.0f} | {r['wal_peak_mb']:,.1f} "
              f"| {r['db_mb']:,.0f} | {r['queries']} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} | {r['errors']} |")
    base, staged = results["one transaction (baseline)"], results["staged, published in batches"]
    print(f"\nWAL peak: staged {staged['wal_peak_mb'] / base['wal_peak_mb']:.3f}x one transaction; "
          f"load time {staged['seconds'] / base['seconds']:.2f}x")
    return 0
