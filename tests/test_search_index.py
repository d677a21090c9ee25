"""The papers' full-text index reads its text from the papers (an external-content FTS5 table):
it keeps no copy, stays exact when a paper's text changes, and an older database's index, which
kept its own copy, is replaced and rebuilt when the database is opened."""

import re

from tracker.core.database import open_db
from tracker.link.index import refresh_index
from tracker.papers.load import load_file

from .support.corpus import as_document


def matches(db, query):
    return {row[0] for row in db.execute("SELECT rowid FROM paper_search WHERE paper_search MATCH ?", [query])}


def integrity_check(db):
    # rank 1: the index is also checked against the text it reads from the papers
    db.execute("INSERT INTO paper_search (paper_search, rank) VALUES ('integrity-check', 1)")


def test_a_changed_paper_is_found_by_its_new_words_only_and_the_index_stays_exact(tmp_path, records):
    first, other = records[0], records[1]
    title = lambda xml: re.search(rb"<ArticleTitle>(.*?)</ArticleTitle>", xml, re.S).group(1)  # noqa: E731
    old_word = "eroticism"
    assert old_word.encode() in title(first.xml).lower() and old_word.encode() not in title(other.xml).lower()
    db = open_db(tmp_path / "tracker.db")
    path = tmp_path / "v1.xml"
    path.write_bytes(as_document([first]))
    load_file(db, path)
    assert refresh_index(db) == 1 and matches(db, old_word) == {first.pmid}
    # A revision of the record whose title is now the other record's: the store unindexes it first.
    revised = first.xml.replace(title(first.xml), title(other.xml))
    path.write_bytes(as_document([type(first)(first.pmid, revised, first.created, first.modified)]))
    assert load_file(db, path).updated == 1
    assert matches(db, old_word) == set()
    assert refresh_index(db) == 1
    assert matches(db, old_word) == set()
    new_word = re.findall(rb"[a-z]{8,}", title(other.xml).lower())[0].decode()
    assert first.pmid in matches(db, new_word)
    integrity_check(db)
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'paper_search_content'").fetchone()[0] == 0


def test_an_older_databases_index_with_its_own_copy_is_replaced_and_rebuilt(tmp_path, records):
    path = tmp_path / "tracker.db"
    db = open_db(path)
    document = tmp_path / "some.xml"
    document.write_bytes(as_document(records[:20]))
    load_file(db, document)
    refresh_index(db)
    expected = matches(db, "liver OR kratom OR mitragynine OR patients")
    assert expected
    with db.atomic():  # as an earlier version made it: the index keeps its own copy of the text
        db.execute("DROP TABLE paper_search")
        db.execute("CREATE VIRTUAL TABLE paper_search USING fts5(title, abstract, mesh, keywords, "
                   "tokenize = 'porter unicode61 remove_diacritics 2')")
        db.execute("INSERT INTO paper_search (rowid, title, abstract, mesh, keywords) "
                   "SELECT pmid, title, abstract, mesh, keywords FROM paper_search_source")
    db.close()
    upgraded = open_db(path)
    sql = upgraded.execute("SELECT sql FROM sqlite_master WHERE name = 'paper_search'").fetchone()[0]
    assert "content = 'paper_search_source'" in sql and not upgraded["paper_search_content"].exists()
    assert matches(upgraded, "liver OR kratom OR mitragynine OR patients") == expected
    assert refresh_index(upgraded) == 0  # known to be current
    integrity_check(upgraded)
