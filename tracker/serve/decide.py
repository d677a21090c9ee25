"""Deciding from the page: a person's stance, appended to db/curation.csv and loaded at once.

The curation file stays the source of truth: a decision made in the browser is one more line
at its end, in the format `tracker export curation` writes, and the database takes it the way
`tracker curate` does (the whole file loaded again). Nothing is written unless the server was
started with `tracker serve --decide`; off loopback, a password (stored only as a salted
PBKDF2 hash) is needed too. `tracker serve` hands these settings to Datasette's process in
environment variables, read here.
"""

from __future__ import annotations

import base64
import datetime
import fcntl
import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from ..core.database import connect
from ..core.errors import InputError
from ..core.files import open_output
from ..core.ids import as_pmid
from ..core.paths import curation_file
from ..core.vocabulary import STANCES
from ..link.curate import CurationLoad, append_decision, load_curation

ENABLED = "TRACKER_DECIDE"  # "1": the server takes decisions
CURATION_FILE = "TRACKER_DECIDE_CURATION"  # which curation file they go to
PASSWORD_HASH = "TRACKER_DECIDE_PASSWORD_HASH"  # pbkdf2_sha256$iterations$salt$hash
REVIEWER = "TRACKER_DECIDE_REVIEWER"  # the reviewer written when the form names none
ITERATIONS = 310_000  # OWASP's figure for PBKDF2-HMAC-SHA256
_LOCK = threading.Lock()  # one decision at a time within the server


@dataclass(frozen=True)
class Settings:
    enabled: bool
    curation: Path | None  # None: the database's own (paths.curation_file)
    password_hash: str | None
    reviewer: str


def settings(environ=os.environ) -> Settings:
    return Settings(environ.get(ENABLED) == "1", Path(environ[CURATION_FILE]) if environ.get(CURATION_FILE) else None,
                    environ.get(PASSWORD_HASH) or None, environ.get(REVIEWER) or "web")


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return "$".join(["pbkdf2_sha256", str(iterations), base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def check_password(password: str, hashed: str) -> bool:
    try:
        scheme, iterations, salt, digest = hashed.strip().split("$")
        if scheme != "pbkdf2_sha256":
            return False
        computed = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


def valid_hash(hashed: str) -> bool:
    parts = hashed.strip().split("$")
    return len(parts) == 4 and parts[0] == "pbkdf2_sha256" and parts[1].isdigit()


def record_decision(db_path: str | Path, curation: str | Path | None, claim_id: str, pmid: str, stance: str,
                    note: str = "", reviewer: str = "", today: str | None = None) -> CurationLoad:
    """Check the decision, append it to the curation file and load the file into the database."""
    stance = (stance or "").strip().lower()
    if stance not in STANCES:
        raise InputError(f"stance {stance!r} is not one of {', '.join(STANCES)}")
    number = as_pmid(str(pmid).strip())
    if number is None:
        raise InputError(f"{pmid!r} is not a PubMed id")
    db = connect(db_path)  # its writes take the write lock up front, waiting for a sync's page to commit
    try:
        if not db.execute("SELECT 1 FROM claims WHERE id = ?", [claim_id]).fetchone():
            raise InputError(f"no claim {claim_id!r} in the catalog")
        if not db.execute("SELECT 1 FROM papers WHERE pmid = ?", [number]).fetchone():
            raise InputError(f"PMID {number} is not in the database")
        row = {"claim_id": claim_id, "pmid": number, "stance": stance, "note": " ".join((note or "").split()),
               "reviewer": " ".join((reviewer or "").split()) or settings().reviewer,
               "date": today or datetime.date.today().isoformat()}
        curation = Path(curation) if curation else curation_file(db_path)
        with _LOCK, _folder_lock(curation.parent):
            before = curation.read_bytes() if curation.exists() else None
            decisions = append_decision(curation, row)
            try:
                return load_curation(db, decisions)
            except BaseException:  # the page says the decision was not recorded: the file must agree
                _put_back(curation, before)
                raise
    finally:
        db.close()


def _put_back(path: Path, content: bytes | None) -> None:
    """The curation file as it was before a decision that could not be loaded."""
    if content is None:
        path.unlink(missing_ok=True)
        return
    with open_output(path, newline="") as handle:
        handle.write(content.decode("utf-8"))


class _folder_lock:
    """An exclusive flock on the curation file's folder: two servers (or a server and a script
    using this) never interleave their appends. The file is replaced on each write, so the
    lock is taken on the folder, which stays."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.descriptor = os.open(self.folder, os.O_RDONLY)
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.descriptor, fcntl.LOCK_UN)
        os.close(self.descriptor)
