"""Benchmark: `tracker load` against Bio.Entrez.read on the same PubMed XML files.

Builds files of N records from the real fixture records (re-issued under distinct
PMIDs from 900000001 up), then measures, each in a fresh process so peak memory is its
own: records per second and peak resident memory of `tracker load` (parse and store
into a new SQLite database), and of Bio.Entrez.read (parse only) on the same file.

    tracker bench load                  # 10,000 and 100,000 records
    tracker bench load --sizes 10000    # one size
    tracker bench load --sizes 20000 --repeat 3   # each load and Bio.Entrez.read 3 times, interleaved

`tracker load` is measured as it runs by default (a file over 64 MB of XML staged, then
published in batches so the WAL stays small) and in one transaction (`--stage-mb` above the
file's size): the difference is what bounding the WAL costs. With --repeat, each figure is the
median of the runs, and the ratio's lowest and highest are shown beside it: on a shared machine
one run can be nearly 20% off the next.

Bio.Entrez.read holds the whole file in memory; it runs under a memory cap
(--entrez-memory-gb) and is reported as failed if it exceeds it.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from .common import DATA, in_child, records_file


def peak_mb() -> float:
    """This process's own peak resident memory. Not ru_maxrss: Linux carries that across exec,
    so a child would report its parent's peak if that was higher."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_tracker(path: Path, db_path: Path, one_transaction: bool = False) -> dict:
    from tracker.core.database import open_db
    from tracker.papers.load import STAGE_BYTES, load_file

    for leftover in db_path.parent.glob(db_path.name + "*"):  # the database, its WAL, a stage
        leftover.unlink()
    db = open_db(db_path)
    stage_bytes = path.stat().st_size + 1 if one_transaction else STAGE_BYTES
    start = time.perf_counter()
    stats = load_file(db, path, stage_bytes=stage_bytes)
    seconds = time.perf_counter() - start
    # The parsing workers' peak: the largest of this process's finished children (they are forked, not exec'd).
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"records": stats.records, "seconds": seconds, "peak_mb": peak_mb(), "workers_peak_mb": workers_mb}


def measure_parse(path: Path) -> dict:
    from tracker.papers.load import iter_file_records

    start = time.perf_counter()
    count = sum(1 for _ in iter_file_records(path))
    return {"records": count, "seconds": time.perf_counter() - start, "peak_mb": peak_mb()}


def measure_entrez(path: Path) -> dict:
    from Bio import Entrez

    start = time.perf_counter()
    with open(path, "rb") as handle:
        result = Entrez.read(handle)
    seconds = time.perf_counter() - start
    return {"records": len(result["PubmedArticle"]), "seconds": seconds, "peak_mb": peak_mb()}


def measure_lxml(path: Path) -> dict:
    """lxml's streaming parse with nothing else done: the floor under any lxml-based loader."""
    from lxml import etree

    start = time.perf_counter()
    count = 0
    for _, element in etree.iterparse(str(path), events=("end",), tag="PubmedArticle", resolve_entities=False,
                                      huge_tree=True):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return {"records": count, "seconds": time.perf_counter() - start, "peak_mb": peak_mb()}


def measure_compress(path: Path) -> dict:
    """zlib level 1 (what the loader uses) on each record's bytes, reading the file in slices."""
    import zlib

    start = time.perf_counter()
    count, tail = 0, b""
    with open(path, "rb") as handle:
        while block := handle.read(64 * 1024 * 1024):
            pieces = (tail + block).split(b"<PubmedArticle>")
            tail = pieces.pop()
            for piece in pieces[1 if count == 0 else 0:]:
                zlib.compress(piece, 1)
                count += 1
    if tail:
        zlib.compress(tail, 1)
        count += 1
    return {"records": count, "seconds": time.perf_counter() - start, "peak_mb": peak_mb()}


