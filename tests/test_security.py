"""Attacks on the tracker, each reproduced against a local hostile server or a crafted file.

What a hostile server may send back, what a crafted file may hold, and what the tracker
guarantees against each (README, "Security"). Every attack here once got through, or is
one the tracker has always held and must go on holding.
"""

from __future__ import annotations

import sqlite3

import pytest

from .support.eutils_env import KEY, TERM
from .support.hostile import HostileServer, Reply, esearch_body
from .support.serving import get


def hostile_env(server, **extra):
    env = {"TRACKER_EUTILS_URL": server.url, "TRACKER_BACKOFF_SECONDS": "0.01", "TRACKER_MAX_RATE": "500",
           "NCBI_EMAIL": "tests@example.org", "NCBI_API_KEY": KEY}
    env.update(extra)
    return env


def everything_visible(run, db_path, result) -> str:
    """What a user or a page can see after a run: its output, the database, `tracker status`, the runs' pages."""
    seen = [result.output]
    with sqlite3.connect(db_path) as connection:
        seen += list(connection.iterdump())
    seen.append(run("status").output)
    for table in ("sync_runs", "job_runs"):
        seen.append(get(db_path, f"/tracker/{table}").text)
    return "\n".join(seen)


# ------------------------------------------------------------------ 1. the API key


def test_a_key_echoed_in_a_permanent_error_is_shown_nowhere(run, db_path):
    def answer(request):
        return Reply(body=f"<eSearchResult><ERROR>API key invalid: {KEY}</ERROR></eSearchResult>".encode())

    with HostileServer(answer) as server:
        result = run("sync", "--term", TERM, "--search", "kratom", env=hostile_env(server))
        assert result.exit_code == 1
        assert "API key invalid" in result.output  # the error itself is still told
    assert KEY not in everything_visible(run, db_path, result)


def test_a_key_echoed_by_the_scheduled_job_is_not_in_job_runs(run, db_path, tmp_path):
    searches = tmp_path / "searches.yml"
    searches.write_text(f"searches:\n  - name: kratom\n    term: '{TERM}'\n", encoding="utf-8")

    def answer(request):
        return Reply(body=f"<eSearchResult><ERROR>API key invalid: {KEY}</ERROR></eSearchResult>".encode())

    with HostileServer(answer) as server:
        result = run("job", "--searches", searches, "--log", tmp_path / "sync.log", "--digests", tmp_path / "d",
                     "--no-semantic", env=hostile_env(server))
    assert result.exit_code != 0
    visible = everything_visible(run, db_path, result)
    assert "job_runs" in visible and KEY not in visible
    assert KEY not in (tmp_path / "sync.log").read_text()


def test_a_key_echoed_in_a_warning_or_in_escaped_form_is_not_stored(run, db_path):
    escaped = "".join(f"&#{ord(c)};" for c in KEY)

    def answer(request):
        return Reply(body=esearch_body(0, f"<WarningList><OutputMessage>No items found for {KEY}</OutputMessage>"
                                          f"<QuotedPhraseNotFound>{escaped}</QuotedPhraseNotFound></WarningList>"))

    with HostileServer(answer) as server:
        result = run("sync", "--term", TERM, "--search", "kratom", env=hostile_env(server))
    assert result.exit_code == 0, result.output
    visible = everything_visible(run, db_path, result)
    assert "No items found for" in visible  # the warning is kept, the key is not
    assert KEY not in visible


@pytest.mark.parametrize("status", [307, 308, 302])
def test_a_redirect_to_another_origin_is_not_followed_and_gets_no_key(run, db_path, status):
    with HostileServer(lambda request: Reply(body=b"<eSearchResult/>")) as elsewhere:
        def answer(request):
            return Reply(status=status, headers={"Location": elsewhere.url + "esearch.fcgi"})

        with HostileServer(answer) as server:
            result = run("sync", "--term", TERM, "--search", "kratom", env=hostile_env(server))
            assert server.seen and KEY.encode() in server.seen[0].body  # the key went to the configured server
    assert elsewhere.seen == []
    assert result.exit_code == 1
    assert "redirected" in result.output and f"127.0.0.1:{elsewhere.port}" in result.output
    assert KEY not in result.output


def test_a_redirect_within_the_same_server_is_followed(run, db_path):
    def answer(request):
        if request.path.startswith("/old/"):
            return Reply(status=307, headers={"Location": "/entrez/eutils/esearch.fcgi"})
        return Reply(body=esearch_body(0))

    with HostileServer(answer) as server:
        env = hostile_env(server, TRACKER_EUTILS_URL=server.origin + "/old/")
        result = run("sync", "--term", TERM, "--search", "kratom", env=env)
    assert result.exit_code == 0, result.output
    assert [s.path for s in server.seen][:2] == ["/old/esearch.fcgi", "/entrez/eutils/esearch.fcgi"]
