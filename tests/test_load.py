"""`tracker load` and the store: idempotence, sources, bad input that loses nothing."""

import gzip
import json
import shutil

import pytest

from tracker.core.errors import InputError
from tracker.papers.compress import decompress_raw
from tracker.papers.load import load_file, reparse
from tracker.papers.seed import load_seed

from .support.corpus import as_document, metapub_records


def table_counts(db):
    return {t: db[t].count for t in ("papers", "authors", "mesh_headings", "chemicals", "comments_corrections", "raw_records")}


def snapshot(db):
    return {t: list(db.query(f"select * from {t} order by 1, 2")) for t in
            ("papers", "authors", "mesh_headings", "chemicals", "comments_corrections")}


def test_load_stores_every_piece(db, fixtures):
    stats = load_file(db, fixtures / "biopython_entrez/pubmed4.xml")
    assert (stats.new, stats.updated, stats.unchanged) == (1, 0, 0)
    paper = db["papers"].get(27797938)
    assert paper["title"].startswith("Leucocyte telomere length")
    assert json.loads(paper["abstract_sections"])[0]["label"] == "OBJECTIVE"
    assert paper["record_source"] == "pubmed-xml" and paper["is_seed"] == 0
    assert paper["first_seen"] == paper["last_updated"]
    assert db["authors"].count_where("pmid = 27797938") == 22
    assert db["mesh_headings"].count_where("pmid = 27797938 and major_topic = 1") >= 3
    assert db["comments_corrections"].count_where("pmid = 27797938 and ref_type = 'CommentIn'") == 1
    stored = db["raw_records"].get(27797938)
    raw = decompress_raw(stored["codec"], stored["compressed"])
    assert raw.startswith(b"<PubmedArticle") and b"TERT" in raw
    assert raw in (fixtures / "biopython_entrez/pubmed4.xml").read_bytes()  # the file's own bytes, not re-serialised


def test_loading_the_same_file_twice_changes_nothing(db, fixtures):
    paths = sorted((fixtures / "metapub_pmid_xml").glob("*.xml"))
    for path in paths:
        load_file(db, path)
    before = snapshot(db)
    second = [load_file(db, path) for path in paths]
    assert sum(s.new + s.updated for s in second) == 0
    assert sum(s.unchanged for s in second) == 164
    assert snapshot(db) == before


def test_gzip_and_medline_files(db, fixtures, tmp_path):
    gz = tmp_path / "pubmed7.xml.gz"
    gz.write_bytes(gzip.compress((fixtures / "biopython_entrez/pubmed7.xml").read_bytes()))
    assert load_file(db, gz).new == 1
    stats = load_file(db, fixtures / "biopython_medline/pubmed_result2.txt")
    assert stats.new == 4
    paper = db["papers"].get(16403221)
    assert paper["record_source"] == "medline"
    assert paper["doi"] == "10.1186/1471-2105-7-10"
    assert paper["pmcid"] == "PMC1373603"
    assert paper["abstract"].startswith("BACKGROUND: Benchmarking algorithms")
    authors = list(db.query("select last_name, fore_name, affiliations from authors where pmid = 16403221 order by position"))
    assert [a["last_name"] for a in authors] == ["Casbon", "Crooks", "Saqi"]
    assert "Queen Mary, University of London" in authors[0]["affiliations"]
    mesh = db.execute("select descriptor, major_topic, qualifiers from mesh_headings where pmid = 16403221 and descriptor = 'Information Storage and Retrieval'").fetchone()
    assert mesh[1] == 1 and json.loads(mesh[2]) == [{"ui": None, "name": "methods", "major": True}]


def test_a_newer_version_updates_and_keeps_first_seen(db, fixtures):
    load_file(db, fixtures / "klortho_eutils_samples/efetch.pubmed.xml")  # PMID 9997 as of 2013
    first = db["papers"].get(9997)
    stats = load_file(db, fixtures / "biopython_entrez/pubmed1.xml")  # PMID 9997 as of 2025
    assert stats.updated == 1
    second = db["papers"].get(9997)
    assert second["first_seen"] == first["first_seen"]
    assert second["content_hash"] != first["content_hash"]
    assert db["authors"].count_where("pmid = 9997") == 1


def test_medline_never_overwrites_xml(db, fixtures, tmp_path):
    load_file(db, fixtures / "biopython_medline/pubmed_result2.txt")
    medline_title = db["papers"].get(16403221)["title"]
    assert medline_title
    # An XML record is richer: loading MEDLINE after it keeps the XML record.
    load_file(db, fixtures / "biopython_entrez/pubmed4.xml")
    load_file(db, fixtures / "biopython_medline/pubmed_result2.txt")
    assert db["papers"].get(27797938)["record_source"] == "pubmed-xml"


