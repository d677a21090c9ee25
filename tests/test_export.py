"""`tracker export`: every format read back with a real parser of that format, on the real fixture records.

The database (`built_records`) holds the starter bibliography, every real PubMed record among the
fixtures (markup in titles, non-ASCII names, CollectiveName, a book), the claims, the five
articles, the starter decisions and the links, built through the CLI as scripts/run builds it.
"""

import csv
import io
import json
import os
import sqlite3
from pathlib import Path

import bibtexparser
import pytest
import rispy
from bibtexparser import middlewares
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from click.testing import CliRunner
from lxml import html as lxml_html
from markdown_it import MarkdownIt
from pylatexenc.latex2text import LatexNodes2Text

from tracker.cli import cli
from tracker.core.database import open_db
from tracker.export.citations import page_range
from tracker.export.formats import text_cell
from tracker.export.tables import (
    LINK_COLUMNS,
    PAPER_COLUMNS,
    TABLES,
    Filters,
    link_rows,
    paper_rows,
)

from .support.built import REPO, built_records  # noqa: F401  (a fixture)

COLLECTIVE_PMIDS = {39382274, 38534005, 34843274}
NON_ASCII_AUTHOR_PMID = 23657305  # Costa-Matos, Luís; Girão, Fernando


def export(db_path, *args):
    result = CliRunner().invoke(cli, ["--db", str(db_path), "export", *map(str, args)], catch_exceptions=False)
    return result


@pytest.fixture
def records_copy(built_records, tmp_path):
    """A copy of the built database a test may change."""
    path = tmp_path / "copy.db"
    source = sqlite3.connect(built_records)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return path


def _expected_text(rows, columns):
    return [[text_cell(row.get(c.name), c) for c in columns] for row in rows]


# ---- tables ----------------------------------------------------------------------------------

def test_links_csv_round_trips_through_the_csv_module(built_records, tmp_path):
    out = tmp_path / "links.csv"
    result = export(built_records, "links", "-o", out)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        read = list(csv.reader(handle))
    db = open_db(built_records)
    rows = list(link_rows(db, Filters()))
    assert read[0] == [c.name for c in LINK_COLUMNS]
    assert read[1:] == _expected_text(rows, LINK_COLUMNS)
    # One row per link of an active claim, plus decisions about pairs the linker did not propose.
    active = db.execute("SELECT count(*) FROM claim_evidence WHERE claim_status = 'active'").fetchone()[0]
    assert len(read) - 1 == active > 500
    by_pair = {(r[0], int(r[3])): dict(zip(read[0], r)) for r in read[1:]}
    decision = next(db.query("SELECT * FROM curation WHERE claim_id = 'liver-protective' AND pmid = 33257199"))
    row = by_pair[("liver-protective", 33257199)]
    assert row["stance"] == decision["stance"] == "contradicts" and row["stance_note"] == decision["note"]
    assert row["pubmed_url"] == "https://pubmed.ncbi.nlm.nih.gov/33257199/"
    assert row["doi_url"] == "https://doi.org/" + row["doi"] and row["doi"]
    # Floats read back equal, lists as "; "-joined cells.
    linked = next(r for r in rows if r["fts_score"] is not None)
    assert float(by_pair[(linked["claim_id"], linked["pmid"])]["fts_score"]) == linked["fts_score"]
    assert by_pair[(linked["claim_id"], linked["pmid"])]["methods"].split("; ") == linked["methods"]
    assert "Wrote" in result.stderr and str(out) in result.stderr


def test_csv_with_bom_opens_as_utf8_sig_and_keeps_non_ascii(built_records, tmp_path):
    out = tmp_path / "papers.csv"
    assert export(built_records, "papers", "--bom", "-o", out).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    costa = next(r for r in rows if r["pmid"] == str(NON_ASCII_AUTHOR_PMID))
    assert costa["authors"].split("; ")[:5] == ["Costa-Matos L", "Batista P", "Monteiro N", "Henriques P", "Girão F"]
    # Multi-line abstracts and quotes survive the round trip.
    db = open_db(built_records)
    multi = next(db.query("SELECT pmid, abstract FROM papers WHERE abstract LIKE '%' || char(10) || '%' LIMIT 1"))
    assert next(r for r in rows if r["pmid"] == str(multi["pmid"]))["abstract"] == multi["abstract"]


