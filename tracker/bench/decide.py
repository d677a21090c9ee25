"""Stress: the nightly job while the map is served, read and decided on, N rounds in a row.

Each round (tests/support/deciding.py, the same code as the suite's test, at full size): a copy of a
database with the catalog, the starter decisions and links, served by `tracker serve --decide`; the
nightly job (`tracker job --setup if-new`, what scripts/sync runs) syncs --records real records
re-issued under PMIDs from 900000001 up from a local stand-in of E-utilities, then links and writes
its digest; meanwhile a person decides from the claim pages every --decide-every seconds and another
reads the home, claim, search and papers pages. Pages are read alone for --before seconds first.

After each round it checks: the job exited 0, every record served is stored, every decision was
answered with success and is in the database and in the curation file beside it, no sync, link or
job run is left "running", no traceback in the job's output, its log or the server's output. It
prints one line a round, then page p95 before and during the job (all rounds together) and their
ratio. Exit 1 if any round failed.

    tracker bench decide [--runs 20] [--records 3000] [--decide-every 2] [--before 10] [--semantic]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from .common import checkout, percentile


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--decide-every", type=float, default=2.0, help="seconds between decisions")
    parser.add_argument("--before", type=float, default=10.0, help="seconds of page reads before each job")
    parser.add_argument("--semantic", action="store_true", help="link with the semantic extra, as scripts/sync "
                        "does where it is installed")
    parser.add_argument("--keep", type=Path, help="keep each round's folder here (database, logs)")
    args = parser.parse_args(argv)
    checkout()
    from tests.support.deciding import PAGES, base_database, run_round

    work = Path(tempfile.mkdtemp(prefix="bench-decide-"))
    try:
        base = base_database(work / "base")
        rounds, failed = [], 0
        for number in range(1, args.runs + 1):
            folder = (args.keep or work) / f"round-{number}"
            shutil.rmtree(folder, ignore_errors=True)
            started = time.monotonic()
            seen = run_round(folder, base, args.records, args.decide_every, args.before, semantic=args.semantic)
            problems = seen.problems()
            failed += bool(problems)
            rounds.append(seen)
            print(f"round {number}: {'ok' if not problems else 'FAILED'} in {time.monotonic() - started:.0f} s; "
                  f"job {seen.job_seconds:.0f} s exit {seen.job_exit}; {seen.stored_records}/{seen.records} records "
                  f"stored; {sum(d.answered_ok for d in seen.decisions)}/{len(seen.decisions)} decisions recorded "
                  f"({seen.decisions_during('sync')} during the sync, {seen.decisions_during('link')} during the "
                  f"link); runs left running: {sum(seen.runs_left_running.values())}", flush=True)
            for problem in problems:
                print(f"  - {problem}", flush=True)
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        print(f"\n{args.runs - failed} of {args.runs} rounds passed ({args.records:,} records, a decision every "
              f"{args.decide_every:g} s)")
        print("\npage latency, all rounds (ms): p95 before the job | p95 during | during / before | reads during")
        worst = 0.0
        for page in PAGES:
            before = [s for r in rounds for s in r.latencies("before")[page]]
            during = [s for r in rounds for s in r.latencies("during")[page]]
            ratio = percentile(during, 0.95) / percentile(before, 0.95)
            worst = max(worst, ratio)
            print(f"  {page:8} {percentile(before, 0.95) * 1000:8.0f} | {percentile(during, 0.95) * 1000:8.0f} | "
                  f"{ratio:5.2f}x | {len(during)}")
        print(f"worst page: {worst:.2f}x its p95 before the job (target: within 3x)")
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)