def test_seed_is_replaced_by_the_full_record(db, fixtures, tmp_path):
    seed = tmp_path / "seed.tsv"
    seed.write_text(
        (fixtures.parent.parent.parent / "db/kratom_bibliography.tsv").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    stats = load_seed(db, seed)
    assert stats.new == 53
    row = db["papers"].get(21528385)
    assert row["is_seed"] == 1 and row["record_source"] == "seed"
    assert row["title"] == "Intrahepatic cholestasis following abuse of powdered kratom (Mitragyna speciosa)"
    assert (row["journal"], row["volume"], row["issue"], row["pages"]) == ("J Med Toxicol", "7", "3", "227-31")
    assert load_seed(db, seed).unchanged == 53  # idempotent
    assert db["seed_bibliography"].count == 53


def test_seed_never_overwrites_a_full_record(db, fixtures, tmp_path):
    load_file(db, fixtures / "biopython_entrez/pubmed4.xml")
    seed = tmp_path / "seed.tsv"
    seed.write_text("pmid\ttitle\tfirst_author\tjournal\tyear\tdoi\tkind\ttopics\tconfidence\tsource_url\tverification_note\n"
                    "27797938\tn/s\tn/s\tn/s\tn/s\t\tn/s\t0\tlow\tn/s\tn/s\n", encoding="utf-8")
    assert load_seed(db, seed).kept_richer == 1
    assert db["papers"].get(27797938)["is_seed"] == 0


def test_delete_citation_marks_the_paper(db, fixtures, tmp_path):
    load_file(db, fixtures / "biopython_entrez/pubmed4.xml")
    notice = tmp_path / "update.xml"
    notice.write_bytes(b"<PubmedArticleSet><DeleteCitation><PMID Version=\"1\">27797938</PMID></DeleteCitation></PubmedArticleSet>")
    assert load_file(db, notice).deleted == 1
    assert db["papers"].get(27797938)["deleted"] == 1
    assert load_file(db, notice).deleted == 0  # already marked


def test_reparse_rebuilds_columns_from_raw(db, fixtures):
    load_file(db, fixtures / "biopython_entrez/pubmed6.xml")
    load_file(db, fixtures / "biopython_medline/pubmed_result1.txt")
    before = snapshot(db)
    db.execute("update papers set title = 'damaged', content_hash = 'x' where pmid in (30108519, 12230038)")
    db.execute("delete from authors where pmid = 30108519")
    result = reparse(db)
    assert result.stats.updated == 2 and result.failures == []
    assert snapshot(db)["authors"] == before["authors"]
    assert db["papers"].get(30108519)["title"].startswith('A "Blood Relationship"')
    assert db["papers"].get(12230038)["title"] == "The Bio* toolkits--a brief overview."


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.xml", b"", "the file is empty"),
        ("blank.xml", b"  \n\n", "the file is empty"),
        ("page.xml", None, "this is an HTML page, not PubMed XML"),
        ("esearch.xml", None, "not PubMed's: its root element is <eSearchResult>"),
        ("truncated.xml", None, r"not well-formed XML at line \d+"),
        ("binary.bin", bytes(range(256)) * 4, "neither PubMed XML nor PubMed-format"),
        ("bad.nbib", b"PMID- 1\nTI  - ok\n\nhello world\n", "must start with 'PMID- '"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(db, fixtures, tmp_path, name, content, message):
    sources = {
        "page.xml": fixtures / "biopython_entrez/pubmed3.html",
        "esearch.xml": fixtures / "biopython_entrez/esearch2.xml",
        "truncated.xml": fixtures / "biopython_entrez/einfo4.xml",
    }
    path = tmp_path / name
    if content is None:
        shutil.copy(sources[name], path)
    else:
        path.write_bytes(content)
    load_file(db, fixtures / "biopython_entrez/pubmed4.xml")
    before = snapshot(db)
    with pytest.raises(InputError, match=message) as error:
        load_file(db, path)
    assert str(path) in str(error.value)
    assert snapshot(db) == before
    failed = list(db.query("select * from load_runs where status = 'failed'"))
    assert failed and failed[-1]["path"] == str(path)


def test_missing_file(db, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_file(db, tmp_path / "nope.xml")


def test_a_file_that_fails_midway_leaves_the_database_as_it_was(db, fixtures, tmp_path):
    records = metapub_records()[:40]
    document = as_document(records)
    # Cut inside the 31st record: 30 whole records precede the damage, in a file of 40.
    cut_at = document.index(records[30].xml) + len(records[30].xml) // 2
    path = tmp_path / "cut.xml"
    path.write_bytes(document[:cut_at])
    load_file(db, fixtures / "biopython_entrez/pubmed4.xml")
    before = table_counts(db)
    with pytest.raises(InputError, match=r"cut.xml: not well-formed XML at line \d+") as error:
        load_file(db, path, batch_size=10)  # three batches were written before the damage
    assert "truncated or corrupt" in str(error.value)
    assert table_counts(db) == before


def test_truncated_gzip(db, fixtures, tmp_path):
    data = gzip.compress(as_document(metapub_records()[:20]))
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cut.xml.gz"):
        load_file(db, path)
    assert db["papers"].count == 0


def test_non_utf8_medline(db, tmp_path, fixtures):
    text = (fixtures / "biopython_medline/pubmed_result1.txt").read_text(encoding="utf-8")
    path = tmp_path / "latin1.nbib"
    path.write_bytes(text.replace("overview", "overvi\u00e9w").encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_file(db, path)
    assert db["papers"].count == 0
