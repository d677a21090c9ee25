"""Related and citing papers from PubMed (ELink) for the papers a person decided on, against the local
E-utilities server answering with real recorded ELink responses."""

import json
from pathlib import Path

import pytest
import yaml

from tracker.link import related as related_module

from .support.eutils_env import env_for

FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"
ELINK1 = FIXTURES / "biopython_entrez" / "elink1.xml"  # links of PMID 9298984
CASSETTE = FIXTURES / "biocommons_eutils_cassettes" / "test_elink.yaml"  # links of PMID 1234567


def cassette_body() -> bytes:
    exchange = next(i for i in yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))["interactions"]
                    if i["request"]["uri"].endswith("elink.fcgi"))
    return exchange["response"]["body"]["string"].encode("utf-8")


def recorded_links(xml: bytes, source: int, linkname: str) -> list[int]:
    from lxml import etree

    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True))
    for link_set in root.iter("LinkSet"):
        if [int(i.text) for i in link_set.findall("IdList/Id")] == [source]:
            for db in link_set.findall("LinkSetDb"):
                if db.findtext("LinkName") == linkname:
                    return [int(i.text) for i in db.findall("Link/Id") if int(i.text) != source]
    return []


@pytest.fixture
def decided(run, db, tmp_path, fake):
    """Decisions (test state only) about the two PMIDs whose ELink answers were recorded."""
    assert fake.add_link_sets(ELINK1.read_bytes()) == [9298984]
    assert fake.add_link_sets(cassette_body()) == [1234567]
    assert run("claims", "load").exit_code == 0
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("claim_id,pmid,stance,note,reviewer,date\n"
                         "liver-injury-long-term,9298984,supports,,test,2026-11-21\n"
                         "drug-interactions,1234567,mentions,,test,2026-11-21\n"
                         "analgesic,1234567,unrelated,,test,2026-11-21\n", encoding="utf-8")
    assert run("curate", decisions).exit_code == 0
    return db


def test_links_of_decided_papers_are_recorded_with_how_they_were_found(decided, run, fake):
    result = run("related", env=env_for(fake))
    assert result.exit_code == 0, result.output
    rows = list(decided.query("SELECT * FROM candidate_sources ORDER BY claim_id, source, via_pmid, pmid"))
    by = {}
    for row in rows:
        by.setdefault((row["claim_id"], row["source"], row["via_pmid"]), []).append(row["pmid"])
    elink1 = ELINK1.read_bytes()
    related = recorded_links(elink1, 9298984, "pubmed_pubmed")[:20]
    citing = recorded_links(elink1, 9298984, "pubmed_pubmed_citedin")[:50]
    assert sorted(by[("liver-injury-long-term", "related", 9298984)]) == sorted(related)
    assert sorted(by[("liver-injury-long-term", "cited-by", 9298984)]) == sorted(citing)
    assert sorted(by[("drug-interactions", "related", 1234567)]) == sorted(
        recorded_links(cassette_body(), 1234567, "pubmed_pubmed")[:20])
    # An 'unrelated' decision is no source of candidates.
    assert not [k for k in by if k[0] == "analgesic"]
    # Each decided paper was asked once per link name, and the records not stored were asked for by id.
    asked = [(e.params["linkname"], tuple(e.params["id"])) for e in fake.requests("elink")]
    assert sorted(asked) == [("pubmed_pubmed", ("1234567", "9298984")), ("pubmed_pubmed_citedin", ("1234567", "9298984"))]
    fetched = {int(p) for e in fake.requests("efetch") for p in e.params["id"].split(",")}
    assert fetched == {r["pmid"] for r in rows}
    assert "linked PMIDs returned no record" in result.output  # none of them is among the fixture records
    # Asked again within 30 days: nothing is sent.
    before = len(fake.requests("elink"))
    assert run("related", env=env_for(fake)).exit_code == 0
    assert len(fake.requests("elink")) == before


def test_many_decided_papers_are_asked_in_batches(decided, run, fake, monkeypatch):
    monkeypatch.setattr(related_module, "IDS_PER_REQUEST", 1)
    monkeypatch.setattr(related_module, "RECORDS_PER_REQUEST", 25)
    assert run("related", env=env_for(fake)).exit_code == 0
    assert [tuple(e.params["id"]) for e in fake.requests("elink")] == [("1234567",), ("9298984",)] * 2
    sizes = [len(e.params["id"].split(",")) for e in fake.requests("efetch")]
    distinct = decided.execute("SELECT count(DISTINCT pmid) FROM candidate_sources").fetchone()[0]
    assert len(sizes) > 1 and max(sizes) <= 25 and sum(sizes) == distinct


def test_elink_failures_are_retried_and_nothing_half_written(decided, run, fake):
    fake.fault("elink", "500", times=2)
    fake.fault("elink", "truncate", times=1, after=0)
    result = run("related", env=env_for(fake))
    assert result.exit_code == 0, result.output
    statuses = [e.status for e in fake.requests("elink")]
    assert statuses.count(500) == 2 and len(fake.requests("elink")) == 5  # 3 faults, then both link names
    assert decided["candidate_sources"].count > 0
    # A failure that outlasts the retries stops the run with one line and keeps the batches already stored.
    decided.execute("DELETE FROM related_checks")
    decided.conn.commit()
    fake.fault("elink", "500", times=-1, after=1)
    failed = run("related", env=env_for(fake, TRACKER_BACKOFF_SECONDS="0.01"))
    assert failed.exit_code == 1 and "elink.fcgi failed after 6 tries" in failed.output
    checks = list(decided.query("SELECT linkname, count(*) AS n FROM related_checks GROUP BY linkname"))
    assert checks == [{"linkname": "pubmed_pubmed", "n": 2}]  # the first batch, whole; the second never half


def test_a_related_paper_in_the_database_becomes_a_candidate(decided, run, fake, tmp_path, records):
    # A fixture record linked (test state) as related to a decided paper: the linker ranks it as "related".
    from .support.corpus import as_document

    paper = records[0]
    path = tmp_path / "one.xml"
    path.write_bytes(as_document([paper]))
    assert run("load", path).exit_code == 0
    decided["candidate_sources"].insert({"claim_id": "liver-injury-long-term", "pmid": paper.pmid, "source": "related",
                                         "via_pmid": 9298984, "found_at": "2026-11-21T00:00:00Z"})
    decided.conn.commit()
    assert run("link", "--no-semantic", "--claim", "liver-injury-long-term").exit_code == 0
    row = next(decided.query("SELECT * FROM claim_evidence WHERE claim_id = 'liver-injury-long-term' AND pmid = ?",
                             [paper.pmid]))
    assert "related" in json.loads(row["methods"]) and row["suggested_stance"] and row["relevant"] in (0, 1)
