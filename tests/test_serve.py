"""Datasette pages, through Datasette's own ASGI client, on a database built the way scripts/run builds it."""

import re
from pathlib import Path

import pytest

from tracker.serve.datasette import datasette_args, metadata_for

from .support.built import built  # noqa: F401  (a fixture)
from .support.serving import get

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("url", [
    "/", "/tracker", "/tracker/claims", "/tracker/papers", "/tracker/articles", "/tracker/article_sentences",
    "/tracker/claim_evidence", "/tracker/claim_summary", "/tracker/claim_papers", "/tracker/curation",
    "/tracker/evidence_board", "/tracker/contested_claims", "/tracker/no_human_evidence",
    "/tracker/retracted_links", "/tracker/new_papers", "/tracker/new_links",
    "/tracker/evidence_per_year?claim=liver-protective",
])
def test_every_page_and_canned_query_answers(built, url):
    response = get(built, url)
    assert response.status_code == 200, url


def test_evidence_board_shows_the_liver_claim_contradicted(built):
    rows = get(built, "/tracker/evidence_board.json?_shape=array").json()
    liver = next(r for r in rows if r["claim_id"] == "liver-protective")
    assert liver["contradicts"] == 8 and liver["flags"] == "contradicted by human evidence"
    assert len(rows) == 29


def test_full_text_search_over_papers(built):
    rows = get(built, "/tracker/papers.json?_search=cholestasis&_shape=array").json()
    assert rows and all("cholesta" in r["title"].lower() for r in rows)


def test_descriptions_reach_the_pages(built):
    page = get(built, "/tracker/claims").text
    assert "The canonical claims, curated in db/claims.yml" in page


def test_markup_in_titles_is_shown_as_text(built):
    import sqlite_utils

    db = sqlite_utils.Database(built)
    hostile = 'Kratom <script>alert("x")</script><img src=x onerror=alert(1)> case'
    db["papers"].update(21528385, {"title": hostile})  # test state only: what a hostile record would hold
    db.close()
    for url in ("/tracker/papers/21528385", "/tracker/claims/liver-protective", "/tracker/claim_evidence?pmid=21528385"):
        page = get(built, url).text
        assert "<script>alert" not in page and "<img src=x onerror" not in page, url
        assert "&lt;script&gt;alert" in page, url


def test_writes_are_refused(built):
    response = get(built, "/tracker?sql=delete+from+claims")
    assert "Statement must be a SELECT" in response.text


def test_serve_arguments_name_the_metadata_for_the_database(tmp_path):
    data = metadata_for(tmp_path / "other.db", REPO / "db/metadata.yml")
    assert "other" in data["databases"] and "tracker" not in data["databases"]
    args = datasette_args(tmp_path / "other.db", "127.0.0.1", 8001, REPO / "db/metadata.yml")
    assert args[:2] == ["serve", str(tmp_path / "other.db")] and "--metadata" in args
    assert "sql_time_limit_ms" in args


