"""Attacks on the tracker, each reproduced against a local hostile server or a crafted file.

What a hostile server may send back, what a crafted file may hold, and what the tracker
guarantees against each (docs/operations.md, "Security"). Every attack here once got through, or is
one the tracker has always held and must go on holding.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from tracker.cli import cli as main
from tracker.core.yamlfile import load_yaml
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


def test_a_key_echoed_inside_a_fetched_record_is_not_stored(run, db_path, fixtures):
    escaped = "".join(f"&#{ord(c)};" for c in KEY)

    def answer(request):
        if "esearch" in request.path:
            return Reply(body=esearch_body(1))
        return Reply(body=_record_with(fixtures, "ArticleTitle", f"Kratom {KEY} and {escaped}"))

    with HostileServer(answer) as server:
        result = run("sync", "--term", TERM, "--search", "kratom", env=hostile_env(server))
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db_path) as connection:
        (title,) = connection.execute("SELECT title FROM papers WHERE pmid = 27797938").fetchone()
    assert title.startswith("Kratom ")  # the record was stored, without the key
    assert KEY not in everything_visible(run, db_path, result)


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
    (tmp_path / "copy").mkdir()
    path = tmp_path / "copy" / "tracker.db"  # Datasette names a database after its file
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


# ------------------------------------------------------------------ 5. memory stays bounded

TRACKER = [sys.executable, "-c", "from tracker.cli import cli; cli()"]


def _record_with(fixtures, field: str, text_or_bytes) -> bytes:
    """The real record of pubmed4.xml with one field's text replaced (the attack), as bytes."""
    xml = (fixtures / "biopython_entrez/pubmed4.xml").read_bytes()
    start = xml.index(f"<{field}".encode())
    start = xml.index(b">", start) + 1
    end = xml.index(f"</{field}>".encode(), start)
    return xml[:start] + (text_or_bytes if isinstance(text_or_bytes, bytes) else text_or_bytes.encode()) + xml[end:]


def _peak_rss_mb(args, **kwargs) -> tuple[int, str, float]:
    """(exit status, output, peak resident memory in MB) of a tracker command run as its own process.

    The peak is the process's own VmHWM, read as it exits: rusage's maxrss would count what the
    test process had resident when it forked.
    """
    with tempfile.TemporaryDirectory() as folder:
        status_file = Path(folder) / "status"
        code = ("import atexit\n"
                f"atexit.register(lambda: open({str(status_file)!r}, 'w').write(open('/proc/self/status').read()))\n"
                "from tracker.cli import cli\ncli()")
        process = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=REPO, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, **kwargs)
        peak_kb = 0
        if status_file.exists():
            for line in status_file.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = int(line.split()[1])
    return process.returncode, process.stdout.decode("utf-8", "replace"), peak_kb / 1024


