"""Real PubMed records from tests/fixtures, as raw XML elements with their real dates.

Used by the fake E-utilities server and by the benchmarks. `copies` makes more records
than the fixtures hold by re-issuing real records under PMIDs from COPY_PMID_BASE up,
far above any real PMID, so a copy can never pass for a real paper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pubmed"
COPY_PMID_BASE = 900_000_000
XML_HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)
XML_TAIL = b"</PubmedArticleSet>\n"


@dataclass
class CorpusRecord:
    pmid: int
    xml: bytes  # one <PubmedArticle> element
    created: date  # the record's entrez date, standing for CRDT
    modified: date  # its DateRevised, standing for MDAT


def _date(elem) -> date | None:
    if elem is None:
        return None
    try:
        return date(int(elem.findtext("Year")), int(elem.findtext("Month")), int(elem.findtext("Day")))
    except (TypeError, ValueError):
        return None


def record_from_element(elem) -> CorpusRecord:
    pmid = int(elem.findtext("MedlineCitation/PMID"))
    created = None
    for pub_date in elem.findall("PubmedData/History/PubMedPubDate"):
        if pub_date.get("PubStatus") == "entrez":
            created = _date(pub_date)
    modified = _date(elem.find("MedlineCitation/DateRevised")) or created
    created = created or modified or date(2000, 1, 1)
    return CorpusRecord(pmid, etree.tostring(elem, encoding="utf-8"), created, modified or created)


def records_in(path: Path) -> list:
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    return [record_from_element(e) for e in tree.getroot().findall("PubmedArticle")]


def metapub_records() -> list:
    """The 164 real records of the metapub fixture set (one file is an empty result set)."""
    records = []
    for path in sorted((FIXTURES / "metapub_pmid_xml").glob("*.xml")):
        records.extend(records_in(path))
    return records


def copies(records: list, count: int, start: int = 0) -> list:
    """`count` records cycling through `records`, re-issued under PMIDs COPY_PMID_BASE+start+1 on."""
    result = []
    for index in range(start, start + count):
        source = records[index % len(records)]
        pmid = COPY_PMID_BASE + index + 1
        xml = re.sub(rb"<PMID Version=\"(\d+)\">\d+</PMID>", rb'<PMID Version="\1">%d</PMID>' % pmid, source.xml, count=1)
        xml = re.sub(rb'(<ArticleId IdType="pubmed">)\d+(</ArticleId>)', rb"\g<1>%d\g<2>" % pmid, xml, count=1)
        result.append(CorpusRecord(pmid, xml, source.created, source.modified))
    return result


def as_document(records: list) -> bytes:
    return XML_HEAD + b"\n".join(r.xml for r in records) + b"\n" + XML_TAIL
