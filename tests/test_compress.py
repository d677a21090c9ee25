"""How raw records and abstracts are kept small: the zstd dictionary, its copy in the database, and an
older database brought up to date in place (sections nulled on open, raw records rewritten by reparse)."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner

from tracker.cli import cli
from tracker.core.database import open_db
from tracker.papers.compress import CODEC, DICTIONARY_PATH, compress_raw, decompress_raw, shipped_dictionary
from tracker.papers.load import load_file
from tracker.papers.parse import parse_record_xml

from .support.corpus import metapub_records

from tracker.bench.size import store_as_before  # the rewrite the size benchmark measures against
from tracker.papers.dictionary import LEFT_OUT, training_records

ROOT = Path(__file__).resolve().parent.parent


def rows(db, table):
    return list(db.query(f"SELECT * FROM {table} ORDER BY 1, 2"))


def test_the_committed_dictionary_is_what_the_shared_fixtures_build():
    shared = ROOT.parent / "shared" / "fixtures" / "pubmed"
    if not shared.is_dir():
        pytest.skip("../shared is not beside the checkout")
    done = subprocess.run([sys.executable, "-m", "tracker.papers.dictionary", "--check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dictionary_never_saw_the_benchmark_records_and_still_makes_them_smaller():
    shared = ROOT.parent / "shared" / "fixtures" / "pubmed"
    if shared.is_dir():
        trained_on = training_records(shared)
        assert LEFT_OUT == "metapub_pmid_xml" and len(trained_on) >= 10
        measured = {record.xml for record in metapub_records()}
        assert not measured & set(trained_on)
    measured = [record.xml for record in metapub_records()]
    plain = zstandard.ZstdCompressor(level=1)
    with_dictionary = sum(len(compress_raw(raw)) for raw in measured)
    without = sum(len(plain.compress(raw)) for raw in measured)
    assert with_dictionary < 0.95 * without
    assert all(decompress_raw(CODEC, compress_raw(raw)) == raw for raw in measured)


def test_the_database_keeps_the_dictionary_and_plain_zstd_reads_a_record_with_it(db, fixtures, tmp_path):
    load_file(db, fixtures / "biopython_entrez/pubmed4.xml")
    (dict_id, dictionary), = db.execute("SELECT dict_id, dictionary FROM raw_dictionaries").fetchall()
    assert dictionary == DICTIONARY_PATH.read_bytes() and dict_id == shipped_dictionary().dict_id()
    codec, blob = db.execute("SELECT codec, compressed FROM raw_records WHERE pmid = 27797938").fetchone()
    assert codec == CODEC and zstandard.get_frame_parameters(blob).dict_id == dict_id
    # The zstd command-line tool, given only what the database holds, gives back the file's bytes.
    (tmp_path / "dict").write_bytes(dictionary)
    (tmp_path / "record.zst").write_bytes(blob)
    done = subprocess.run(["zstd", "-q", "-d", "-D", str(tmp_path / "dict"), "-c", str(tmp_path / "record.zst")],
                          capture_output=True)
    if done.returncode == 127:
        pytest.skip("no zstd command")
    assert done.returncode == 0 and done.stdout in (fixtures / "biopython_entrez/pubmed4.xml").read_bytes()


def test_a_frame_naming_an_unknown_dictionary_is_refused_clearly():
    other = zstandard.ZstdCompressionDict(zstandard.train_dictionary(
        4096, [record.xml for record in metapub_records()[:40]]).as_bytes())
    blob = zstandard.ZstdCompressor(dict_data=other).compress(metapub_records()[0].xml)
    with pytest.raises(ValueError, match=f"dictionary {other.dict_id()}, which this version"):
        decompress_raw(CODEC, blob)


def test_only_labelled_sections_are_stored(db, fixtures):
    for path in sorted((fixtures / "metapub_pmid_xml").glob("*.xml")):
        load_file(db, path)
    stored = db.execute("SELECT p.pmid, p.abstract, p.abstract_sections, r.codec, r.compressed "
                        "FROM papers p JOIN raw_records r ON r.pmid = p.pmid WHERE p.abstract IS NOT NULL").fetchall()
    kept = 0
    for pmid, abstract, sections, codec, blob in stored:
        parsed = parse_record_xml(decompress_raw(codec, blob)).paper["abstract_sections"]
        if any(part["label"] or part["nlm_category"] for part in parsed):
            assert json.loads(sections) == parsed  # every section, its text as the abstract has it
            kept += 1
        else:  # the abstract is the one section: its text is not kept twice
            assert sections is None and abstract == "\n\n".join(part["text"] for part in parsed)
    assert 0 < kept < len(stored)


def test_an_older_database_upgrades_in_place_and_reparse_makes_it_smaller(db_path, fixtures):
    db = open_db(db_path)
    for path in sorted((fixtures / "metapub_pmid_xml").glob("*.xml")):
        load_file(db, path)
    current = {table: rows(db, table) for table in ("papers", "authors", "mesh_headings")}
    db.close()
    raws = store_as_before(db_path)
    connection = sqlite3.connect(db_path)
    assert connection.execute("SELECT count(*) FROM papers WHERE abstract IS NOT NULL AND "
                              "abstract_sections IS NULL").fetchone() == (0,)
    connection.close()

    db = open_db(db_path)  # opening rewrites the sections as this version keeps them
    assert {table: rows(db, table) for table in current} == current
    assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
    db.close()

    before = db_path.stat().st_size
    result = CliRunner().invoke(cli, ["--db", str(db_path), "reparse", "--vacuum"])
    assert result.exit_code == 0, result.output
    assert "164 raw records rewritten in the current codec" in result.output
    assert "0 changed" in result.output and "Vacuumed" in result.output
    db = open_db(db_path)
    assert {table: rows(db, table) for table in current} == current
    stored = db.execute("SELECT pmid, codec, compressed FROM raw_records").fetchall()
    assert {codec for _, codec, _ in stored} == {CODEC}
    assert {pmid: decompress_raw(codec, blob) for pmid, codec, blob in stored} == raws
    assert db_path.stat().st_size < 0.9 * before
    db.close()