def test_tsv_round_trips(built_records):
    result = export(built_records, "papers", "-f", "tsv")
    assert result.exit_code == 0
    read = list(csv.reader(io.StringIO(result.stdout, newline=""), dialect="excel-tab"))
    rows = list(paper_rows(open_db(built_records), Filters()))
    assert read[0] == [c.name for c in PAPER_COLUMNS] and read[1:] == _expected_text(rows, PAPER_COLUMNS)


def test_json_and_jsonl_agree_and_keep_types(built_records):
    as_json = json.loads(export(built_records, "links", "-f", "json").stdout)
    as_jsonl = [json.loads(line) for line in export(built_records, "links", "-f", "jsonl").stdout.splitlines()]
    assert as_json == as_jsonl and len(as_json) > 500
    first = as_json[0]
    assert list(first) == [c.name for c in LINK_COLUMNS]
    assert isinstance(first["pmid"], int) and isinstance(first["retracted"], bool)
    assert isinstance(first["methods"], list) and isinstance(first["score"], float)
    claims = json.loads(export(built_records, "claims", "-f", "json").stdout)
    liver = next(c for c in claims if c["claim_id"] == "liver-protective")
    assert liver["contradicted_by_human"] is True and liver["contradicts"] >= 8 and liver["articles"] >= 1


def _markdown_table(text: str) -> list[list[str]]:
    document = lxml_html.fromstring(MarkdownIt("commonmark").enable("table").render(text))
    for line_break in document.iter("br"):  # a line break inside a cell
        line_break.tail = "\n" + (line_break.tail or "")
    return [[cell.text_content() for cell in tr] for tr in document.iter("tr")]


def test_markdown_table_parses_back_to_the_values(built_records):
    result = export(built_records, "papers", "-f", "md")
    table = _markdown_table(result.stdout)
    rows = list(paper_rows(open_db(built_records), Filters()))
    assert table[0] == [c.name for c in PAPER_COLUMNS]
    assert len(table) - 1 == len(rows)
    for cells, row in zip(table[1:], rows):
        expected = [" ".join(text_cell(row.get(c.name), c).split()) for c in PAPER_COLUMNS]
        assert [" ".join(cell.split()) for cell in cells] == expected
    # Titles with Markdown's own characters come back as written.
    assert any(cells[1] == "The Bio* toolkits--a brief overview." for cells in table)


def test_mentions_export_gives_sentences_at_their_offsets(built_records):
    rows = json.loads(export(built_records, "mentions", "-f", "json").stdout)
    db = open_db(built_records)
    assert len(rows) == db.execute(
        "SELECT count(*) FROM claim_mentions m JOIN article_sentences s ON s.id = m.sentence_id AND s.is_current = 1"
    ).fetchone()[0]
    for row in rows[:40]:
        text = next(db.query("SELECT text FROM article_versions WHERE article_id = ? AND version = ?",
                             [row["article_id"], row["version"]]))["text"]
        assert text[row["start"]:row["end"]] == row["sentence"]


def test_filters(built_records):
    def links(*args):
        return json.loads(export(built_records, "links", "-f", "json", *args).stdout)

    contradicting = links("--stance", "contradicts")
    assert contradicting and {r["stance"] for r in contradicting} == {"contradicts"}
    db = open_db(built_records)
    assert len(contradicting) == db.execute(
        "SELECT count(*) FROM claim_evidence WHERE stance = 'contradicts' AND claim_status = 'active'").fetchone()[0]
    undecided = links("--claim", "liver-protective", "--stance", "undecided")
    assert undecided and all(r["stance"] is None and r["claim_id"] == "liver-protective" for r in undecided)
    liver = links("--category", "liver")
    assert liver and {r["category"] for r in liver} == {"liver"}
    case_reports = links("--level", "case-report", "--level", "case-series")
    assert case_reports and {r["evidence_level"] for r in case_reports} == {"case-report", "case-series"}
    recent = links("--since", "2021-06")
    assert recent and all(r["pub_date"][:7] >= "2021-06" or r["pub_date"] == "2021" for r in recent)
    # A paper dated by year alone counts for a --since inside that year.
    assert any(r["pub_date"] == "2021" for r in links("--since", "2021-06-15"))
    papers = json.loads(export(built_records, "papers", "-f", "json", "--claim", "liver-protective",
                               "--stance", "contradicts").stdout)
    assert {p["pmid"] for p in papers} == {r["pmid"] for r in contradicting if r["claim_id"] == "liver-protective"}


