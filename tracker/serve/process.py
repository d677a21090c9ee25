"""`tracker serve` in a process of its own, for what needs the pages over HTTP: the screenshot command,
the benchmarks and the tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ..core.errors import TrackerError

CODE = Path(__file__).resolve().parents[2]  # the source tree this module is part of
# The tracker's CLI as a process of this interpreter; run with cwd set to a source tree, that tree's code runs.
TRACKER_COMMAND = [sys.executable, "-c", "from tracker.cli import cli; cli()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(db: Path, *options: str, code: Path = CODE, env: dict | None = None, output: Path | None = None,
           start_s: float = 60):
    """Start `tracker serve` on `db` (with `options`, e.g. --decide) from the source tree `code`, wait until
    it answers, yield its base URL, stop it. `output`: a file that keeps what the server printed (else it is
    shown only if the server does not start)."""
    port = free_port()
    sink = open(output, "wb") if output else subprocess.PIPE  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [*TRACKER_COMMAND, "--db", str(db), "serve", "--port", str(port), *options], cwd=code, env={**os.environ, **(env or {})}, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_s
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/-/versions.json", timeout=1).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    said = process.stdout.read().decode() if process.stdout else Path(output).read_text()
                    raise TrackerError(f"tracker serve did not start on {db}: {said[-2000:]}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if output:
            sink.close()
