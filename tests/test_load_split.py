"""The fast path of `tracker load` (records cut from the file and parsed by worker processes)
against the streaming parser: the same rows from every fixture record, the same refusals, and
raw records kept as the exact bytes of the file."""

import gzip
import sqlite3

import pytest

from tracker.core.database import open_db
from tracker.core.errors import InputError
from tracker.papers import load, split
from tracker.papers.compress import decompress_raw
from tracker.papers.load import load_file, reparse
from tracker.papers.parse import parse_record_xml

from .support.corpus import as_document, metapub_records
from .support.stored import stored_rows

TABLES = ("papers", "authors", "mesh_headings", "chemicals", "comments_corrections", "paper_evidence")


def xml_fixtures(fixtures):
    return sorted(p for p in fixtures.rglob("*") if p.is_file() and p.name.endswith((".xml", ".xml.gz")))


def rows(db):
    return stored_rows(db, TABLES)


def load_all(path, files, **options):
    db = open_db(path)
    refusals = {}
    for file in files:
        try:
            load_file(db, file, **options)
        except InputError as error:
            refusals[file.name] = str(error)
    return db, refusals


def test_parallel_and_single_process_paths_store_the_same_rows_as_the_streaming_parser(fixtures, tmp_path,
                                                                                      monkeypatch):
    files = xml_fixtures(fixtures)
    assert len(files) > 20
    monkeypatch.setattr(split, "RUN_BYTES", 40_000)  # many runs per file, so workers share every file
    streaming, refused = load_all(tmp_path / "streaming.db", files, split=False)
    read_by_streaming = []
    original = load.iter_file_records
    monkeypatch.setattr(load, "iter_file_records", lambda path: read_by_streaming.append(path.name) or original(path))
    single, refused_single = load_all(tmp_path / "single.db", files, workers=1)
    monkeypatch.setattr(load, "iter_file_records", original)
    # The fast path read every file but those refused (the streaming parser says why) and those without records
    contents = {f.name: gzip.decompress(f.read_bytes()) if f.name.endswith(".gz") else f.read_bytes() for f in files}
    without_records = {name for name, content in contents.items()
                       if not any(tag in content for tag in (b"<PubmedArticle>", b"<PubmedBookArticle>"))}
    assert set(read_by_streaming) - set(refused) == without_records - set(refused) == {"37909814.xml"}
    parallel, refused_parallel = load_all(tmp_path / "parallel.db", files, workers=2)
    assert streaming["papers"].count > 150 and refused  # real records, and files both paths refuse
    assert refused_single == refused == refused_parallel  # refused alike, with the same file and line
    expected = rows(streaming)
    assert rows(single) == expected
    assert rows(parallel) == expected


def test_raw_records_are_the_files_bytes_and_parse_back_to_the_same_rows(fixtures, db):
    path = fixtures / "metapub_pmid_xml"
    files = sorted(path.glob("*.xml"))
    for file in files:
        load_file(db, file, workers=2)
    before = rows(db)
    everything = b"".join(file.read_bytes() for file in files)
    for pmid, codec, blob in db.execute("SELECT pmid, codec, compressed FROM raw_records"):
        raw = decompress_raw(codec, blob)
        assert codec == "zstd" and raw in everything
        assert parse_record_xml(raw).pmid == pmid
    result = reparse(db)
    assert result.stats.unchanged == db["papers"].count and not result.failures
    assert rows(db) == before


@pytest.mark.parametrize("damage, reason", [
    (lambda doc: doc.replace(b"</PubmedArticle>\n<PubmedArticle>", b"</PubmedArticle>\n<!-- a note -->\n<PubmedArticle>", 1),
     None),  # the fast path gives up on a comment between records; the streaming parser reads it
    (lambda doc: doc[: len(doc) // 2], "not well-formed XML at line"),
    (lambda doc: doc.replace(b"<ArticleTitle>", b"<ArticleTitle><b>", 1), "not well-formed XML at line"),
    (lambda doc: doc + b"<PubmedArticleSet/>", "not well-formed XML at line"),
])
def test_what_the_fast_path_is_not_sure_of_is_read_by_the_streaming_parser(tmp_path, damage, reason):
    records = metapub_records()[:30]
    path = tmp_path / "damaged.xml.gz"
    path.write_bytes(gzip.compress(damage(as_document(records))))
    fast, slow = open_db(tmp_path / "fast.db"), open_db(tmp_path / "slow.db")
    if reason is None:
        assert load_file(fast, path, workers=2).new == 30 == load_file(slow, path, split=False).new
        assert rows(fast) == rows(slow)
        return
    with pytest.raises(InputError) as fast_error:
        load_file(fast, path, workers=2)
    with pytest.raises(InputError) as slow_error:
        load_file(slow, path, split=False)
    assert reason in str(fast_error.value) and str(fast_error.value) == str(slow_error.value)
    assert str(path) in str(fast_error.value)
    assert fast["papers"].count == 0 and fast["raw_records"].count == 0  # nothing half-written


def test_an_older_database_with_zlib_records_is_read_and_recompressed_by_reparse(fixtures, db_path):
    import zlib

    db = open_db(db_path)
    load_file(db, fixtures / "biopython_entrez/pubmed4.xml")
    (raw,) = [decompress_raw(c, b) for c, b in db.execute("SELECT codec, compressed FROM raw_records")]
    with sqlite3.connect(db_path) as connection:  # as an earlier version stored it
        connection.execute("UPDATE raw_records SET compressed = ?, codec = NULL", [zlib.compress(raw, 1)])
    result = reparse(db)
    assert not result.failures and result.stats.unchanged == 1
    codec, blob = db.execute("SELECT codec, compressed FROM raw_records").fetchone()
    assert codec == "zstd" and decompress_raw(codec, blob) == raw
