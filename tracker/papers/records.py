"""The one shape every PubMed source is parsed into before it is stored.

XML (efetch, baseline files), MEDLINE text and the seed bibliography all become
``ParsedRecord`` objects, so the store has a single write path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ..core.errors import InputError
from ..core.schema import TABLES

# Where a record came from, ranked: a richer source replaces a poorer one, never the reverse.
SOURCE_RANK = {"seed": 0, "medline": 1, "pubmed-xml": 2}

# The columns of `papers` that a parser fills; the store adds its bookkeeping columns.
PAPER_FIELDS = tuple(name for name in TABLES["papers"].names if name not in TABLES["papers"].store_columns)
# Size limits (docs/operations.md, "Security"): the largest real records (thousands of authors) are a few MB,
# the longest abstracts tens of KB. What is larger is refused, naming the file and the record.
MAX_RECORD_BYTES = 8 * 1024 * 1024
MAX_FIELD_CHARS = 1_000_000

# Which table each list of a record goes to.
CHILD_TABLES = {"authors": "authors", "mesh_headings": "mesh", "chemicals": "chemicals",
                "comments_corrections": "comments_corrections"}
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.I)


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


def check_sizes(record: ParsedRecord) -> None:
    """InputError when one of the record's fields is over MAX_FIELD_CHARS."""
    fields = [(name, value) for name, value in record.paper.items()]
    for table, attribute in CHILD_TABLES.items():
        fields += [(f"{table} entry", value) for row in getattr(record, attribute) for value in row.values()]
    for name, value in fields:
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise InputError(f"PMID {record.pmid}: its {name} is {len(value):,} characters, over the "
                             f"{MAX_FIELD_CHARS:,}-character limit for one field; not stored")


def orcid_of(text: str | None) -> str | None:
    """The bare ORCID in an identifier as either format writes it (a URL, or digits with dashes)."""
    match = _ORCID.search(text or "")
    return match.group(1).upper() if match else None


def flags(publication_types: list, links: list) -> dict:
    """`retracted` and `has_erratum`, from the publication types and the comment/correction links."""
    types = {t.lower() for t in publication_types}
    ref_types = {link["ref_type"] for link in links}
    return {
        "retracted": int("retracted publication" in types or "RetractionIn" in ref_types),
        "has_erratum": int("ErratumIn" in ref_types),
    }