def test_a_gzip_file_with_a_300_mb_abstract_is_refused_without_reading_it_all(fixtures, tmp_path):
    abstract = b"kratom " * (300 * 1024 * 1024 // 7)  # 300 MB, about 300 KB gzipped
    path = tmp_path / "bomb.xml.gz"
    with gzip.open(path, "wb", compresslevel=1) as handle:
        xml = _record_with(fixtures, "AbstractText", b"@@")
        head, tail = xml.split(b"@@")
        handle.write(head)
        handle.write(abstract)
        handle.write(tail)
    del abstract
    db_path = tmp_path / "tracker.db"
    status, output, peak_mb = _peak_rss_mb(["--db", db_path, "load", path])
    assert status == 1, output
    assert str(path) in output and "27797938" in output and "limit" in output and "Traceback" not in output
    assert peak_mb < 300, f"peak memory {peak_mb:.0f} MB"
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM papers").fetchone()[0] == 0


@pytest.mark.parametrize("field", ["ArticleTitle", "AbstractText"])
def test_a_field_over_its_size_limit_is_refused_naming_the_file_and_record(run, fixtures, tmp_path, db_path, field):
    path = tmp_path / "big-field.xml"
    path.write_bytes(_record_with(fixtures, field, "kratom " * 300_000))  # 2.1 MB in one field
    result = run("load", path)
    assert result.exit_code == 1
    assert str(path) in result.output and "PMID 27797938" in result.output and "limit" in result.output
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM papers").fetchone()[0] == 0


def test_a_medline_file_with_a_huge_line_is_refused(run, fixtures, tmp_path, db_path):
    text = (fixtures / "biopython_medline/pubmed_result1.txt").read_text(encoding="utf-8")
    first = text.split("\n\n")[0]
    path = tmp_path / "big.txt"
    path.write_text(first.replace("\nAB  - ", "\nAB  - " + "kratom " * 300_000, 1) + "\n", encoding="utf-8")
    result = run("load", path)
    assert result.exit_code == 1, result.output
    assert str(path) in result.output and "limit" in result.output


def test_yaml_aliases_in_the_claim_catalog_are_refused(tmp_path):
    bomb = tmp_path / "claims.yml"
    levels = ["a: &a [\"kratom\",\"kratom\",\"kratom\",\"kratom\",\"kratom\",\"kratom\",\"kratom\",\"kratom\",\"kratom\"]"]
    for i, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[i]
        levels.append(f"{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},"
                      f"*{previous},*{previous},*{previous}]")
    bomb.write_text("\n".join(levels) + "\nclaims:\n  - id: bomb\n    statement: *i\n    category: safety\n",
                    encoding="utf-8")
    db_path = tmp_path / "tracker.db"
    limit = 2 * 1024 ** 3

    def at_most_2_gb():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    status, output, _peak = _peak_rss_mb(["--db", db_path, "claims", "load", bomb], preexec_fn=at_most_2_gb)
    assert status == 1, output
    assert "alias" in output and str(bomb) in output and "Traceback" not in output


# ------------------------------------------------------------------ 6. one line, not a traceback


def test_markup_nested_1500_deep_in_a_title_is_one_clear_line(run, fixtures, tmp_path, db_path):
    path = tmp_path / "deep.xml"
    path.write_bytes(_record_with(fixtures, "ArticleTitle", "<i>" * 1500 + "kratom" + "</i>" * 1500))
    result = run("load", path)
    assert result.exit_code == 1
    assert str(path) in result.output and "deep" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_reparse_goes_past_a_record_it_cannot_parse_again(run, fixtures, tmp_path, db_path):
    path = tmp_path / "entity.xml"
    path.write_bytes(_record_with(fixtures, "ArticleTitle", "Kratom &undefinedentity; and telomeres"))
    assert run("load", path).exit_code == 0
    assert run("load", fixtures / "biopython_entrez/pubmed7.xml").exit_code == 0
    result = run("reparse")
    assert result.exit_code == 1, result.output
    assert "27797938" in result.output and "Traceback" not in result.output
    assert "Reparsed 1 records" in result.output  # the other one was
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM papers").fetchone()[0] >= 2


# ------------------------------------------------------------------ 7. smaller holes


def test_the_sync_lock_is_the_same_through_a_symlink(tmp_path):
    from tracker.ops.lock import AlreadyRunning, sync_lock

    real = tmp_path / "tracker.db"
    sqlite3.connect(real).close()
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "linked.db"
    link.symlink_to(real)
    with sync_lock(real):
        with pytest.raises(AlreadyRunning):
            with sync_lock(link):
                pass


def test_an_article_redirect_to_another_host_or_port_is_not_followed(run, db_path):
    with HostileServer(lambda request: Reply(body=_article_page(), content_type="text/html")) as internal:
        with HostileServer(lambda request: Reply(status=302, headers={"Location": internal.origin + "/admin"})) as site:
            result = run("articles", "add", site.origin + "/kratom")
    assert result.exit_code == 1
    assert "another host or port" in result.output and internal.seen == []
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


def test_html_served_as_plain_text_is_stored_without_its_tags(run, db_path):
    with HostileServer(lambda request: Reply(body=_article_page(), content_type="text/plain")) as site:
        result = run("articles", "add", site.origin + "/kratom.txt")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db_path) as connection:
        (text,) = connection.execute("SELECT text FROM article_versions").fetchone()
    assert "<p>" not in text and "</article>" not in text and "kratom" in text.lower()