# ---- citations -------------------------------------------------------------------------------

def _papers(db_path) -> dict[int, dict]:
    db = open_db(db_path)
    papers = {row["pmid"]: row for row in db.query("SELECT * FROM papers WHERE deleted IS NOT 1")}
    for pmid, paper in papers.items():
        paper["people"] = list(db.query("SELECT * FROM authors WHERE pmid = ? AND role = 'author' ORDER BY position",
                                        [pmid]))
    return papers


def test_ris_parses_back_with_rispy(built_records):
    result = export(built_records, "papers", "-f", "ris")
    entries = rispy.loads(result.stdout)
    papers = _papers(built_records)
    assert len(entries) == len(papers)
    for entry in entries:
        paper = papers[int(entry["accession_number"])]
        assert entry["type_of_reference"] in ("JOUR", "BOOK", "CHAP")
        assert entry.get("title") == paper["title"]
        assert entry.get("doi") == paper["doi"]
        assert entry["name_of_database"] == "PubMed"
        names = [a["collective_name"] or ", ".join(p for p in (a["last_name"], a["fore_name"] or a["initials"],
                                                                 a["suffix"]) if p) for a in paper["people"]]
        assert entry.get("authors", []) == names
    costa = next(e for e in entries if e["accession_number"] == str(NON_ASCII_AUTHOR_PMID))
    assert "Girão, Fernando" in costa["authors"]
    groups = [e for e in entries if int(e["accession_number"]) in COLLECTIVE_PMIDS]
    assert groups and all(any("Group" in a or "Panel" in a for a in e["authors"]) for e in groups)


def _bibtex_library(text: str):
    library = bibtexparser.parse_string(text, append_middleware=[middlewares.SeparateCoAuthors(),
                                                                 middlewares.SplitNameParts()])
    assert not library.failed_blocks
    return library


def _detex(value: str) -> str:
    return LatexNodes2Text().latex_to_text(value)


def test_bibtex_parses_back_and_decodes_to_the_original_text(built_records):
    result = export(built_records, "papers", "-f", "bibtex")
    text = result.stdout
    library = _bibtex_library(text)
    papers = _papers(built_records)
    assert len(library.entries) == len(papers)
    for entry in library.entries:
        paper = papers[int(entry["pmid"])]
        assert entry.key == f"pmid{paper['pmid']}"
        assert _detex(entry["title"]) == paper["title"]
        assert entry.fields_dict.get("doi") is None or entry["doi"] == paper["doi"]
        if paper["doi"]:
            assert entry["doi"] == paper["doi"]
        authors = entry.fields_dict.get("author")
        names = authors.value if authors else []
        assert len(names) == len(paper["people"])
        for name, person in zip(names, paper["people"]):
            if person["collective_name"]:  # one braced name, never split into first and last
                assert not name.first and _detex(" ".join(name.last)) == person["collective_name"]
            else:
                assert _detex(" ".join(name.last)) == person["last_name"]
    # Non-ASCII letters are written as LaTeX commands (and decoded back above).
    assert "Gir{\\~a}o" in text and "Lu{\\'\\i}s" in text
    assert "Girão" not in text and "Luís" not in text


def test_bibtex_escapes_latex_specials_and_protects_capitals(built_records):
    library = _bibtex_library(export(built_records, "papers", "-f", "bibtex").stdout)
    bio = library.entries_dict["pmid12230038"]  # "The Bio* toolkits--a brief overview."
    assert bio["title"] == "The {Bio}* toolkits-{}-a brief overview."  # "--" would print as a dash
    kratom = library.entries_dict["pmid21528385"]  # braces around the word, not its parenthesis
    assert kratom["title"] == "Intrahepatic cholestasis following abuse of powdered kratom ({Mitragyna} speciosa)"
    pages = {e.key: e.fields_dict["pages"].value for e in library.entries if "pages" in e.fields_dict}
    assert pages["pmid23657305"] == "35--41"