def test_atom_feed_of_new_links_reads_in_a_feed_reader_and_links_to_claim_pages(built):
    import feedparser

    response = get(built, "/tracker/new_links.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.entries
    first = feed.entries[0]
    assert first.id.startswith("tag:kratom-claims-tracker:")
    assert first.title.startswith('Newly linked to "') and "[" not in first.title  # words, not a claim id
    assert re.match(r"http://localhost/tracker/claims/[a-z0-9-]+#pmid-[0-9]+$", first.link), first.link
    assert "https://pubmed.ncbi.nlm.nih.gov/" in first.summary  # the paper itself is one click away


def test_evidence_per_year_for_a_claim(built):
    rows = get(built, "/tracker/evidence_per_year.json?claim=liver-protective&_shape=array").json()
    assert rows and sum(r["contradicts"] for r in rows) == 8
    assert [r["year"] for r in rows] == sorted(r["year"] for r in rows)
    page = get(built, "/tracker/evidence_per_year?claim=liver-protective").text
    assert "datasette-vega" in page or "vega" in page


def test_claim_page_shows_article_quotes_and_the_evidence_table(built):
    page = get(built, "/tracker/claims/liver-protective").text
    assert "Kratom has liver-protective (hepatoprotective) properties." in page
    assert "<mark>It has liver-protective properties but requires careful use" in page
    assert '<p class="grade"><span class="label">Contradicted</span> · <span class="certainty">certainty: ' in page
    assert "Contradicted by 7 human case series and case reports and 1 narrative review; no supporting study" in page
    assert "<li>Starts very low: the strongest decided evidence is 2 human case series, of 8 decided papers</li>" in page
    assert "<strong>8 decided, 1 suggested, 9 candidates</strong>" in page
    assert "no supporting study" in page
    assert "https://pubmed.ncbi.nlm.nih.gov/34055525/" in page and "contradicts" in page
    assert "https://doi.org/10.7759/cureus.14679" in page


def test_article_page_marks_its_claims(built):
    page = get(built, "/tracker/articles/004_8b1ffd36f2c9c437").text
    assert 'class="claim-sentence" href="/tracker/claims/liver-protective"' in page
    assert "Kratom Effects on Liver: What Research Says" in page


def test_paper_page_lists_its_claims(built):
    page = get(built, "/tracker/papers/34055525").text
    assert "Claims this paper bears on" in page and "/tracker/claims/liver-protective" in page


def test_home_page_says_how_fresh_the_data_is(built):
    page = get(built, "/").text
    assert "Last successful PubMed sync" in page and "never" in page
    assert "<h2>The claims (29)</h2>" in page and page.count('href="/tracker/claims/') >= 29
    assert '<a href="/tracker/digest.atom">Atom feed</a>' in page
    assert get(built, "/tracker/digest").status_code == 200


def test_every_table_and_column_is_described(built):
    import sqlite3

    data = metadata_for(built, REPO / "db/metadata.yml")
    tables = data["databases"]["tracker"]["tables"]
    connection = sqlite3.connect(built)
    names = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'paper_search%' AND name NOT LIKE 'claims_fts%'")]
    undescribed_tables = [t for t in names if not tables.get(t, {}).get("description")]
    undescribed_columns = [f"{t}.{c[1]}" for t in names for c in connection.execute(f"PRAGMA table_info([{t}])")
                           if c[1] not in tables.get(t, {}).get("columns", {})]
    assert undescribed_tables == [] and undescribed_columns == []


def test_full_text_search_over_claims(built):
    rows = get(built, "/tracker/claims.json?_search=hepatoprotective&_shape=array").json()
    assert [r["id"] for r in rows] == ["liver-protective"]


def test_feeds_of_a_fresh_install_are_valid_empty_atom(tmp_path):
    from click.testing import CliRunner
    from lxml import etree

    from tracker.cli import cli

    fresh = tmp_path / "tracker.db"
    assert CliRunner().invoke(cli, ["--db", str(fresh), "init"]).exit_code == 0
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for feed in ("digest", "new_links"):
        response = get(fresh, f"/tracker/{feed}.atom")
        assert response.status_code == 200, (feed, response.text[:300])
        assert response.headers["content-type"].startswith("application/atom+xml")
        root = etree.fromstring(response.content)
        assert root.tag == "{http://www.w3.org/2005/Atom}feed" and root.findall("a:entry", ns) == []
        assert root.findtext("a:updated", namespaces=ns) and root.findtext("a:title", namespaces=ns)


def test_the_papers_page_stays_flat_with_size_no_suggested_facets_and_is_seed_read_from_an_index(db):
    from tracker.serve.datasette import SETTINGS

    # Suggested facets probe every column of the table (a scan each); the facets metadata.yml names stay
    assert SETTINGS["suggest_facets"] is False
    plan = " ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN SELECT count(*) FROM papers WHERE is_seed = 1"))
    assert "USING COVERING INDEX idx_papers_is_seed" in plan


def test_table_counts_are_counted_once_until_the_database_changes(db_path, db):
    import asyncio

    from tracker.serve.datasette import make_datasette

    db["papers"].insert_all([{"pmid": pmid, "title": f"record {pmid}"} for pmid in (1, 2)])
    datasette = make_datasette(db_path)
    asyncio.run(datasette.invoke_startup())
    served = datasette.get_database("tracker")
    counted = []
    execute = served.execute

    async def watched(sql, *args, **kwargs):
        counted.append(sql)
        return await execute(sql, *args, **kwargs)

    served.execute = watched
    first = asyncio.run(served.table_counts(5))
    asked = len(counted)
    assert first["papers"] == 2 and asked >= len(first)  # one count per table
    assert asyncio.run(served.table_counts(5)) == first and len(counted) == asked  # nothing counted again
    db["papers"].insert({"pmid": 3, "title": "record 3"})  # a commit: counted afresh
    assert asyncio.run(served.table_counts(5))["papers"] == 3 and len(counted) > asked
