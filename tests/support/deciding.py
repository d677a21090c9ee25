"""The nightly job while people decide: what `tracker job` (scripts/sync) meets in use.

One round: a database with the claim catalog, the starter decisions and links is served by a real
`tracker serve --decide` (its decisions file beside it, as by default); the nightly job runs
against the local E-utilities server, which serves `records` real records re-issued under PMIDs
from 900000001 up; meanwhile one person decides from the claim pages (a decision every
`decide_every` seconds, each on a pair nobody decided yet) and another reads the home, claim,
search and papers pages. Pages are also read for `before_s` seconds before the job starts, so their
latency before and during the job comes from the same run.

Used by tests/test_deciding.py (a few hundred records) and `tracker bench decide` (thousands, N
times in a row).
"""

from __future__ import annotations

import csv
import http.cookiejar
import itertools
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import copies, metapub_records
from .eutils_env import TERM, env_for
from .fake_eutils import FakeEutils
from .serving import REPO, TRACKER, tracker_serve

DB_NAME = "tracker"  # Datasette names the database after its file
PAGES = {
    "home": "/",
    "claim": f"/{DB_NAME}/claims/liver-protective",
    "search": "/-/tracker/search?q=hepatotoxicity",
    "papers": f"/{DB_NAME}/papers",
}
STANCES = ("supports", "contradicts", "mentions", "unrelated")
SEARCHES = f"""searches:
  - name: kratom
    description: the local E-utilities server's records
    term: '{TERM}'
"""


@dataclass
class Decision:
    claim_id: str
    pmid: int
    stance: str
    at: float  # seconds since the job started (negative: before it)
    status: int | None = None  # HTTP status of the POST (303 when recorded)
    location: str = ""
    error: str = ""

    @property
    def answered_ok(self) -> bool:
        return self.status == 303 and "decided=" in self.location and not self.error


@dataclass
class Round:
    """What one round saw."""

    records: int
    job_exit: int | None = None
    job_seconds: float = 0.0
    job_output: str = ""
    job_log: str = ""
    serve_output: str = ""
    decisions: list[Decision] = field(default_factory=list)
    reads: list[tuple[str, str, float, int]] = field(default_factory=list)  # (when, page, seconds, status)
    read_errors: list[str] = field(default_factory=list)
    stored_records: int = 0
    runs_left_running: dict = field(default_factory=dict)
    decisions_in_db: set = field(default_factory=set)
    decisions_in_file: set = field(default_factory=set)
    stage_windows: dict = field(default_factory=dict)  # stage -> (start, end) seconds since the job started

    def problems(self) -> list[str]:
        """Everything that went wrong, in words; empty when the round passed."""
        found = []
        if self.job_exit != 0:
            found.append(f"the job exited {self.job_exit}: {self.job_output[-500:]}")
        if self.stored_records != self.records:
            found.append(f"{self.stored_records} of the {self.records} records served are stored")
        failed = [d for d in self.decisions if not d.answered_ok]
        if failed:
            found.append(f"{len(failed)} of {len(self.decisions)} decisions not recorded: "
                         + "; ".join(f"{d.claim_id}/{d.pmid}: {d.status} {d.error}" for d in failed[:3]))
        pairs = {(d.claim_id, d.pmid, d.stance) for d in self.decisions}
        if pairs - self.decisions_in_db:
            found.append(f"{len(pairs - self.decisions_in_db)} decisions missing from the database")
        if pairs - self.decisions_in_file:
            found.append(f"{len(pairs - self.decisions_in_file)} decisions missing from the curation file")
        if any(self.runs_left_running.values()):
            found.append(f"runs left 'running': {self.runs_left_running}")
        for name, text in (("job output", self.job_output), ("job log", self.job_log),
                           ("server output", self.serve_output)):
            if "Traceback" in text or "database is locked" in text:
                block = text[text.find("Traceback"):][:4000]
                found.append(f"{name}: ... {block[-700:]}")  # the end of a traceback says what went wrong
        if self.read_errors:
            found.append(f"{len(self.read_errors)} page reads failed: {self.read_errors[:3]}")
        return found

    def latencies(self, when: str) -> dict[str, list[float]]:
        by_page: dict[str, list[float]] = {name: [] for name in PAGES}
        for moment, page, seconds, _ in self.reads:
            if moment == when:
                by_page[page].append(seconds)
        return by_page

    def decisions_during(self, stage: str) -> int:
        start, end = self.stage_windows.get(stage, (None, None))
        if start is None:
            return 0
        return sum(1 for d in self.decisions if start <= d.at <= end)


def tracker(db: Path, *args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*TRACKER, "--db", str(db), *map(str, args)], cwd=REPO, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, **kwargs)