def test_csljson_renders_with_citeproc(built_records):
    items = json.loads(export(built_records, "papers", "-f", "csljson").stdout)
    papers = _papers(built_records)
    assert len(items) == len(papers)
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(items)
    joined = "\n".join(rendered)
    for item in items:
        paper = papers[int(item["PMID"])]
        assert item.get("DOI") == paper["doi"]
        first = paper["people"][0] if paper["people"] else None
        if first and first["last_name"]:
            assert first["last_name"] in joined
        if first and first["collective_name"]:
            assert item["author"][0] == {"literal": first["collective_name"]}
            assert first["collective_name"] in joined
    assert "Montalbán-López" in joined  # a first author with non-ASCII letters


def test_page_ranges_are_written_out():
    assert page_range("179-91") == ("179", "191")
    assert page_range("1453-4") == ("1453", "1454")
    assert page_range("2421-2429") == ("2421", "2429")
    assert page_range("e0092424") == ("e0092424", None)
    assert page_range("S12-5") == ("S12", "S15")


def test_retracted_papers_say_so_in_every_citation_format(records_copy):
    # No fixture record is retracted: the flag is set here (test state only) to see it carried through.
    db = open_db(records_copy)
    db.execute("UPDATE papers SET retracted = 1 WHERE pmid = ?", [NON_ASCII_AUTHOR_PMID])
    db.conn.commit()
    ris = next(e for e in rispy.loads(export(records_copy, "papers", "-f", "ris").stdout)
               if e["accession_number"] == str(NON_ASCII_AUTHOR_PMID))
    assert any("Retracted" in note for note in ris["notes"])
    entry = _bibtex_library(export(records_copy, "papers", "-f", "bibtex").stdout).entries_dict[f"pmid{NON_ASCII_AUTHOR_PMID}"]
    assert "Retracted" in entry["note"]
    item = next(i for i in json.loads(export(records_copy, "papers", "-f", "csljson").stdout)
                if i["PMID"] == str(NON_ASCII_AUTHOR_PMID))
    assert "Retracted" in item["note"]
    links = json.loads(export(records_copy, "links", "-f", "json").stdout)
    assert all(r["retracted"] is (r["pmid"] == NON_ASCII_AUTHOR_PMID) for r in links)


# ---- report and curation ---------------------------------------------------------------------

def test_report_has_a_section_per_claim_with_its_evidence(built_records):
    text = export(built_records, "report").stdout
    db = open_db(built_records)
    active = db.execute("SELECT count(*) FROM claims WHERE status = 'active'").fetchone()[0]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    assert len(headings) == active
    assert "Kratom has liver-protective (hepatoprotective) properties." in headings
    section = text.split("## Kratom has liver-protective")[1].split("\n## ")[0]
    assert "Contradicted by human evidence" in section
    assert "It has liver-protective properties" in section  # where an article makes it
    table = _markdown_table(section)
    assert table[0][:5] == ["Paper", "Year", "Title", "Evidence", "Stance"]
    contradicting = {int(r[0]) for r in table[1:] if r[4] == "contradicts"}
    expected = {row[0] for row in db.execute(
        "SELECT pmid FROM claim_evidence WHERE claim_id = 'liver-protective' AND stance = 'contradicts'")}
    assert contradicting == expected and len(expected) >= 8
    # The same database gives the same report.
    assert export(built_records, "report").stdout == text


def test_curation_export_reproduces_the_file_and_curate_changes_nothing(records_copy, tmp_path):
    out = tmp_path / "curation.csv"
    assert export(records_copy, "curation", "-o", out).exit_code == 0
    assert out.read_bytes() == (REPO / "db/curation.csv").read_bytes()
    db = open_db(records_copy)
    before = list(db.query("SELECT * FROM curation ORDER BY claim_id, pmid"))
    result = CliRunner().invoke(cli, ["--db", str(records_copy), "curate", str(out)])
    assert result.exit_code == 0 and "nothing changed" in result.output
    assert list(db.query("SELECT * FROM curation ORDER BY claim_id, pmid")) == before


