"""Build tracker/papers/pubmed.zdict, the zstd dictionary raw records are compressed with.

It is trained on the real PubMed records in ../shared/fixtures/pubmed (and its recorded EFetch
responses), leaving out metapub_pmid_xml: those are the records `tracker bench size` and
`tracker bench load` measure, so the dictionary is measured on records it never saw. Training is
deterministic: the same records give the same bytes (tests/test_compress.py checks the committed file).

    .venv/bin/python -m tracker.papers.dictionary [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]  # the checkout; ../shared sits beside it
FIXTURES = ROOT.parent / "shared" / "fixtures" / "pubmed"
LEFT_OUT = "metapub_pmid_xml"  # the benchmarks' records
_RECORD = ("PubmedArticle", "PubmedBookArticle")


def _records_in(document: bytes) -> list[tuple[str, bytes]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError:
        return []  # a fixture that is deliberately broken, or not PubMed XML
    found = []
    for element in root.iter(*_RECORD):
        pmid = element.findtext("MedlineCitation/PMID") or element.findtext("BookDocument/PMID")
        found.append((pmid, etree.tostring(element, encoding="utf-8")))
    return found


def training_records(fixtures: Path = FIXTURES) -> list[bytes]:
    """Each distinct real record in the fixtures but the benchmarks', once."""
    documents = [p.read_bytes() for p in sorted(fixtures.rglob("*.xml")) if LEFT_OUT not in p.parts]
    for cassette in sorted(fixtures.rglob("*.yaml")):  # recorded responses keep their bodies as text
        documents += [m.group(0).encode() for m in re.finditer(
            r"<PubmedArticleSet>.*?</PubmedArticleSet>", cassette.read_text(encoding="utf-8"), re.S)]
    records: dict[str, bytes] = {}
    for document in documents:
        for pmid, record in _records_in(document):
            records.setdefault(pmid, record)
    return list(records.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="Only say whether the committed file is what the "
                        "fixtures build; exit 1 if not.")
    args = parser.parse_args()
    from .compress import DICTIONARY_PATH, train_dictionary

    if not FIXTURES.is_dir():
        sys.exit(f"Error: {FIXTURES} is missing; the dictionary is built from ../shared beside the checkout.")
    records = training_records()
    built = train_dictionary(records)
    if args.check:
        same = DICTIONARY_PATH.exists() and DICTIONARY_PATH.read_bytes() == built
        print(f"{DICTIONARY_PATH.name} {'is' if same else 'is NOT'} what {len(records)} fixture records build")
        sys.exit(0 if same else 1)
    DICTIONARY_PATH.write_bytes(built)
    print(f"Wrote {DICTIONARY_PATH} ({len(built):,} bytes) from {len(records)} real PubMed records")


if __name__ == "__main__":
    main()