@pytest.mark.parametrize("markdown, kept", [
    ("The 7\\_OH\\_mitragynine metabolite (see \\[1\\]).", "The 7_OH_mitragynine metabolite (see [1])."),
    ("Dose (mg) matters [in mice](http://example.org/a_(b)).", "Dose (mg) matters in mice."),
    ("An escaped \\*star\\* and a \\) paren.", "An escaped *star* and a ) paren."),
])
def test_markdown_extraction_keeps_escaped_and_bracketed_characters(markdown, kept):
    from tracker.articles.source import markdown_to_text

    assert markdown_to_text(markdown)[0].strip() == kept


def _processes_naming(path) -> list[int]:
    """The live processes whose command line names `path` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                status = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if status != "Z" and str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def test_a_failed_or_killed_load_is_in_load_runs(fixtures, tmp_path):
    db_path = tmp_path / "tracker.db"
    path = tmp_path / "many.xml"
    record = (fixtures / "biopython_entrez/pubmed4.xml").read_bytes()
    head, body = record.split(b"<PubmedArticleSet>")[0], record.split(b"<PubmedArticleSet>")[1].split(b"</PubmedArticleSet>")[0]
    with path.open("wb") as handle:  # the same real record many times: enough work to be killed midway
        handle.write(head + b"<PubmedArticleSet>")
        for _ in range(20000):
            handle.write(body)
        handle.write(b"</PubmedArticleSet>")
    process = subprocess.Popen([*TRACKER, "--db", str(db_path), "load", str(path)], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        with contextlib.suppress(sqlite3.Error), sqlite3.connect(db_path) as connection:
            if connection.execute("SELECT count(*) FROM load_runs").fetchone()[0]:
                break
    process.send_signal(signal.SIGKILL)
    process.wait()
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute("SELECT path, status, finished_at FROM load_runs").fetchall()
    assert rows == [(str(path), "running", None)]
    # Its parsing workers end with it, rather than wait on their task pipe for ever.
    deadline = time.monotonic() + 10
    while _processes_naming(db_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_naming(db_path) == []
    # A load that fails for a reason of its own (here, Ctrl-C) says so in load_runs.
    small = fixtures / "biopython_entrez/pubmed7.xml"
    code = ("import tracker.papers.load as load\n"
            "def interrupted(*a, **k):\n    raise KeyboardInterrupt\n"
            "load.save_records = interrupted\n"
            "from tracker.cli import cli\ncli()")
    subprocess.run([sys.executable, "-c", code, "--db", str(db_path), "load", str(small)], cwd=REPO, capture_output=True)
    with sqlite3.connect(db_path) as connection:
        last = connection.execute("SELECT path, status, error FROM load_runs ORDER BY rowid DESC").fetchone()
    assert last[:2] == (str(small), "failed") and "interrupted" in last[2]


def test_tracker_serve_leaves_no_temporary_file_behind(built, tmp_path):
    from .support.serving import tracker_serve

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    os.environ["TMPDIR"] = str(temporary)
    try:
        with tracker_serve(built) as url:
            assert get(built, "/tracker/claims").status_code == 200 and url
    finally:
        del os.environ["TMPDIR"]
    assert list(temporary.iterdir()) == []


# ------------------------------------------------------------------ attacks that have always been held

XXE_AND_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


def test_external_entities_and_entity_expansion_are_not_resolved(fixtures, tmp_path):
    xml = _record_with(fixtures, "ArticleTitle", "Kratom &xxe; and &lol9;").decode("utf-8")
    xml = XXE_AND_LAUGHS + xml[xml.index("<PubmedArticleSet"):]
    path = tmp_path / "xxe.xml"
    path.write_text(xml, encoding="utf-8")
    db_path = tmp_path / "tracker.db"
    status, output, peak_mb = _peak_rss_mb(["--db", db_path, "load", path])
    assert status in (0, 1) and "Traceback" not in output, output
    assert peak_mb < 300
    with sqlite3.connect(db_path) as connection:
        titles = [row[0] or "" for row in connection.execute("SELECT title FROM papers")]
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    assert all(passwd not in t and "lollollol" not in t for t in titles)


def test_an_esearch_answer_with_an_external_entity_reads_no_local_file(run, db_path):
    def answer(request):
        return Reply(body=b'<?xml version="1.0"?><!DOCTYPE eSearchResult [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                          + esearch_body(0, "<WarningList><OutputMessage>&xxe;</OutputMessage></WarningList>")
                          .split(b"?>", 1)[1])

    with HostileServer(answer) as server:
        result = run("sync", "--term", TERM, "--search", "kratom", env=hostile_env(server))
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    assert passwd not in everything_visible(run, db_path, result)


HOSTILE = 'Kratom <script>alert("x")</script><img src=x onerror=alert(1)> "quoted" & more'


def test_stored_markup_is_shown_as_text_on_every_page_and_feed(built_copy):
    """Hostile text in every kind of row a page shows; every table, view, canned query, row page and feed."""
    with sqlite3.connect(built_copy) as connection:
        pmid, claim_id = connection.execute("SELECT pmid, claim_id FROM claim_papers LIMIT 1").fetchone()
        (article_id,) = connection.execute("SELECT id FROM articles LIMIT 1").fetchone()
        connection.execute("UPDATE papers SET title = ?, journal = ?, abstract = ? WHERE pmid = ?",
                           (HOSTILE, HOSTILE, HOSTILE, pmid))
        connection.execute("UPDATE authors SET last_name = ? WHERE pmid = ?", (HOSTILE, pmid))
        connection.execute("UPDATE claims SET statement = ? WHERE id = ?", (HOSTILE, claim_id))
        connection.execute("UPDATE articles SET title = ? WHERE id = ?", (HOSTILE, article_id))
        connection.execute("UPDATE claim_papers SET rationale = ? WHERE pmid = ?", (HOSTILE, pmid))
        connection.execute("UPDATE curation SET note = ?", (HOSTILE,))
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE '%fts%' "
            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_search%'")]
    metadata = load_yaml((REPO / "db/metadata.yml").read_text(encoding="utf-8"), "metadata.yml")
    queries = list(metadata["databases"]["tracker"].get("queries", {}))
    urls = ["/", "/tracker", f"/tracker/papers/{pmid}", f"/tracker/claims/{claim_id}", f"/tracker/articles/{article_id}"]
    urls += [f"/tracker/{name}" for name in tables + queries]
    urls += ["/tracker/new_links.atom", "/tracker/digest.atom"]
    checked = 0
    for url in urls:
        response = get(built_copy, url)
        if response.status_code != 200:
            continue
        page = response.text
        assert "<script>alert" not in page and "<img src=x onerror" not in page, url
        checked += 1
    assert checked >= len(tables) + len(queries)
    shown = get(built_copy, f"/tracker/papers/{pmid}").text
    assert "&lt;script&gt;alert" in shown


@pytest.mark.parametrize("sql", [
    "delete from claims", "update papers set title = 'x'", "insert into curation (claim_id) values ('x')",
    "drop table papers", "attach database '/tmp/elsewhere.db' as other", "pragma writable_schema = 1",
    "select 1; delete from claims",
])
def test_datasette_refuses_every_write(built_copy, sql):
    before = built_copy.read_bytes()
    response = get(built_copy, "/tracker?" + urlencode({"sql": sql}))
    assert response.status_code in (200, 400, 403)
    assert "Statement must be a SELECT" in response.text or "not allowed" in response.text.lower() \
        or "error" in response.text.lower()
    assert built_copy.read_bytes() == before
