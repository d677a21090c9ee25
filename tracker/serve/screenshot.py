"""A picture of a page as a reader sees it: `tracker serve` on the database, the page taken by Debian's
Chromium in headless mode. `tracker docs screenshot` makes README's picture of the claim page with it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from pathlib import Path

from ..core.errors import TrackerError
from ..core.files import check_writable
from .process import served

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def find_chromium() -> str:
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    raise TrackerError("no Chromium found (looked for " + ", ".join(BROWSERS) + "): install it "
                       "(`apt-get install chromium` on Debian) and run the command again")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, from its header; an error if it is not one."""
    head = path.read_bytes()[:24]
    if len(head) < 24 or not head.startswith(PNG_SIGNATURE):
        raise TrackerError(f"{path} is not a PNG image")
    return struct.unpack(">II", head[16:24])


def claim_page(db: Path, claim_id: str) -> str:
    """The claim page's address under a server's base URL; an error if the database lacks the claim."""
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            found = connection.execute("SELECT 1 FROM claims WHERE id = ?", [claim_id]).fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise TrackerError(f"cannot read claims from {db} ({error}): build it first with scripts/run") from None
    if not found:
        raise TrackerError(f"{db} has no claim {claim_id!r}: load the catalog (scripts/run or "
                           "`tracker claims load`) or name another with --claim")
    return f"/{db.stem}/claims/{claim_id}"  # Datasette names a database after its file


def screenshot(db: Path, page: str, out: Path, width: int = 1280, height: int = 1500, timeout_s: float = 90) -> Path:
    """Serve `db`, take `page` (a path under the server) at width x height pixels, write a PNG to `out`.
    The picture replaces `out` only once it is whole."""
    browser = find_chromium()
    check_writable(out)
    with served(db) as url, tempfile.TemporaryDirectory(prefix="tracker-shot-") as work:
        taken = Path(work) / "page.png"
        flags = ["--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update", f"--user-data-dir={work}/profile",
                 f"--window-size={width},{height}", f"--screenshot={taken}"]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
        try:
            done = subprocess.run([browser, *flags, url + page], capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise TrackerError(f"Chromium took over {timeout_s:.0f} s to take {page}; nothing was written") from None
        if done.returncode != 0 or not taken.exists():
            said = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise TrackerError(f"Chromium could not take {page} (exit {done.returncode}: {said}); nothing was written")
        png_size(taken)
        shutil.copyfile(taken, out.with_name(f".{out.name}.partial"))
        os.replace(out.with_name(f".{out.name}.partial"), out)
    return out
