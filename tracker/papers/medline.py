"""PubMed-format text (MEDLINE, the ".nbib" files PubMed's website exports), via Bio.Medline.

Bio.Medline parses the tags of a record. It gathers AD (affiliation) and AUID (ORCID)
lines into flat lists, losing which author each belongs to, so the author list is read
from the record's lines in order.
"""

from __future__ import annotations

import io
import re
from typing import IO, Iterator

from Bio import Medline

from ..core.errors import InputError
from ..core.ids import as_pmid
from .dates import compact_date, from_free_text
from .records import MAX_RECORD_BYTES, ParsedRecord, check_sizes, flags, orcid_of

_TAG = re.compile(r"^([A-Z][A-Z0-9 ]{1,3})- ?(.*)$")
_SPACE = re.compile(r"\s+")

# MEDLINE tags of comment/correction links, and the XML RefType each stands for.
LINK_TAGS = {
    "CIN": "CommentIn",
    "CON": "CommentOn",
    "EIN": "ErratumIn",
    "EFR": "ErratumFor",
    "RIN": "RetractionIn",
    "ROF": "RetractionOf",
    "UIN": "UpdateIn",
    "UOF": "UpdateOf",
    "ECI": "ExpressionOfConcernIn",
    "ECF": "ExpressionOfConcernFor",
    "RPI": "RepublishedIn",
    "RPF": "RepublishedFrom",
}
_LINK_PMID = re.compile(r"PMID:\s*(\d+)")


def iter_medline_chunks(handle: IO[str], name: str = "<input>") -> Iterator[tuple[int, str]]:
    """(line number, text) of each record; records are separated by blank lines.

    A line or a record over MAX_RECORD_BYTES characters is refused before it is all read.
    """
    lines: list = []
    start = size = number = 0
    while True:
        line = handle.readline(MAX_RECORD_BYTES + 1)
        if not line:
            break
        number += 1
        if line.strip():
            if not lines:
                start, size = number, 0
            size += len(line)
            if size > MAX_RECORD_BYTES:
                raise InputError(f"{name}: line {start}: a record larger than the "
                                 f"{MAX_RECORD_BYTES // (1 << 20)} MB limit for one record; not read further")
            lines.append(line.rstrip("\r\n") + "\n")
        elif lines:
            yield start, "".join(lines)
            lines = []
    if lines:
        yield start, "".join(lines)


def _tagged_lines(text: str) -> list:
    """(tag, value) pairs in order, continuation lines folded into their tag."""
    pairs: list = []
    for line in text.splitlines():
        match = _TAG.match(line)
        if match and line[4:6] in ("- ", "-"):
            pairs.append([match.group(1).strip(), match.group(2).strip()])
        elif pairs and line.startswith("      "):
            pairs[-1][1] += " " + line.strip()
    return pairs


def _authors(text: str) -> list:
    authors: list = []
    pending_affiliations: list = []  # older records give AD before the first author
    current = None
    for tag, value in _tagged_lines(text):
        if tag in ("FAU", "CN") or (tag == "AU" and (current is None or current["_has_au"])):
            current = {
                "role": "author",
                "position": len(authors) + 1,
                "last_name": None,
                "fore_name": None,
                "initials": None,
                "suffix": None,
                "collective_name": None,
                "affiliations": [],
                "orcid": None,
                "equal_contrib": False,
                "_has_au": False,
            }
            authors.append(current)
            if tag == "CN":
                current["collective_name"] = value
                current["_has_au"] = True
            elif tag == "FAU":
                last, _, fore = value.partition(",")
                current["last_name"], current["fore_name"] = last.strip() or None, fore.strip() or None
            else:
                _set_short_name(current, value)
            if pending_affiliations:
                current["affiliations"].extend(pending_affiliations)
                pending_affiliations = []
        elif tag == "AU" and current is not None:
            _set_short_name(current, value)
        elif tag == "AD":
            if current is None:
                pending_affiliations.append(value)
            else:
                current["affiliations"].append(value)
        elif tag == "AUID" and current is not None:
            if "ORCID" in value.upper() and orcid_of(value):
                current["orcid"] = orcid_of(value)
    for author in authors:
        del author["_has_au"]
    return authors


def _set_short_name(author: dict, value: str) -> None:
    author["_has_au"] = True
    if author["last_name"] is None:
        last, _, initials = value.rpartition(" ")
        author["last_name"] = last or value
        author["initials"] = initials if last else None
    else:
        author["initials"] = value.rpartition(" ")[2] or None


def _mesh(headings: list) -> list:
    """'Information Storage and Retrieval/*methods' -> descriptor with a major qualifier."""
    result = []
    for position, heading in enumerate(headings, start=1):
        descriptor, *qualifiers = heading.split("/")
        descriptor_major = descriptor.startswith("*")
        quals = [{"ui": None, "name": q.lstrip("*"), "major": q.startswith("*")} for q in qualifiers]
        result.append(
            {
                "position": position,
                "descriptor_ui": None,
                "descriptor": descriptor.lstrip("*"),
                "descriptor_major": descriptor_major,
                "major_topic": descriptor_major or any(q["major"] for q in quals),
                "qualifiers": quals,
            }
        )
    return result


