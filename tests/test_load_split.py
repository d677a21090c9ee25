"""The fast path of `tracker load` (records cut from the file and parsed by worker processes)
against the streaming parser: the same rows from every fixture record, the same refusals, and
raw records kept as the exact bytes of the file."""

import gzip
import sqlite3

import pytest

from tracker.core.database import open_db
from tracker.core.errors import InputError
from tracker.papers import load, split
from tracker.papers.compress import CODEC, decompress_raw
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
        assert codec == CODEC and raw in everything
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
@pytest.mark.parametrize("compressed", [True, False])  # plain files are cut by offsets, gzip ones by reading
def test_what_the_fast_path_is_not_sure_of_is_read_by_the_streaming_parser(tmp_path, damage, reason, compressed):
    records = metapub_records()[:30]
    document = damage(as_document(records))
    path = tmp_path / ("damaged.xml.gz" if compressed else "damaged.xml")
    path.write_bytes(gzip.compress(document) if compressed else document)
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
    assert codec == CODEC and decompress_raw(codec, blob) == raw


def cut_both_ways(path, run_bytes):
    """What record_runs reads from the file and what record_ranges names by offset: each the
    records' bytes in file order and how many runs (they may cut at other records), or the refusal."""
    content = path.read_bytes()

    def attempt(cut):
        try:
            runs = list(cut())
        except split.NotSplittable as error:
            return f"not splittable: {error}"
        assert all(run.rstrip().endswith(tuple(split._RECORD_END.values())) for run in runs)
        return b"".join(runs), len(runs)

    with open(path, "rb") as handle:
        read = attempt(lambda: split.record_runs(handle, run_bytes))
    ranged = attempt(lambda: (content[a:b] for a, b in split.record_ranges(str(path), run_bytes)))
    return read, ranged


def test_runs_cut_by_offsets_are_the_runs_read_from_the_file(fixtures, tmp_path):
    plain = [f for f in xml_fixtures(fixtures) if f.name.endswith(".xml")]
    cut = 0
    for file in plain:
        for run_bytes in (5_000, 40_000, 2 << 20):
            read, ranged = cut_both_ways(file, run_bytes)
            assert ranged[0] == read[0] if isinstance(read, tuple) else ranged == read, file.name
            if isinstance(read, tuple) and run_bytes == 5_000:
                assert ranged[1] >= read[1] > 0  # runs no larger than asked for, where record_runs reads on
            cut += isinstance(read, tuple)
    assert cut > 30  # most fixture files are cut, some are refused alike
    # a record larger than a run, a file cut short, and a file with nothing after its last record
    document = as_document(metapub_records()[:5])
    for name, content in (("large.xml", document), ("short.xml", document[:-40]),
                          ("open.xml", document.replace(b"</PubmedArticleSet>", b""))):
        (tmp_path / name).write_bytes(content)
        read, ranged = cut_both_ways(tmp_path / name, 100)
        if isinstance(read, str):
            assert ranged == read, name  # refused alike, for the same reason
        else:
            assert ranged[0] == read[0] and ranged[1] == 5  # a run per record, each larger than the run size
