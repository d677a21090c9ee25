"""Citations for reference managers: RIS (Zotero, EndNote), BibTeX (JabRef, LaTeX), CSL-JSON (citeproc).

Every format carries the DOI and the PMID in the field its readers look for: RIS DO and AN
(with DB PubMed), BibTeX doi and pmid (plus biblatex's eprint/eprinttype), CSL-JSON DOI and
PMID. A retracted paper says so in each format's note field, so a reader of the bibliography
sees it too. In BibTeX, LaTeX's special characters and every non-ASCII character LaTeX has a
command for (accented letters, Greek, dashes) are written as commands; the rare character without
one stays UTF-8, which biber and JabRef read. Capitals in titles are braced so styles keep them.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Iterable, TextIO

from pylatexenc.latexencode import (
    RULE_DICT,
    UnicodeToLatexConversionRule,
    UnicodeToLatexEncoder,
)

from ..core.urls import doi_url, pubmed_url

logging.getLogger("pylatexenc").setLevel(logging.ERROR)  # a character without a LaTeX command is kept, not an error

CITATION_FORMATS = ("ris", "bibtex", "csljson")
RETRACTED_NOTE = "Retracted (PubMed marks this article as retracted)"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def page_range(pages: str | None) -> tuple[str | None, str | None]:
    """First and last page, with PubMed's shortened last pages written out ("179-91" -> 179, 191)."""
    if not pages:
        return None, None
    match = re.fullmatch(r"([A-Za-z]*)(\d+)\s*[-\u2013]\s*([A-Za-z]*)(\d+)", pages.strip())
    if not match:
        return pages.strip(), None
    prefix, first, end_prefix, last = match.groups()
    if not end_prefix and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return prefix + first, (end_prefix or prefix) + last


def date_parts(pub_date: str | None) -> list[int]:
    return [int(part) for part in pub_date.split("-")] if pub_date else []


def kind_of(paper: dict) -> str:
    """article, book or chapter (a book record whose title is not the book's)."""
    if paper.get("kind") != "book":
        return "article"
    return "chapter" if paper.get("journal") and paper.get("title") != paper.get("journal") else "book"


def _given(person: dict) -> str | None:
    return person.get("fore_name") or person.get("initials")


def _abstract_line(paper: dict) -> str | None:
    return " ".join(paper["abstract"].split()) if paper.get("abstract") else None


# ---- RIS -------------------------------------------------------------------------------------

_RIS_TYPES = {"article": "JOUR", "book": "BOOK", "chapter": "CHAP"}


def _ris_name(person: dict) -> str:
    if person.get("collective_name"):
        return person["collective_name"]
    return ", ".join(part for part in (person.get("last_name"), _given(person), person.get("suffix")) if part)


def ris_record(paper: dict) -> str:
    kind = kind_of(paper)
    first, last = page_range(paper.get("pages"))
    parts = date_parts(paper.get("pub_date"))
    tags: list[tuple[str, object]] = [("TY", _RIS_TYPES[kind]), ("TI", paper.get("title"))]
    tags += [("AU", _ris_name(a)) for a in paper.get("authors", [])]
    # Zotero reads A2 as a chapter's editors and A3 as a book's.
    tags += [("A3" if kind == "book" else "A2", _ris_name(e)) for e in paper.get("editors", [])]
    if kind != "book":
        tags += [("T2", paper.get("journal")), ("J2", paper.get("iso_abbreviation"))]
    tags += [
        ("PY", paper.get("pub_year")),
        ("DA", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)) + "/" * (4 - len(parts)) if parts else None),
        ("VL", paper.get("volume")), ("IS", paper.get("issue")), ("SP", first), ("EP", last),
        ("PB", paper.get("publisher")), ("SN", paper.get("issn")),
        ("DO", paper.get("doi")), ("AN", paper["pmid"]), ("DB", "PubMed"), ("C2", paper.get("pmcid")),
        ("UR", pubmed_url(paper["pmid"])), ("LA", ", ".join(json.loads(paper.get("languages") or "[]")) or None),
        ("AB", _abstract_line(paper)),
    ]
    tags += [("KW", descriptor) for descriptor in paper.get("mesh", [])]
    if paper.get("retracted"):
        tags.append(("N1", RETRACTED_NOTE))
    lines = [f"{tag}  - {' '.join(str(value).split())}" for tag, value in tags if value not in (None, "")]
    return "\n".join(lines) + "\nER  - \n"


def _write_entries(papers: Iterable[dict], handle: TextIO, entry) -> int:
    """Entries one after another, a blank line between them."""
    count = 0
    for paper in papers:
        handle.write(("\n" if count else "") + entry(paper))
        count += 1
    return count


def write_ris(papers: Iterable[dict], handle: TextIO) -> int:
    return _write_entries(papers, handle, ris_record)


# ---- BibTeX ----------------------------------------------------------------------------------

# A straight double quote stays as it is: inside a braced field it is plain text, and pylatexenc's
# default ('') would print every quote as a closing one.
_LATEX = UnicodeToLatexEncoder(
    non_ascii_only=False, replacement_latex_protection="braces-all", unknown_char_policy="keep",
    conversion_rules=[UnicodeToLatexConversionRule(RULE_DICT, {ord('"'): '"'}), "defaults"],
)
_BIBTEX_TYPES = {"article": "article", "book": "book", "chapter": "incollection"}


def latex(text: str) -> str:
    # "--", "``" and "''" are ligatures in LaTeX (a dash, curly quotes): break them so they print as written.
    pieces = re.split(r"(?<=-)(?=-)|(?<=`)(?=`)|(?<=')(?=')", text)
    return "{}".join(_LATEX.unicode_to_latex(piece) for piece in pieces)


