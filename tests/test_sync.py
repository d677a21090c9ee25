"""`tracker sync` against a local server that behaves like E-utilities."""

from datetime import date, timedelta

import pytest

from .support.corpus import copies, records_in
from .support.eutils_env import KEY, TERM, env_for


def sync(run, fake, *args, fast=True, **extra):
    return run("sync", "--term", TERM, "--search", "kratom", *args, env=env_for(fake, fast, **extra))


def stored(db_path):
    import sqlite_utils

    db = sqlite_utils.Database(db_path)
    return db


def test_full_sync_stores_every_record_once(run, fake, records, db_path):
    fake.add(TERM, records)
    result = sync(run, fake)
    assert result.exit_code == 0, result.output
    db = stored(db_path)
    assert db["papers"].count == len(records) == 164
    assert db.execute("select count(distinct pmid) from papers").fetchone()[0] == 164
    assert db["search_results"].count_where("search = 'kratom'") == 164
    run_row = db.execute("select status, mode, found, fetched, new, requests from sync_runs").fetchone()
    assert run_row == ("ok", "full", 164, 164, 164, 2)  # one esearch, one efetch page of 200
    assert "kratom (full): 164 found, 164 fetched: 164 new" in result.output
    # Every request carried tool and email, and was paged through the history server.
    fetches = fake.requests("efetch")
    assert all(e.params["tool"] == "kratom-claims-tracker" and e.params["email"] == "tests@example.org" for e in fake.requests())
    assert all("WebEnv" in e.params and e.params["query_key"] == "1" for e in fetches)


def test_rerun_adds_nothing_and_costs_two_requests(run, fake, records, db_path):
    fake.add(TERM, records)
    assert sync(run, fake).exit_code == 0
    before = len(fake.requests())
    result = sync(run, fake)
    assert result.exit_code == 0, result.output
    assert len(fake.requests()) - before == 2  # the CRDT window and the MDAT window, both empty
    db = stored(db_path)
    last = db.execute("select mode, new, updated, requests from sync_runs order by id desc").fetchone()
    assert last == ("incremental", 0, 0, 2)
    assert db["papers"].count == 164


def test_incremental_sync_finds_new_and_revised_records(run, fake, fixtures, db_path):
    old_version = records_in(fixtures / "biopython_entrez/title_with_html_tags.xml")[0]
    fake.add(TERM, [old_version])
    assert sync(run, fake).exit_code == 0
    today = date.today()
    # A real later version of the same PMID, revised today; and a record created today.
    new_version = records_in(fixtures / "biopython_entrez/pubmed4.xml")[0]
    new_version.modified = today
    fake.replace(new_version)
    newcomer = records_in(fixtures / "biopython_entrez/pubmed7.xml")[0]
    newcomer.created = newcomer.modified = today
    fake.add(TERM, [newcomer])
    result = sync(run, fake)
    assert result.exit_code == 0, result.output
    db = stored(db_path)
    last = db.execute("select mode, found, new, updated from sync_runs order by id desc").fetchone()
    assert last == ("incremental", 2, 1, 1)
    searches = [e.params for e in fake.requests("esearch")][-2:]
    assert [p["datetype"] for p in searches] == ["crdt", "mdat"]
    since = (today - timedelta(days=3)).strftime("%Y/%m/%d")
    assert all(p["mindate"] == since for p in searches)
    assert "NOT (" in searches[1]["term"]  # revised-only, so the new record is fetched once
    assert len(fake.requests("efetch")) == 1 + 2


def test_since_and_full_override_incremental(run, fake, records, db_path):
    fake.add(TERM, records)
    assert sync(run, fake).exit_code == 0
    result = sync(run, fake, "--since", "2024-01-01")
    assert result.exit_code == 0, result.output
    params = fake.requests("esearch")[-2].params
    assert (params["datetype"], params["mindate"]) == ("crdt", "2024/01/01")
    assert sync(run, fake, "--full").exit_code == 0
    db = stored(db_path)
    assert db.execute("select mode, unchanged from sync_runs order by id desc").fetchone() == ("full", 164)


def test_rate_never_exceeded_without_a_key(run, fake, records):
    fake.add(TERM, records)
    env = env_for(fake, fast=False)  # the fake server answers 429 above 3 a second, as NCBI does
    for name in ("a", "b", "c", "d"):  # separate runs share the one process-wide limiter
        result = run("sync", "--term", TERM, "--search", name, "--batch-size", 50, env=env)
        assert result.exit_code == 0, result.output
    assert len(fake.requests()) == 4 * (1 + 4)
    assert fake.max_in_one_second() <= 3
    assert all(e.status != 429 for e in fake.requests())


def test_rate_with_a_key_is_ten_per_second(run, fake, records):
    fake.add(TERM, records)
    env = env_for(fake, fast=False, NCBI_API_KEY=KEY)
    fake.state.rate_limit = 10
    for name in ("a", "b", "c"):
        result = run("sync", "--term", TERM, "--search", name, "--batch-size", 20, env=env)
        assert result.exit_code == 0, result.output
    assert len(fake.requests()) == 3 * (1 + 9)
    assert 4 <= fake.max_in_one_second() <= 10  # faster than without a key, never above 10
    assert all(e.status != 429 for e in fake.requests())
    assert all(e.params.get("api_key") == KEY for e in fake.requests())


