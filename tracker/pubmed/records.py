"""The one shape every PubMed source is parsed into before it is stored.

XML (efetch, baseline files), MEDLINE text and the seed bibliography all become
``ParsedRecord`` objects, so the store has a single write path.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

# Where a record came from, ranked: a richer source replaces a poorer one, never the reverse.
SOURCE_RANK = {"seed": 0, "medline": 1, "pubmed-xml": 2}

# The columns of `papers` that a parser fills (bookkeeping columns are added by the store).
PAPER_FIELDS = (
    "pmid",
    "kind",
    "title",
    "vernacular_title",
    "abstract",
    "abstract_sections",
    "journal",
    "iso_abbreviation",
    "issn",
    "volume",
    "issue",
    "pages",
    "pub_year",
    "pub_date",
    "pub_date_text",
    "epub_date",
    "doi",
    "pmcid",
    "languages",
    "publication_types",
    "keywords",
    "medline_status",
    "publication_status",
    "date_revised",
    "entrez_date",
    "retracted",
    "has_erratum",
    "publisher",
)

# Columns stored as JSON text (lists or lists of objects).
JSON_FIELDS = {"abstract_sections", "languages", "publication_types", "keywords"}


@dataclass
class ParsedRecord:
    """A PubMed record, or a deletion notice, ready to store."""

    pmid: int
    source: str  # a key of SOURCE_RANK
    paper: dict = field(default_factory=dict)
    authors: list = field(default_factory=list)
    mesh: list = field(default_factory=list)
    chemicals: list = field(default_factory=list)
    comments_corrections: list = field(default_factory=list)
    raw: bytes | None = None  # the record exactly as received, for `tracker reparse`
    deleted: bool = False  # a DeleteCitation notice

    def content_hash(self) -> str:
        """A hash of everything derived from the record: equal hashes mean nothing changed."""
        payload = repr(
            (self.source, sorted(self.paper.items()), self.authors, self.mesh, self.chemicals, self.comments_corrections)
        )
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()


def paper_row(record: ParsedRecord) -> dict:
    """The `papers` columns of a record, JSON fields serialised, missing fields as None."""
    row = {}
    for name in PAPER_FIELDS:
        value = record.paper.get(name)
        if name in JSON_FIELDS and value is not None:
            value = json.dumps(value, ensure_ascii=False)
        row[name] = value
    row["pmid"] = record.pmid
    return row