def latex_title(title: str) -> str:
    """LaTeX for a title, every word with a capital braced ({TERT}, ({Mitragyna}) except a plain first word.

    Only the word is braced, not the punctuation around it.
    """
    out = []
    first = True
    for token in re.findall(r"\s+|\S+", title):
        if token.isspace():
            out.append(" ")
            continue
        lead, word, trail = re.fullmatch(r"([^\w]*)(.*?)([^\w]*)", token).groups()
        capitals = any(ch.isupper() for ch in (word[1:] if first else word))
        out.append(latex(lead) + ("{" + latex(word) + "}" if capitals else latex(word)) + latex(trail))
        first = False
    return "".join(out)


def _bibtex_name(person: dict) -> str:
    if person.get("collective_name"):
        return "{" + latex(person["collective_name"]) + "}"  # braced: never split into first and last names
    last = person.get("last_name") or ""
    given = _given(person)
    parts = ["{" + latex(last) + "}" if " " in last else latex(last)]
    if person.get("suffix"):
        parts.append(latex(person["suffix"]))
    if given:
        parts.append(latex(given))
    return ", ".join(parts)


def _braced(value: str) -> str:
    depth = 0
    for ch in value:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            break
    # A verbatim field (doi) with unbalanced braces would end the entry early; such characters are escaped.
    return value if depth == 0 else value.replace("{", r"\{").replace("}", r"\}")


def bibtex_key(paper: dict) -> str:
    return f"pmid{paper['pmid']}"


def bibtex_entry(paper: dict) -> str:
    kind = kind_of(paper)
    first, last = page_range(paper.get("pages"))
    parts = date_parts(paper.get("pub_date"))
    fields: list[tuple[str, str | None]] = [
        ("author", " and ".join(_bibtex_name(a) for a in paper.get("authors", [])) or None),
        ("editor", " and ".join(_bibtex_name(e) for e in paper.get("editors", [])) or None),
        ("title", latex_title(paper["title"]) if paper.get("title") else None),
    ]
    container = latex(paper["journal"]) if paper.get("journal") else None
    if kind == "article":
        fields += [("journal", container), ("volume", paper.get("volume")), ("number", paper.get("issue"))]
    elif kind == "chapter":
        fields += [("booktitle", container)]
    fields += [
        ("publisher", latex(paper["publisher"]) if paper.get("publisher") else None),
        ("year", str(paper["pub_year"]) if paper.get("pub_year") else None),
        ("pages", f"{latex(first)}--{latex(last)}" if last else (latex(first) if first else None)),
        ("doi", _braced(paper["doi"]) if paper.get("doi") else None),
        ("pmid", str(paper["pmid"])), ("eprint", str(paper["pmid"])), ("eprinttype", "pubmed"),
        ("pmcid", paper.get("pmcid")),
        ("issn", paper.get("issn")),
        ("url", pubmed_url(paper["pmid"])),
        ("note", RETRACTED_NOTE if paper.get("retracted") else None),
    ]
    body = []
    for name, value in fields:
        if value:
            body.append(f"  {name} = {{{value}}}")
        if name == "year" and len(parts) > 1:
            body.append(f"  month = {_MONTHS[parts[1] - 1]}")  # the standard macro, unbraced
    return f"@{_BIBTEX_TYPES[kind]}{{{bibtex_key(paper)},\n" + ",\n".join(body) + "\n}\n"


def write_bibtex(papers: Iterable[dict], handle: TextIO) -> int:
    return _write_entries(papers, handle, bibtex_entry)


# ---- CSL-JSON --------------------------------------------------------------------------------

_CSL_TYPES = {"article": "article-journal", "book": "book", "chapter": "chapter"}


def _csl_name(person: dict) -> dict:
    if person.get("collective_name"):
        return {"literal": person["collective_name"]}
    name = {"family": person.get("last_name"), "given": _given(person), "suffix": person.get("suffix")}
    return {key: value for key, value in name.items() if value}


def csl_item(paper: dict) -> dict:
    kind = kind_of(paper)
    first, last = page_range(paper.get("pages"))
    parts = date_parts(paper.get("pub_date"))
    item = {
        "id": f"pmid:{paper['pmid']}",
        "type": _CSL_TYPES[kind],
        "title": paper.get("title"),
        "author": [_csl_name(a) for a in paper.get("authors", [])] or None,
        "editor": [_csl_name(e) for e in paper.get("editors", [])] or None,
        "container-title": paper.get("journal") if kind != "book" else None,
        "container-title-short": paper.get("iso_abbreviation"),
        "volume": paper.get("volume"),
        "issue": paper.get("issue"),
        "page": f"{first}-{last}" if last else first,
        "issued": {"date-parts": [parts]} if parts else None,
        "publisher": paper.get("publisher"),
        "ISSN": paper.get("issn"),
        "DOI": paper.get("doi"),
        "PMID": str(paper["pmid"]),
        "PMCID": paper.get("pmcid"),
        "URL": doi_url(paper.get("doi")) or pubmed_url(paper["pmid"]),
        "language": (json.loads(paper.get("languages") or "[]") or [None])[0],
        "abstract": paper.get("abstract"),
        "note": RETRACTED_NOTE if paper.get("retracted") else None,
    }
    return {key: value for key, value in item.items() if value not in (None, "", [])}


def write_csljson(papers: Iterable[dict], handle: TextIO) -> int:
    handle.write("[")
    count = 0
    for paper in papers:
        handle.write((",\n" if count else "\n") + json.dumps(csl_item(paper), ensure_ascii=False))
        count += 1
    handle.write("\n]\n" if count else "]\n")
    return count


WRITERS = {"ris": write_ris, "bibtex": write_bibtex, "csljson": write_csljson}