def base_database(folder: Path) -> Path:
    """The catalog, the starter decisions and links on the starter bibliography: what a person decides on."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"{DB_NAME}.db"
    for command in (["init"], ["claims", "load"], ["curate", REPO / "db" / "curation.csv"], ["link", "--no-semantic"]):
        done = tracker(db, *command)
        assert done.returncode == 0, done.stderr
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    connection.close()
    return db


def undecided_pairs(db: Path) -> list[tuple[str, int]]:
    """Candidate pairs no one decided, claim by claim in turn (a person works through several claims)."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("""
            SELECT l.claim_id, l.pmid FROM claim_papers l
            WHERE NOT EXISTS (SELECT 1 FROM curation c WHERE c.claim_id = l.claim_id AND c.pmid = l.pmid)
            ORDER BY l.claim_id, l.rank""").fetchall()
    finally:
        connection.close()
    by_claim: dict[str, list] = {}
    for claim_id, pmid in rows:
        by_claim.setdefault(claim_id, []).append((claim_id, pmid))
    interleaved = itertools.zip_longest(*by_claim.values())
    return [pair for group in interleaved for pair in group if pair]


class Person:
    """A browser session: a cookie jar, the CSRF token of the pages' forms."""

    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())
        self.token = None

    def get(self, path: str, timeout: float = 60) -> tuple[int, str]:
        with self.opener.open(self.url + path, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")

    def decide(self, decision: Decision) -> None:
        status, page = self.get(f"/{DB_NAME}/claims/{urllib.parse.quote(decision.claim_id)}")
        token = re.search(r'name="csrftoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            decision.status, decision.error = status, "the claim page has no decision form"
            return
        form = urllib.parse.urlencode({"csrftoken": token.group(1), "claim_id": decision.claim_id,
                                       "pmid": decision.pmid, "stance": decision.stance, "note": "stress",
                                       "next": f"/{DB_NAME}/claims/{decision.claim_id}"}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.url + "/-/tracker/decide", data=form),
                                  timeout=120) as response:
                decision.status = response.status
        except urllib.error.HTTPError as answer:  # the 303 (not followed) and any error
            decision.status = answer.code
            decision.location = answer.headers.get("Location", "")
            if answer.code != 303:
                decision.error = answer.read().decode("utf-8", "replace")[-300:]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 303 is the answer looked at


def _read_pages(url: str, seen: Round, moment: str, stop: threading.Event, limit_s: float | None = None) -> None:
    reader = Person(url)
    names = itertools.cycle(PAGES)
    ended = time.monotonic() + limit_s if limit_s else None
    while not stop.is_set() and (ended is None or time.monotonic() < ended):
        name = next(names)
        started = time.perf_counter()
        try:
            status, _ = reader.get(PAGES[name])
            seen.reads.append((moment, name, time.perf_counter() - started, status))
        except Exception as error:  # noqa: BLE001  (every failure is what the round reports)
            seen.read_errors.append(f"{name}: {error}")


def run_round(workdir: Path, base: Path, records: int, decide_every: float, before_s: float = 3.0,
              semantic: bool = False, job_timeout_s: float = 900) -> Round:
    """One round in `workdir` (a copy of `base`), returning what it saw."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / base.name
    shutil.copy(base, db)
    (workdir / "searches.yml").write_text(SEARCHES, encoding="utf-8")
    serve_log = workdir / "serve.log"
    seen = Round(records)
    pairs = iter(undecided_pairs(db))
    with FakeEutils() as fake:
        fake.add(TERM, copies(metapub_records(), records))
        env = env_for(fake)
        with tracker_serve(db, "--decide", "--reviewer", "stress", output=serve_log) as url:
            stop = threading.Event()
            _read_pages(url, seen, "before", stop, limit_s=before_s)  # pages before the job, alone
            person = Person(url)
            started = time.monotonic()
            job = subprocess.Popen([*TRACKER, "--db", str(db), "job", "--setup", "if-new",
                                    "--searches", str(workdir / "searches.yml"),
                                    "--semantic" if semantic else "--no-semantic"],
                                   cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
            reader = threading.Thread(target=_read_pages, args=(url, seen, "during", stop))
            reader.start()
            try:
                while job.poll() is None:
                    pair = next(pairs, None)
                    if pair is None:
                        break
                    decision = Decision(pair[0], pair[1], STANCES[len(seen.decisions) % len(STANCES)],
                                        time.monotonic() - started)
                    seen.decisions.append(decision)
                    try:
                        person.decide(decision)
                    except Exception as error:  # noqa: BLE001
                        decision.error = f"{type(error).__name__}: {error}"
                    time.sleep(max(0.0, decision.at + decide_every - (time.monotonic() - started)))
                seen.job_output, _ = job.communicate(timeout=job_timeout_s)
            finally:
                if job.poll() is None:
                    job.kill()
                stop.set()
                reader.join()
            seen.job_exit = job.returncode
            seen.job_seconds = time.monotonic() - started
        seen.serve_output = serve_log.read_text(encoding="utf-8", errors="replace")
    log = workdir / "logs" / "sync.log"
    seen.job_log = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    _after(db, seen, started_wall=time.time() - seen.job_seconds)
    return seen


def _after(db: Path, seen: Round, started_wall: float) -> None:
    connection = sqlite3.connect(db)
    try:
        seen.stored_records = connection.execute(
            "SELECT count(*) FROM papers WHERE pmid > 900000000 AND is_seed = 0").fetchone()[0]
        seen.runs_left_running = {table: connection.execute(
            f"SELECT count(*) FROM {table} WHERE status = 'running'").fetchone()[0]
            for table in ("sync_runs", "link_runs", "job_runs")}
        seen.decisions_in_db = {tuple(row) for row in connection.execute("SELECT claim_id, pmid, stance FROM curation")}
        for stage, sql in (("sync", "SELECT min(started_at), max(finished_at) FROM sync_runs"),
                           ("link", "SELECT min(started_at), max(finished_at) FROM link_runs WHERE id > 1")):
            start, end = connection.execute(sql).fetchone()
            if start and end:
                seen.stage_windows[stage] = (_since(start, started_wall), _since(end, started_wall) + 1)
    finally:
        connection.close()
    with open(db.parent / "curation.csv", encoding="utf-8", newline="") as handle:
        seen.decisions_in_file = {(row["claim_id"], int(row["pmid"]), row["stance"]) for row in csv.DictReader(handle)}


def _since(stamp: str, started_wall: float) -> float:
    """A stored UTC time (to the second) as seconds since the job started."""
    import calendar

    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")) - started_wall

