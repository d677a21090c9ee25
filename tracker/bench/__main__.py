"""python -m tracker.bench NAME [OPTIONS]: the same as `tracker bench NAME [OPTIONS]`."""

import sys

from . import BENCHMARKS, run

if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
    print("usage: python -m tracker.bench NAME [OPTIONS]\n\nbenchmarks:", file=sys.stderr)
    for name, what in BENCHMARKS.items():
        print(f"  {name:10} {what}", file=sys.stderr)
    sys.exit(2)
sys.exit(run(sys.argv[1], sys.argv[2:]))