def measure_stages(path: Path, db_path: Path) -> dict:
    """Each stage of the fast path, in this one process, in seconds over the whole file."""
    from lxml import etree

    from tracker.core.database import open_db
    from tracker.papers import split
    from tracker.papers.compress import compress_raw
    from tracker.papers.evidence import evidence_level
    from tracker.papers.parse import parse_element
    from tracker.papers.store import save_records, storable

    if db_path.exists():
        db_path.unlink()
    db = open_db(db_path)
    spent = dict.fromkeys(["cut into runs", "libxml2 parse", "field extraction", "content hash", "rows",
                           "compression", "evidence level", "SQLite writes"], 0.0)
    count = 0
    clock = time.perf_counter
    with open(path, "rb") as handle, db.atomic():
        runs = split.record_runs(handle)
        while True:
            started = clock()
            run = next(runs, None)
            spent["cut into runs"] += clock() - started
            if run is None:
                break
            started = clock()
            spans = split.record_spans(run)
            spent["cut into runs"] += clock() - started
            started = clock()
            elements = list(etree.fromstring(b"<PubmedArticleSet>" + run + b"</PubmedArticleSet>", split._PARSER))
            spent["libxml2 parse"] += clock() - started
            stored = []
            for element, (start, end) in zip(elements, spans):
                started = clock()
                (record,) = parse_element(element, run[start:end])
                spent["field extraction"] += clock() - started
                started = clock()
                record.content_hash()
                spent["content hash"] += clock() - started
                raw, record.raw = record.raw, None
                started = clock()
                item = storable(record)  # rows, and the hash again (subtracted below)
                spent["rows"] += clock() - started
                started = clock()
                item.compressed = compress_raw(raw)
                spent["compression"] += clock() - started
                started = clock()
                level = evidence_level(record.paper.get("publication_types") or [],
                                       [m["descriptor"] for m in record.mesh], record.paper.get("title"),
                                       record.paper.get("abstract"))
                item.evidence = (level.level, level.basis)
                spent["evidence level"] += clock() - started
                stored.append(item)
            started = clock()
            save_records(db, stored)
            spent["SQLite writes"] += clock() - started
            count += len(stored)
    spent["rows"] -= spent["content hash"]
    return {"records": count, "stages": spent}


def rate(measured: dict) -> float:
    return measured["records"] / measured["seconds"]


def paired_ratio(ours: list, theirs: list) -> str:
    """The median of each run's ratio (ours and theirs measured side by side), with the lowest and highest."""
    ratios = [mine / other for mine, other in zip(ours, theirs)]
    if len(ratios) == 1:
        return f"{ratios[0]:.1f}x"
    return f"{statistics.median(ratios):.1f}x ({min(ratios):.1f}-{max(ratios):.1f})"


