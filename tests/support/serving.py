"""A real `tracker serve` process on a database, for tests that need Datasette over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRACKER = [sys.executable, "-c", "from tracker.cli import cli; cli()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def tracker_serve(db: Path, *options: str, env: dict | None = None, output: Path | None = None):
    """Start `tracker serve` on `db` (with `options`, e.g. --decide), wait until it answers, yield its
    base URL, stop it. `output`: a file that keeps what the server printed."""
    port = free_port()
    sink = open(output, "wb") if output else subprocess.PIPE  # noqa: SIM115  (closed below)
    process = subprocess.Popen([*TRACKER, "--db", str(db), "serve", "--port", str(port), *options], cwd=REPO,
                               env={**os.environ, **(env or {})}, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/-/versions.json", timeout=1).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    said = process.stdout.read().decode() if process.stdout else Path(output).read_text()
                    raise AssertionError("tracker serve did not start: " + said[-2000:])
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if output:
            sink.close()


def get(path, url):
    """A page of the same Datasette `tracker serve` runs, through Datasette's own ASGI client (no server)."""
    from tracker.serve.datasette import make_datasette

    datasette = make_datasette(path, REPO / "db/metadata.yml", REPO / "db/templates")

    async def fetch():
        return await datasette.client.get(url)

    return asyncio.run(fetch())