def _chemicals(entries: list) -> list:
    """'EC 2.7.7.49 (TERT protein, human)' -> registry number and name."""
    result = []
    for position, entry in enumerate(entries, start=1):
        match = re.match(r"^(\S+(?: [\d.]+)?)\s+\((.*)\)$", entry)
        number, name = (match.group(1), match.group(2)) if match else (None, entry)
        result.append({"position": position, "registry_number": number, "name": name, "ui": None})
    return result


def _doi(record: dict) -> str | None:
    for value in _as_list(record.get("AID")) + _as_list(record.get("LID")):
        if value.endswith("[doi]"):
            return value[: -len("[doi]")].strip()
    return None


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _fold(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = " ".join(value)
    return _SPACE.sub(" ", value).strip() or None


def _links(record: dict) -> list:
    """Comment and correction links (CIN, EIN, RIN, ...) as the XML's CommentsCorrections."""
    links = []
    for tag, ref_type in LINK_TAGS.items():
        for value in _as_list(record.get(tag)):
            match = _LINK_PMID.search(value)
            links.append(
                {
                    "position": len(links) + 1,
                    "ref_type": ref_type,
                    "ref_pmid": int(match.group(1)) if match else None,
                    "ref_source": _LINK_PMID.sub("", value).strip() or None,
                    "note": None,
                }
            )
    return links


def parse_medline_record(text: str) -> ParsedRecord:
    """One MEDLINE-format record as a ParsedRecord."""
    record = Medline.read(io.StringIO(text))
    pmid = as_pmid(record.get("PMID"))
    if pmid is None:
        raise InputError("a MEDLINE record without a PMID- line of 1 to 10 digits")
    links = _links(record)
    publication_types = _as_list(record.get("PT"))
    abstract = _fold(record.get("AB"))
    date_text = _fold(record.get("DP"))
    pub_date = from_free_text(date_text)
    pmc = _fold(record.get("PMC"))
    paper = {
        "kind": "book" if record.get("BTI") and not record.get("JT") else "article",
        "title": _fold(record.get("TI")) or _fold(record.get("BTI")),
        "vernacular_title": _fold(record.get("TT")),
        "abstract": abstract,
        "abstract_sections": [{"label": None, "nlm_category": None, "text": abstract}] if abstract else None,
        "journal": _fold(record.get("JT")) or _fold(record.get("BTI")),
        "iso_abbreviation": _fold(record.get("TA")),
        "issn": _fold(_as_list(record.get("IS"))[:1]),
        "volume": _fold(record.get("VI")),
        "issue": _fold(record.get("IP")),
        "pages": _fold(record.get("PG")),
        "pub_year": int(pub_date[:4]) if pub_date else None,
        "pub_date": pub_date,
        "pub_date_text": date_text,
        "epub_date": compact_date(_fold(record.get("DEP"))),
        "doi": _doi(record),
        "pmcid": pmc.split()[0] if pmc else None,
        "languages": _as_list(record.get("LA")),
        "publication_types": publication_types,
        "keywords": _as_list(record.get("OT")),
        "medline_status": _fold(record.get("STAT")),
        "publication_status": _fold(record.get("PST")),
        "date_revised": compact_date(_fold(record.get("LR"))),
        "entrez_date": compact_date(_fold(record.get("EDAT"))),
        "publisher": _fold(record.get("PB")),
        **flags(publication_types, links),
    }
    parsed = ParsedRecord(
        pmid=pmid,
        source="medline",
        paper=paper,
        authors=_authors(text),
        mesh=_mesh(_as_list(record.get("MH"))),
        chemicals=_chemicals(_as_list(record.get("RN"))),
        comments_corrections=links,
        raw=text.encode("utf-8"),
    )
    check_sizes(parsed)
    return parsed


def iter_medline_records(handle: IO[str], name: str = "<input>") -> Iterator[ParsedRecord]:
    """Yield every record of a MEDLINE-format stream; InputError names the file and line."""
    seen_any = False
    for line_number, chunk in iter_medline_chunks(handle, name):
        if not chunk.lstrip().startswith("PMID-"):
            raise InputError(
                f"{name}: line {line_number}: a MEDLINE record must start with 'PMID- '; "
                "is this PubMed-format text (.nbib / .txt exported from PubMed)?"
            )
        try:
            yield parse_medline_record(chunk)
        except InputError as error:
            raise InputError(f"{name}: line {line_number}: {error}") from None
        except Exception as error:  # Bio.Medline raises bare ValueErrors on broken lines
            raise InputError(f"{name}: line {line_number}: unreadable MEDLINE record: {error}") from None
        seen_any = True
    if not seen_any:
        raise InputError(f"{name}: no MEDLINE records found")
