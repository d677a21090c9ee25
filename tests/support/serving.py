"""A real `tracker serve` process on a database, for tests that need Datasette over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from tracker.serve.process import TRACKER_COMMAND, served

REPO = Path(__file__).resolve().parents[2]
TRACKER = TRACKER_COMMAND  # the tracker CLI as a process


@contextlib.contextmanager
def tracker_serve(db: Path, *options: str, env: dict | None = None, output: Path | None = None):
    """Start `tracker serve` on `db` (with `options`, e.g. --decide), wait until it answers, yield its
    base URL, stop it. `output`: a file that keeps what the server printed."""
    with served(db, *options, code=REPO, env=env, output=output, start_s=30) as url:
        yield url


def get(path, url):
    """A page of the same Datasette `tracker serve` runs, through Datasette's own ASGI client (no server)."""
    from tracker.serve.datasette import make_datasette

    datasette = make_datasette(path, REPO / "db/metadata.yml", REPO / "db/templates")

    async def fetch():
        return await datasette.client.get(url)

    return asyncio.run(fetch())