@pytest.mark.parametrize(
    "endpoint, kind",
    [
        ("esearch", "429"),
        ("esearch", "error-field"),
        ("esearch", "html"),
        ("esearch", "truncate"),
        ("efetch", "429"),
        ("efetch", "500"),
        ("efetch", "502"),
        ("efetch", "503"),
        ("efetch", "drop"),
        ("efetch", "truncate"),
        ("efetch", "html"),
        ("efetch", "json"),
        ("efetch", "error-field"),
        ("efetch", "slow"),
    ],
)
def test_retries_recover(run, fake, records, db_path, endpoint, kind):
    fake.add(TERM, records)
    fake.fault(endpoint, kind, times=2)
    result = run("sync", "--term", TERM, "--search", "kratom", env=env_for(fake, TRACKER_TIMEOUT_SECONDS="0.5"))
    assert result.exit_code == 0, result.output
    db = stored(db_path)
    assert db["papers"].count == 164
    assert db.execute("select status, fetched from sync_runs").fetchone() == ("ok", 164)
    assert len(fake.requests(endpoint)) == 2 + 1  # two failures, then success


def test_retry_after_is_honoured(run, fake, records):
    fake.add(TERM, records)
    fake.fault("efetch", "429", times=1, retry_after="1")
    assert sync(run, fake).exit_code == 0
    fetches = fake.requests("efetch")
    assert fetches[1].at - fetches[0].at >= 0.95


def test_failure_after_retries_keeps_batches_and_next_run_completes(run, fake, records, db_path):
    fake.add(TERM, records)
    env = env_for(fake)
    fake.fault("efetch", "500", times=-1, after=2)  # two pages of 50 arrive, then every try fails
    result = run("sync", "--term", TERM, "--search", "kratom", "--batch-size", 50, env=env)
    assert result.exit_code == 1
    assert "efetch.fcgi failed after 6 tries" in result.output
    assert "Everything fetched before this was kept" in result.output
    db = stored(db_path)
    assert db["papers"].count == 100  # two whole pages of 50
    assert db["search_results"].count == 100
    failed = db.execute("select status, fetched, error from sync_runs").fetchone()
    assert failed[0] == "failed" and failed[1] == 100 and "HTTP 500" in failed[2]
    fake.clear_faults()
    # No successful run yet, so the next one is full again: it finishes the job, storing nothing twice.
    result = run("sync", "--term", TERM, "--search", "kratom", "--batch-size", 50, env=env)
    assert result.exit_code == 0, result.output
    assert db["papers"].count == 164
    assert db.execute("select status, new, unchanged from sync_runs order by id desc").fetchone() == ("ok", 64, 100)


def test_queries_over_the_cap_are_split_into_date_windows(run, fake, records, db_path):
    # More matches than ESearch's 9,999 cap: real records copied under PMIDs from 900000001 up.
    many = copies(records, 10_050)
    start = date(2020, 1, 1)
    for index, record in enumerate(many):
        record.created = record.modified = start + timedelta(days=index % 1500)
    fake.add(TERM, many)
    result = run("sync", "--term", TERM, "--search", "big", env=env_for(fake))
    assert result.exit_code == 0, result.output
    db = stored(db_path)
    assert db["papers"].count == 10_050
    assert db["search_results"].count_where("search = 'big'") == 10_050
    searches = fake.requests("esearch")
    assert len(searches) >= 3  # the whole query, then windows
    assert all(int(e.params.get("retstart", 0)) < 9999 for e in fake.requests())
    windows = db.execute("select windows, found, fetched from sync_runs").fetchone()
    assert windows[1] == windows[2] == 10_050


def test_one_day_over_the_cap_is_a_clear_error(run, fake, records, db_path):
    many = copies(records, 10_000)
    for record in many:
        record.created = record.modified = date(2024, 5, 1)
    fake.add(TERM, many)
    result = run("sync", "--term", TERM, "--search", "big", env=env_for(fake))
    assert result.exit_code == 1
    assert "single day 2024-05-01" in result.output and "cap of 9999" in result.output
    assert stored(db_path)["papers"].count == 0


def test_api_key_never_leaks(run, fake, records, db_path, tmp_path, caplog):
    fake.add(TERM, records)
    fake.fault("efetch", "500", times=-1)
    env = env_for(fake, NCBI_API_KEY=KEY)
    result = run("sync", "--term", TERM, "--search", "kratom", env=env)
    assert result.exit_code == 1
    assert KEY not in result.output
    assert "retrying" in caplog.text and KEY not in caplog.text  # the retry log lines
    # The key went in POST bodies only, never in a URL.
    assert all(e.method == "POST" and KEY not in e.query for e in fake.requests())
    assert any(e.params.get("api_key") == KEY for e in fake.requests())
    dump = "\n".join(stored(db_path).iterdump())
    assert KEY not in dump


def test_unreachable_pubmed_exits_3_with_one_line(run, db_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    env = {"TRACKER_EUTILS_URL": f"http://127.0.0.1:{port}/", "TRACKER_BACKOFF_SECONDS": "0.01"}
    result = run("sync", "--term", TERM, env=env)
    assert result.exit_code == 3
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "PubMed could not be reached" in lines[0]


def test_saved_searches_file(run, fake, records, tmp_path):
    searches = tmp_path / "searches.yml"
    searches.write_text(f"searches:\n  - name: kratom\n    term: '{TERM}'\n", encoding="utf-8")
    fake.add(TERM, records)
    result = run("sync", "--searches", searches, env=env_for(fake))
    assert result.exit_code == 0, result.output
    result = run("sync", "--searches", searches, "--search", "nope", env=env_for(fake))
    assert result.exit_code == 1 and "no saved search named 'nope'" in result.output
