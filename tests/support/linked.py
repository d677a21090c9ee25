"""What the suggestion tests share: the catalog's claims, two real papers, and the database of the
`linked` fixture (tests/conftest.py): the starter bibliography, the 164 real metapub records, the
claim catalog and the starter decisions, linked without the semantic extra."""

from pathlib import Path

from tracker.claims.catalog import load_catalog

from .corpus import as_document, metapub_records

REPO = Path(__file__).resolve().parents[2]
CLAIMS = {c.id: c for c in load_catalog(REPO / "db" / "claims.yml")}
DILIN = 33257199  # "Liver injury associated with kratom, a popular opioid-like product: Experience from the U.S. ..."
LIVERTOX = 31643556  # LiverTox's kratom chapter (a book record)


def build_linked(run, db, tmp_path):
    records = tmp_path / "records.xml"
    records.write_bytes(as_document(metapub_records()))
    for args in (("init",), ("load", records), ("claims", "load"), ("curate", REPO / "db" / "curation.csv"),
                 ("link", "--no-semantic")):
        result = run(*args)
        assert result.exit_code == 0, result.output
    return db