def run_child(kind: str, path: Path, db_path: Path, memory_gb: float | None) -> dict:
    """One measurement in a fresh process, so its peak memory is its own."""
    return in_child("load", ["--child", kind, str(path), str(db_path)], memory_gb)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workdir", type=Path, default=DATA)
    parser.add_argument("--entrez-memory-gb", type=float, default=16.0)
    parser.add_argument("--repeat", type=int, default=1, help="run each load and Bio.Entrez.read this many times, "
                        "interleaved, and report medians (default 1)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "FILE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, path, db_path = args.child
        measure = {"tracker": lambda: measure_tracker(Path(path), Path(db_path)),
                   "tracker-one-transaction": lambda: measure_tracker(Path(path), Path(db_path), True),
                   "parse": lambda: measure_parse(Path(path)),
                   "entrez": lambda: measure_entrez(Path(path)),
                   "lxml": lambda: measure_lxml(Path(path)),
                   "compress": lambda: measure_compress(Path(path)),
                   "stages": lambda: measure_stages(Path(path), Path(db_path))}[kind]
        print(json.dumps(measure()))
        return 0

    rows = []
    for size in args.sizes:
        path = records_file(size, args.workdir)
        mb = path.stat().st_size / 1024**2
        rounds = []  # (staged, one transaction, Bio.Entrez.read), interleaved so a slow spell hits all three
        for round_number in range(1, args.repeat + 1):
            said = f" (run {round_number} of {args.repeat})" if args.repeat > 1 else ""
            print(f"measuring tracker load on {size} records{said} ...", file=sys.stderr)
            ours = run_child("tracker", path, args.workdir / f"bench-{size}.db", None)
            print(f"  {ours}", file=sys.stderr)
            print(f"measuring tracker load in one transaction on {size} records{said} ...", file=sys.stderr)
            one_db = args.workdir / f"bench-{size}-one-transaction.db"
            one_transaction = run_child("tracker-one-transaction", path, one_db, None)
            for leftover in args.workdir.glob(one_db.name + "*"):
                leftover.unlink()
            print(f"  {one_transaction}", file=sys.stderr)
            print(f"measuring Bio.Entrez.read on {size} records{said} ...", file=sys.stderr)
            theirs = run_child("entrez", path, args.workdir / "unused.db", args.entrez_memory_gb)
            print(f"  {theirs}", file=sys.stderr)
            rounds.append((ours, one_transaction, theirs))
        print(f"measuring the tracker's parser alone on {size} records ...", file=sys.stderr)
        parse_only = run_child("parse", path, args.workdir / "unused.db", None)
        print(f"  {parse_only}", file=sys.stderr)
        print(f"measuring the floor (lxml alone, compression alone) on {size} records ...", file=sys.stderr)
        floors = (run_child("lxml", path, args.workdir / "unused.db", None),
                  run_child("compress", path, args.workdir / "unused.db", None))
        print(f"  {floors}", file=sys.stderr)
        print(f"measuring each stage of the fast path in one process on {size} records ...", file=sys.stderr)
        stages = run_child("stages", path, args.workdir / "stages.db", None)
        rows.append((size, mb, rounds, parse_only, floors, stages))

    print("| records | file MB | runs | tracker load rec/s | load / Entrez | in one transaction rec/s "
          "| one transaction / Entrez | load peak MB (writer / each parser) | parse only rec/s | parse peak MB "
          "| Bio.Entrez.read rec/s | Entrez peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    entrez_rates = {}
    for size, mb, rounds, parse_only, _, _ in rows:
        ours = [rate(staged) for staged, _, _ in rounds]
        one_transaction = [rate(one) for _, one, _ in rounds]
        theirs = [rate(entrez) for _, _, entrez in rounds if "failed" not in entrez]
        parse_rate = rate(parse_only)
        if len(theirs) < len(rounds):
            failed = next(entrez for _, _, entrez in rounds if "failed" in entrez)
            entrez_rate = entrez_peak = "failed: " + failed["failed"] + f" after {failed['seconds']:.0f} s"
            ratio = one_ratio = "n/a"
        else:
            entrez_rates[size] = statistics.median(theirs)
            entrez_rate = f"{entrez_rates[size]:,.0f}"
            entrez_peak = f"{max(entrez['peak_mb'] for _, _, entrez in rounds):,.0f}"
            ratio, one_ratio = paired_ratio(ours, theirs), paired_ratio(one_transaction, theirs)
        writer_peak = max(staged["peak_mb"] for staged, _, _ in rounds)
        workers_peak = max(staged["workers_peak_mb"] for staged, _, _ in rounds)
        print(f"| {size:,} | {mb:,.0f} | {len(rounds)} | {statistics.median(ours):,.0f} | {ratio} | "
              f"{statistics.median(one_transaction):,.0f} | {one_ratio} | {writer_peak:,.0f} / {workers_peak:,.0f} | "
              f"{parse_rate:,.0f} | {parse_only['peak_mb']:,.0f} | {entrez_rate} | {entrez_peak} |")

    print()
    print("What two steps every loader here must take cost alone, in the same run (no field extraction, no SQLite):")
    print("| records | lxml iterparse alone rec/s | zlib-1 of each record alone rec/s | both, one after the other | "
          "10x Bio.Entrez.read |")
    print("|---:|---:|---:|---:|---:|")
    for size, _, _, _, (lxml_only, compress_only), _ in rows:
        lxml_rate = rate(lxml_only)
        compress_rate = rate(compress_only)
        both = 1 / (1 / lxml_rate + 1 / compress_rate)
        target = f"{10 * entrez_rates[size]:,.0f}" if size in entrez_rates else "n/a"
        print(f"| {size:,} | {lxml_rate:,.0f} | {compress_rate:,.0f} | {both:,.0f} | {target} |")

    print()
    print("Each stage of `tracker load`'s fast path, microseconds per record (one process, no workers), beside "
          "lxml's bare streaming parse of the same file:")
    for size, _, _, _, (lxml_only, _), stages in rows:
        lxml_us = lxml_only["seconds"] / lxml_only["records"] * 1e6
        total = sum(stages["stages"].values()) / stages["records"] * 1e6
        print(f"\n{size:,} records:\n\n| stage | us per record | x lxml bare parse |\n|---|---:|---:|")
        for stage, seconds in stages["stages"].items():
            us = seconds / stages["records"] * 1e6
            print(f"| {stage} | {us:,.0f} | {us / lxml_us:.2f} |")
        print(f"| all stages | {total:,.0f} | {total / lxml_us:.2f} |")
        print(f"| lxml iterparse alone (floor) | {lxml_us:,.0f} | 1.00 |")
    return 0
