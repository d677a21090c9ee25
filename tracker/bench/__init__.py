"""The benchmarks: scripts to rerun, each measuring the tracker beside a baseline in the same run.

One entry point, `tracker bench NAME [OPTIONS]` (or `python -m tracker.bench NAME`); each module's
`main(argv)` takes its options, and `tracker bench NAME --help` lists them. docs/benchmarks.md holds
the figures they gave. They run from a checkout (common.py says why), never in the test suite.
"""

from __future__ import annotations

import importlib
import sys

# name: what it measures (in the order docs/benchmarks.md shows them)
BENCHMARKS = {
    "load": "tracker load against Bio.Entrez.read on the same PubMed XML",
    "wal": "the write-ahead log's peak while a large file loads, staged against one transaction",
    "size": "database MB per 1,000 papers, table by table, beside earlier versions' storage",
    "link": "tracker link time per claim at 1,000, 10,000 and 100,000 papers (--rationale: rules against the ranker)",
    "retrieval": "the linker's retrieval against plain BM25 (HealthVer dev)",
    "evidence": "retrieval, rationale and stance on Citation-Integrity and HealthVer dev, beside baselines",
    "serve": "page p95 latency beside Datasette's papers table, or this tree against a git revision",
    "decide": "the nightly job while the map is served, read and decided on; page p95 before and during",
}


def run(name: str, argv: list[str]) -> int:
    """Run benchmark `name` with its command-line options; its exit status."""
    if name not in BENCHMARKS:
        raise KeyError(name)
    from .common import checkout

    checkout()
    module = importlib.import_module(f"{__name__}.{name}")
    program, sys.argv[0] = sys.argv[0], f"tracker bench {name}"  # what argparse names in its usage line
    try:
        return module.main(list(argv)) or 0
    finally:
        sys.argv[0] = program