def test_curation_round_trip_keeps_conflicting_rows(records_copy, tmp_path):
    source = tmp_path / "mine.csv"
    text = (REPO / "db/curation.csv").read_text(encoding="utf-8")
    text += 'liver-protective,33257199,mentions,"Second reader, unsure",second reader,2026-01-02\n'
    source.write_text(text, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(records_copy), "curate", str(source)]).exit_code == 0
    out = tmp_path / "out.csv"
    assert export(records_copy, "curation", "-o", out).exit_code == 0
    assert out.read_text(encoding="utf-8") == text
    again = runner.invoke(cli, ["--db", str(records_copy), "curate", str(out)])
    assert "nothing changed" in again.output


# ---- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["links", "-f", "xlsx"], "Invalid value for '--format'"),
    (["tables"], "Invalid value for '{links|claims|papers|mentions|report|curation}'"),
    (["links", "-f", "ris"], "--format ris is not offered for `export links`"),
    (["links", "--claim", "no-such-claim"], "no claim 'no-such-claim'"),
    (["links", "--category", "magic"], "--category 'magic' is not one of"),
    (["links", "--stance", "agrees"], "--stance 'agrees' is not one of"),
    (["papers", "--level", "anecdote"], "--level 'anecdote' is not one of"),
    (["links", "--since", "last week"], "--since 'last week' is not a date"),
    (["mentions", "--stance", "supports"], "--stance does not apply to `export mentions`"),
    (["curation", "--claim", "liver-protective"], "--claim does not apply to `export curation`"),
    (["report", "-f", "csv"], "--format csv is not offered for `export report`"),
    (["links", "-f", "json", "--bom"], "--bom is for csv and tsv"),
])
def test_bad_requests_fail_clearly_and_write_nothing(built_records, tmp_path, args, message):
    out = tmp_path / "out.file"
    result = export(built_records, *args, "-o", out)
    assert result.exit_code != 0
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_unwritable_outputs_fail_clearly(built_records, tmp_path):
    missing = export(built_records, "links", "-o", tmp_path / "no-such-folder" / "links.csv")
    assert missing.exit_code == 1 and "the folder" in missing.stderr and "does not exist" in missing.stderr
    folder = export(built_records, "links", "-o", tmp_path)
    assert folder.exit_code == 1 and "it is a folder" in folder.stderr
    if os.geteuid() == 0:  # root writes anywhere a mode bit forbids; sysfs refuses even root
        denied = export(built_records, "links", "-o", "/sys/tracker-export.csv")
        assert denied.exit_code == 1 and "cannot write /sys/tracker-export.csv: Permission denied" in denied.stderr
        assert not Path("/sys/tracker-export.csv").exists()
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        denied = export(built_records, "links", "-o", locked / "links.csv")
        assert denied.exit_code == 1 and "no permission to write" in denied.stderr
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_a_failure_midway_leaves_no_partial_file_and_keeps_the_old_one(built_records, tmp_path, monkeypatch):
    out = tmp_path / "links.csv"
    out.write_text("the previous export\n", encoding="utf-8")
    table = TABLES["links"]

    def failing_rows(db, filters):
        for number, row in enumerate(link_rows(db, filters)):
            if number == 100:
                raise RuntimeError("disk trouble while writing row 100")
            yield row

    monkeypatch.setattr(table, "rows", failing_rows)
    with pytest.raises(RuntimeError):
        CliRunner().invoke(cli, ["--db", str(built_records), "export", "links", "-o", str(out)],
                           catch_exceptions=False)
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["links.csv"]  # no temporary file left behind


def test_written_files_get_ordinary_permissions(built_records, tmp_path):
    out = tmp_path / "claims.csv"
    assert export(built_records, "claims", "-o", out).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_columns_are_documented(built_records):
    result = export(built_records, "links", "--columns")
    for column in LINK_COLUMNS:
        assert f"  {column.name} " in result.stdout
    docs = (REPO / "docs/exports.md").read_text(encoding="utf-8")
    from tracker.export.docs import exports_markdown

    assert docs == exports_markdown(), "docs/exports.md is out of date: run `tracker docs exports`"


def test_stdout_is_the_default(built_records):
    result = export(built_records, "claims")
    assert result.exit_code == 0 and result.stdout.startswith("claim_id,statement,")
    assert result.stderr == ""
