"""Attacks on the tracker, each reproduced against a local hostile server or a crafted file.

What a hostile server may send back, what a crafted file may hold, and what the tracker
guarantees against each (README, "Security"). Every attack here once got through, or is
one the tracker has always held and must go on holding.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli as main
from tracker.link.curate import read_curation

from .support.built import REPO, built  # noqa: F401  (a fixture)
from .support.eutils_env import KEY, TERM
from .support.hostile import HostileServer, Reply, elapsed, esearch_body
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


# ------------------------------------------------------------------ 2. spreadsheet formulas in exports

FORMULA = '=HYPERLINK("http://127.0.0.1:9/?leak","open")'
STARTERS = [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.fixture
def built_copy(built, tmp_path):
    path = tmp_path / "copy.db"
    with sqlite3.connect(built) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path


def hostile_record_file(fixtures, tmp_path) -> Path:
    """A real PubMed record with a formula for its title, one for its journal and one for an author."""
    text = (fixtures / "biopython_entrez/pubmed4.xml").read_text(encoding="utf-8")
    start, end = text.index("<ArticleTitle>"), text.index("</ArticleTitle>")
    text = text[:start] + "<ArticleTitle>" + FORMULA.replace('"', "&quot;") + text[end:]
    text = text.replace("<Title>", "<Title>+", 1).replace("<LastName>", "<LastName>@", 1)
    path = tmp_path / "hostile.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_formulas_in_records_are_neutralised_in_csv_and_tsv_and_kept_in_json(run, fixtures, tmp_path, db_path):
    assert run("load", hostile_record_file(fixtures, tmp_path)).exit_code == 0
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        out = tmp_path / f"papers.{fmt}"
        assert run("export", "papers", "--format", fmt, "-o", out).exit_code == 0
        with out.open(encoding="utf-8", newline="") as handle:
            (row,) = list(csv.DictReader(handle, delimiter=delimiter))
        assert row["title"] == "'" + FORMULA
        assert row["journal"].startswith("'+") and row["authors"].startswith("'@")
    out = tmp_path / "papers.json"
    assert run("export", "papers", "--format", "json", "-o", out).exit_code == 0
    (paper,) = json.loads(out.read_text(encoding="utf-8"))
    assert paper["title"] == FORMULA and paper["journal"].startswith("+") and paper["authors"][0].startswith("@")


def test_formulas_in_notes_are_neutralised_in_links_and_curation_and_read_back_unchanged(run, built_copy, tmp_path):
    decisions = tmp_path / "curation.csv"
    with decisions.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["claim_id", "pmid", "stance", "note", "reviewer", "date"])
        for i, (note, pmid) in enumerate(zip(STARTERS, (21528385, 33257199, 34055525, 30920318, 31523332, 33200023))):
            writer.writerow(["liver-protective", pmid, "contradicts", note.replace("\r", "\\r"), "=cmd|' /C calc'!A0",
                             "2026-11-21"])
        writer.writerow(["liver-protective", 29511414, "contradicts", "'=already quoted", "'reviewer", "2026-11-21"])
    cli = ["--db", str(built_copy)]
    assert CliRunner().invoke(main, [*cli, "curate", str(decisions)]).exit_code == 0
    links = tmp_path / "links.csv"
    assert CliRunner().invoke(main, [*cli, "export", "links", "--claim", "liver-protective", "-o", str(links)]).exit_code == 0
    with links.open(encoding="utf-8", newline="") as handle:
        notes = {row["pmid"]: row["stance_note"] for row in csv.DictReader(handle)}
    assert notes["21528385"] == "'" + FORMULA and notes["34055525"] == "'-2+3"
    exported = tmp_path / "exported.csv"
    assert CliRunner().invoke(main, [*cli, "export", "curation", "-o", str(exported)]).exit_code == 0
    cells = [cell for row in csv.reader(exported.open(encoding="utf-8", newline="")) for cell in row]
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)
    # Read back, the file gives the very notes and reviewers that went in.
    assert [(d.note, d.reviewer) for d in read_curation(exported)] == [(d.note, d.reviewer) for d in read_curation(decisions)]


# ------------------------------------------------------------------ 3. no decision silently lost


def _curation_text() -> str:
    return (REPO / "db/curation.csv").read_text(encoding="utf-8")


def _decisions_in(db_path) -> list:
    with sqlite3.connect(db_path) as connection:
        return connection.execute("SELECT claim_id, pmid, stance, note FROM curation ORDER BY claim_id, pmid").fetchall()


def _pmid_of_line(index, value):
    def change(lines):
        claim_id, _pmid, rest = lines[index].split(",", 2)
        lines[index] = f"{claim_id},{value},{rest}"
    return change


@pytest.mark.parametrize("break_it, message", [
    (lambda lines: lines.__setitem__(2, lines[2].replace(",Judged", ',"Judged', 1)), "line 3"),  # unclosed quote
    (lambda lines: lines.__setitem__(3, lines[3] + ",extra"), "line 4"),
    (lambda lines: lines.__setitem__(4, lines[4].rsplit(",", 1)[0]), "line 5"),
    (lambda lines: lines.__setitem__(5, lines[5].replace("2026-11-21", "2026-13-45")), "line 6"),
    (_pmid_of_line(6, "²"), "line 7"),
    (_pmid_of_line(7, "3" * 23), "line 8"),
], ids=["unclosed-quote", "extra-field", "missing-field", "bad-date", "superscript-pmid", "23-digit-pmid"])
def test_a_curation_file_that_does_not_parse_cleanly_is_refused_whole(run, built_copy, tmp_path, break_it, message):
    before = _decisions_in(built_copy)
    assert len(before) > 30
    lines = _curation_text().splitlines()
    break_it(lines)
    bad = tmp_path / "curation.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--db", str(built_copy), "curate", str(bad)])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _decisions_in(built_copy) == before


def test_a_curation_file_written_with_a_bom_reads_back(run, built_copy, tmp_path):
    out = tmp_path / "bom.csv"
    cli = ["--db", str(built_copy)]
    assert CliRunner().invoke(main, [*cli, "export", "curation", "--bom", "-o", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    result = CliRunner().invoke(main, [*cli, "curate", str(out)])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output


# ------------------------------------------------------------------ 4. deadlines are total


def _article_page() -> bytes:
    """A real article of the catalog, as an HTML page."""
    text = (REPO / "db/articles/003_f6a46e9e997b1915.txt").read_text(encoding="utf-8")
    paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines()[:12] if line.strip())
    return f"<html><head><title>Kratom</title></head><body><article>{paragraphs}</article></body></html>".encode()


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_trickling_pubmed_is_given_up_within_the_total_deadline(run, db_path, headers_too):
    def answer(request):  # a whole, valid answer, one byte every 0.2 s: about 40 s
        return Reply(body=esearch_body(0), trickle_seconds=0.2, trickle_headers=headers_too)

    with HostileServer(answer) as server:
        env = hostile_env(server, TRACKER_TIMEOUT_SECONDS="1")
        result, seconds = elapsed(run, "sync", "--term", TERM, "--search", "kratom", env=env)
    assert result.exit_code == 1, result.output
    assert "timed out" in result.output
    assert seconds < 15  # six tries of at most 1 s each, and short backoffs


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_trickling_article_page_is_given_up_within_its_deadline(run, db_path, monkeypatch, headers_too):
    from tracker.articles import source

    monkeypatch.setattr(source, "FETCH_TIMEOUT_SECONDS", 1)

    def answer(request):
        return Reply(body=_article_page(), content_type="text/html", trickle_seconds=0.05, trickle_headers=headers_too)

    with HostileServer(answer) as server:
        result, seconds = elapsed(run, "articles", "add", server.origin + "/kratom")
    assert result.exit_code == 1
    assert "within 1 s" in result.output
    assert seconds < 5
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
