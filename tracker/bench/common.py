"""What the benchmarks share: where the checkout and its data are, the records they are built from,
databases of N papers, the tracker run as a process, a child process that reports JSON, percentiles.

Benchmarks are run from a checkout of the project: they build their records from the real fixture
records in tests/fixtures (tests/support/corpus.py, the same code the tests use) and read the
benchmark datasets in ../shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ..core.errors import TrackerError
from ..serve.process import TRACKER_COMMAND

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench-data"  # built files and databases, kept between runs (git ignores it)
SHARED = ROOT.parent / "shared"


def checkout() -> Path:
    """The checkout's root, with tests/support importable; a clear error outside a checkout."""
    if not (ROOT / "tests" / "support" / "corpus.py").is_file():
        raise TrackerError(f"the benchmarks run from a checkout of the project (they build their records with "
                           f"tests/support, which {ROOT} does not have); clone the project and run them there")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return ROOT


def shared_folder(path: Path | None = None) -> Path:
    """../shared (or `path`), which holds the benchmark datasets; a clear error when it is missing."""
    folder = path or SHARED
    if not (folder / "benchmarks").is_dir():
        raise TrackerError(f"no benchmark datasets at {folder / 'benchmarks'}: put the project's shared folder "
                           f"beside the checkout, or pass --shared DIR")
    return folder


def tracker_command(db: Path) -> list[str]:
    """`tracker --db DB` as a process of this interpreter (run with cwd set to the code to measure)."""
    return [*TRACKER_COMMAND, "--db", str(db)]


def records_file(size: int, workdir: Path = DATA) -> Path:
    """A PubMed XML file of `size` real records re-issued under PMIDs from 900000001 up, built once."""
    checkout()
    from tests.support.corpus import XML_HEAD, XML_TAIL, copies, metapub_records

    path = workdir / f"pubmed-{size}.xml"
    if path.exists():
        return path
    print(f"building {path} ...", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = metapub_records()
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as handle:
        handle.write(XML_HEAD)
        for start in range(0, size, 5000):  # in slices, so building stays small in memory
            for record in copies(source, min(5000, size - start), start):
                handle.write(record.xml + b"\n")
        handle.write(XML_TAIL)
    partial.rename(path)
    return path


def stored_database(size: int) -> Path:
    """A database holding `size` such records, stored with `tracker load`; built once, then copied."""
    target = DATA / f"link-{size}.db"
    if target.exists():
        return target
    loaded = DATA / f"bench-{size}.db"  # left by `tracker bench load`
    if not loaded.exists():
        subprocess.run(tracker_command(loaded) + ["load", "--quiet", str(records_file(size))], check=True, cwd=ROOT)
    partial = target.with_suffix(".partial")
    shutil.copyfile(loaded, partial)
    partial.rename(target)
    return target


def linked_database(size: int) -> Path:
    """A copy of the stored database with the claims, articles and decisions loaded and every claim linked
    (a copy: `tracker bench link` measures a first link on the stored one)."""
    path = DATA / f"linked-{size}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        shutil.copyfile(stored_database(size), partial)
        partial.rename(path)
    for command in (["claims", "load", "db/claims.yml"], ["articles", "add", "db/articles"],
                    ["curate", "db/curation.csv"], ["link", "--no-semantic", "--quiet"]):
        subprocess.run(tracker_command(path) + command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return path


def in_child(name: str, args: list[str], memory_gb: float | None = None) -> dict:
    """Run `tracker bench NAME ARGS` in a fresh process (its own peak memory, under an optional cap) and
    return the JSON object its last line prints; {"failed": its last error line, "seconds": ...} if it fails."""
    command = [sys.executable, "-m", "tracker.bench", name, *args]

    def limit():
        if memory_gb:
            cap = int(memory_gb * 1024**3)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, preexec_fn=limit, cwd=ROOT)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"failed": last[:120], "seconds": time.perf_counter() - started}
    return json.loads(done.stdout.strip().splitlines()[-1])


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else float("nan")


def timed_get(url: str) -> float:
    """Seconds to read the whole page at `url`; an error for anything but 200."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - started



def one_file_options(description: str, default_records: int, argv) -> tuple[argparse.Namespace, Path]:
    """The options of a benchmark measured on one built file (--records, --workdir), and that file."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=default_records, help=f"records in the file (default "
                        f"{default_records:,})")
    parser.add_argument("--workdir", type=Path, default=DATA, help="where built files and databases are kept "
                        "(default bench-data/ in the checkout)")
    args = parser.parse_args(argv)
    return args, records_file(args.records, args.workdir)
