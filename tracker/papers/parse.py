"""Streaming parser for PubMed XML: efetch pages and PubMed baseline/update files.

lxml's iterparse hands over one record at a time; each is turned into a
ParsedRecord and then cleared, so memory stays flat however large the file.
"""

from __future__ import annotations

import re
from typing import IO, Iterator

from lxml import etree

from ..core.errors import InputError
from ..core.ids import as_pmid
from .dates import from_free_text, iso_date
from .records import MAX_FIELD_CHARS, MAX_RECORD_BYTES, ParsedRecord, check_sizes, flags, orcid_of

RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
ROOT_TAGS = {"PubmedArticleSet", "PubmedBookArticleSet"}
MATHML = "{http://www.w3.org/1998/Math/MathML}"


# ---------------------------------------------------------------------------- text


def _gather(root, parts: list) -> None:
    # Iterative, not recursive: markup nested deeper than Python's recursion limit must not crash a load.
    stack = [(root, False)]
    while stack:
        elem, closing = stack.pop()
        if closing:
            if elem.tail:
                parts.append(elem.tail)
            continue
        if elem is not root:
            # A line break right before inline markup is the file's layout, not text:
            # "fast-acting &#946;\n\t\t<sub>2</sub>-agonist" reads "β2-agonist".
            if parts and parts[-1][-1:].isspace() and "\n" in parts[-1]:
                parts[-1] = parts[-1].rstrip()
            stack.append((elem, True))  # its tail follows its content
        if isinstance(elem.tag, str) and (elem.tag.startswith(MATHML) or elem.tag == "math"):
            # MathML spreads one expression over many pretty-printed elements; join its pieces tight.
            parts.append("".join(piece.strip() for piece in elem.itertext()))
            continue
        if elem.text:
            parts.append(elem.text)
        stack.extend((child, False) for child in reversed(elem))


def text_of(elem) -> str | None:
    """An element's text with inline markup (<i>, <sup>, MathML) flattened and spaces folded."""
    if elem is None:
        return None
    if len(elem) == 0:  # no markup inside: the common case, kept cheap
        text = elem.text
    else:
        parts: list = []
        _gather(elem, parts)
        text = "".join(parts)
    if not text:
        return None
    # str.split() splits on exactly the whitespace that \s matches, in one pass and without a regex.
    return " ".join(text.split()) or None


def _texts(elems) -> list:
    return [t for t in (text_of(e) for e in elems) if t]


# ---------------------------------------------------------------------------- pieces


def _pub_date(pub_date) -> tuple:
    """(year, sortable partial ISO date, the original text) of a PubDate element."""
    if pub_date is None:
        return None, None, None
    medline_date = pub_date.findtext("MedlineDate")
    if medline_date:
        iso = from_free_text(medline_date)
        return (int(iso[:4]) if iso else None), iso, medline_date.strip()
    year = pub_date.findtext("Year")
    month = pub_date.findtext("Month") or pub_date.findtext("Season")
    day = pub_date.findtext("Day")
    iso = iso_date(year, month, day)
    original = " ".join(p.strip() for p in (year, month, day) if p)
    return (int(iso[:4]) if iso else None), iso, original or None


def _ymd(elem) -> str | None:
    if elem is None:
        return None
    return iso_date(elem.findtext("Year"), elem.findtext("Month"), elem.findtext("Day"))


def _abstract(abstract_elem) -> tuple:
    """(abstract text with section labels kept, list of sections)."""
    if abstract_elem is None:
        return None, None
    sections = []
    for part in abstract_elem.findall("AbstractText"):
        text = text_of(part)
        if not text:
            continue
        sections.append(
            {"label": part.get("Label"), "nlm_category": part.get("NlmCategory"), "text": text}
        )
    if not sections:
        return None, None
    joined = "\n\n".join(f"{s['label']}: {s['text']}" if s["label"] else s["text"] for s in sections)
    return joined, sections


_AUTHOR_NAME_PARTS = {"LastName": "last_name", "ForeName": "fore_name", "Initials": "initials", "Suffix": "suffix",
                      "CollectiveName": "collective_name"}


def _author(author, role: str, position: int) -> dict:
    """One <Author>, read in one pass over its children (the first of each name part counts)."""
    fields = {"role": role, "position": position, "last_name": None, "fore_name": None, "initials": None,
              "suffix": None, "collective_name": None, "affiliations": [], "orcid": None,
              "equal_contrib": author.get("EqualContrib") == "Y"}
    seen = set()
    for child in author:
        tag = child.tag
        name = _AUTHOR_NAME_PARTS.get(tag) if isinstance(tag, str) else None
        if name:
            if name not in seen:
                seen.add(name)
                fields[name] = text_of(child)
        elif tag == "AffiliationInfo":
            fields["affiliations"].extend(_texts(child.iterchildren("Affiliation")))
        elif tag == "Identifier" and (child.get("Source") or "").upper() == "ORCID":
            fields["orcid"] = orcid_of(child.text) or (child.text or "").strip() or None
    return fields


def _authors(author_list, role_default: str = "author") -> list:
    if author_list is None:
        return []
    role = "editor" if author_list.get("Type") == "editors" else role_default
    return [_author(author, role, position)
            for position, author in enumerate(author_list.iterchildren("Author"), start=1)]


def _mesh(citation) -> list:
    headings = []
    for position, heading in enumerate(citation.findall("MeshHeadingList/MeshHeading"), start=1):
        descriptor = heading.find("DescriptorName")
        if descriptor is None:
            continue
        qualifiers = [
            {"ui": q.get("UI"), "name": text_of(q), "major": q.get("MajorTopicYN") == "Y"}
            for q in heading.findall("QualifierName")
        ]
        descriptor_major = descriptor.get("MajorTopicYN") == "Y"
        headings.append(
            {
                "position": position,
                "descriptor_ui": descriptor.get("UI"),
                "descriptor": text_of(descriptor),
                "descriptor_major": descriptor_major,
                # PubMed's asterisk: a heading is a major topic if it or any of its qualifiers is.
                "major_topic": descriptor_major or any(q["major"] for q in qualifiers),
                "qualifiers": qualifiers,
            }
        )
    return headings


def _chemicals(citation) -> list:
    chemicals = []
    for position, chemical in enumerate(citation.findall("ChemicalList/Chemical"), start=1):
        substance = chemical.find("NameOfSubstance")
        chemicals.append(
            {
                "position": position,
                "registry_number": text_of(chemical.find("RegistryNumber")),
                "name": text_of(substance),
                "ui": substance.get("UI") if substance is not None else None,
            }
        )
    return chemicals


def _comments_corrections(citation) -> list:
    links = []
    for position, link in enumerate(citation.findall("CommentsCorrectionsList/CommentsCorrections"), 1):
        pmid = link.findtext("PMID")
        links.append(
            {
                "position": position,
                "ref_type": link.get("RefType"),
                "ref_pmid": as_pmid(pmid),
                "ref_source": text_of(link.find("RefSource")),
                "note": text_of(link.find("Note")),
            }
        )
    return links


def _article_ids(id_list) -> dict:
    """The record's own identifiers. Only ever given the record's ArticleIdList, never a reference's."""
    ids = {}
    if id_list is None:
        return ids
    for article_id in id_list.findall("ArticleId"):
        kind = article_id.get("IdType")
        if kind and article_id.text and kind not in ids:
            ids[kind] = article_id.text.strip()
    return ids


def _history_date(container, status: str) -> str | None:
    if container is None:
        return None
    for date in container.findall("History/PubMedPubDate"):
        if date.get("PubStatus") == status:
            return _ymd(date)
    return None


# ---------------------------------------------------------------------------- records


def _child(parent, tag: str, missing: str):
    found = parent.find(tag)
    if found is None:
        raise InputError(missing)
    return found


def _shared_fields(titled, indexed, pub_date, abstract, ids: dict, publication_types: list, links: list, data) -> dict:
    """What articles and books both have. `titled` holds the title-level elements (Article or
    BookDocument), `indexed` the indexing (MedlineCitation or BookDocument), `data` PubmedData or
    PubmedBookData."""
    year, iso, original = _pub_date(pub_date)
    text, sections = _abstract(abstract)
    return {
        "vernacular_title": text_of(titled.find("VernacularTitle")),
        "abstract": text,
        "abstract_sections": sections,
        "pub_year": year,
        "pub_date": iso,
        "pub_date_text": original,
        "pmcid": ids.get("pmc"),
        "languages": _texts(titled.findall("Language")),
        "publication_types": publication_types,
        "keywords": _texts(indexed.findall("KeywordList/Keyword")),
        "publication_status": data.findtext("PublicationStatus") if data is not None else None,
        "date_revised": _ymd(indexed.find("DateRevised")),
        "entrez_date": _history_date(data, "entrez"),
        **flags(publication_types, links),
    }


def _journal_fields(article, citation) -> tuple[dict, object]:
    """The journal's fields of an Article, and its PubDate element."""
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    medline_journal = citation.find("MedlineJournalInfo")
    fields = {
        "journal": text_of(journal.find("Title")) if journal is not None else None,
        "iso_abbreviation": (text_of(journal.find("ISOAbbreviation")) if journal is not None else None)
        or (medline_journal.findtext("MedlineTA") if medline_journal is not None else None),
        "issn": journal.findtext("ISSN") if journal is not None else None,
        "volume": issue.findtext("Volume") if issue is not None else None,
        "issue": issue.findtext("Issue") if issue is not None else None,
    }
    return fields, (issue.find("PubDate") if issue is not None else None)


def _article_doi(article, ids: dict) -> str | None:
    """The record's own DOI: its ArticleIdList's, else an ELocationID's (never one from its references)."""
    if ids.get("doi"):
        return ids["doi"]
    for location in article.findall("ELocationID"):
        if location.get("EIdType") == "doi" and location.text:
            return location.text.strip()
    return None


def _pages(article) -> str | None:
    pages = article.findtext("Pagination/MedlinePgn")
    if not pages:
        start, end = article.findtext("Pagination/StartPage"), article.findtext("Pagination/EndPage")
        pages = "-".join(p for p in (start, end) if p) or None
    return pages


def parse_pubmed_article(elem) -> ParsedRecord:
    """A <PubmedArticle> element as a ParsedRecord."""
    citation = _child(elem, "MedlineCitation", "a PubmedArticle without MedlineCitation")
    pmid = _pmid(citation)
    article = _child(citation, "Article", f"PMID {pmid}: no Article element")
    pubmed_data = elem.find("PubmedData")
    ids = _article_ids(pubmed_data.find("ArticleIdList") if pubmed_data is not None else None)
    journal, pub_date = _journal_fields(article, citation)
    publication_types = _texts(article.findall("PublicationTypeList/PublicationType"))
    links = _comments_corrections(citation)
    article_date = article.find("ArticleDate")
    paper = {
        "kind": "article",
        "title": text_of(article.find("ArticleTitle")),
        **journal,
        "pages": _pages(article),
        "epub_date": _ymd(article_date),
        "doi": _article_doi(article, ids),
        "medline_status": citation.get("Status"),
        **_shared_fields(article, citation, pub_date, article.find("Abstract"), ids, publication_types, links,
                         pubmed_data),
    }
    return ParsedRecord(pmid=pmid, source="pubmed-xml", paper=paper, authors=_authors(article.find("AuthorList")),
                        mesh=_mesh(citation), chemicals=_chemicals(citation), comments_corrections=links)


def parse_book_article(elem) -> ParsedRecord:
    """A <PubmedBookArticle> (a book or a chapter, such as LiverTox's) as a ParsedRecord."""
    document = _child(elem, "BookDocument", "a PubmedBookArticle without BookDocument")
    pmid = _pmid(document)
    book = document.find("Book")
    book_title = text_of(book.find("BookTitle")) if book is not None else None
    authors = _authors(document.find("AuthorList"))
    if book is not None:
        authors += [a for lst in book.findall("AuthorList") for a in _authors(lst, role_default="editor")]
    ids = _article_ids(document.find("ArticleIdList"))
    publication_types = _texts(document.findall("PublicationType"))
    links = _comments_corrections(document)
    publisher = book.find("Publisher") if book is not None else None
    paper = {
        "kind": "book",
        # A chapter has its own title; a whole book is known by its book title.
        "title": text_of(document.find("ArticleTitle")) or book_title,
        "journal": book_title,
        "doi": ids.get("doi"),
        "publisher": text_of(publisher.find("PublisherName")) if publisher is not None else None,
        **_shared_fields(document, document, book.find("PubDate") if book is not None else None,
                         document.find("Abstract"), ids, publication_types, links, elem.find("PubmedBookData")),
    }
    return ParsedRecord(pmid=pmid, source="pubmed-xml", paper=paper, authors=authors, comments_corrections=links)


def parse_delete_citation(elem) -> list:
    """A <DeleteCitation> lists the PMIDs PubMed has withdrawn."""
    return [
        ParsedRecord(pmid=pmid, source="pubmed-xml", deleted=True)
        for pmid in (as_pmid(p.text) for p in elem.findall("PMID"))
        if pmid
    ]


def _pmid(container) -> int:
    text = container.findtext("PMID")
    pmid = as_pmid(text)
    if pmid is None:
        raise InputError(f"a record without a PMID of 1 to 10 digits ({text!r})")
    return pmid


def parse_element(elem, raw: bytes | None = None) -> list:
    """Any record element as a list of ParsedRecords (a DeleteCitation may name several PMIDs).

    `raw` is the record's exact bytes where the caller has them (split.py); otherwise the element
    is serialised, which parses back the same."""
    if elem.tag == "PubmedArticle":
        record = parse_pubmed_article(elem)
    elif elem.tag == "PubmedBookArticle":
        record = parse_book_article(elem)
    elif elem.tag == "DeleteCitation":
        return parse_delete_citation(elem)
    else:
        raise InputError(f"<{elem.tag}> is not a PubMed record")
    record.raw = raw if raw is not None else etree.tostring(elem, encoding="utf-8")
    if len(record.raw) > MAX_FIELD_CHARS:  # no field has more characters than its record has bytes
        check_sizes(record)
    return [record]


def parse_record_xml(raw: bytes) -> ParsedRecord:
    """One stored record (as kept in raw_records) parsed again."""
    elem = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    (record,) = parse_element(elem, raw)
    return record


# ---------------------------------------------------------------------------- streams


class _RecordBudget:
    """The stream iterparse reads from, refusing to read more than MAX_RECORD_BYTES past the last whole record.

    libxml2 holds a record's text in memory until the record ends; a 1 MB gzip file can hold a
    500 MB abstract. Counting the bytes handed over between records bounds that memory.
    """

    _START = re.compile(rb"<(?:PubmedArticle|PubmedBookArticle)>\s*<(?:MedlineCitation|BookDocument)[^>]*>\s*"
                        rb"<PMID[^>]*>\s*(\d+)")

    def __init__(self, source: IO[bytes], name: str) -> None:
        self.source, self.name = source, name
        self.total = self.mark = 0
        self.window = b""  # the bytes around the start of the record being read, to name it

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size if size and size > 0 else 1 << 16)
        self.total += len(data)
        if len(self.window) < 1 << 17:
            self.window += data[: 1 << 16]
        if self.total - self.mark > MAX_RECORD_BYTES:
            starts = self._START.findall(self.window)
            which = f"the record of PMID {int(starts[-1])}" if starts else "a record"
            raise InputError(f"{self.name}: {which} is larger than the {MAX_RECORD_BYTES // (1 << 20)} MB limit "
                             "for one record; not read further")
        return data

    def record_done(self) -> None:
        self.mark = self.total
        self.window = self.window[-(1 << 16):]  # the next record may have started in the last chunk


def iter_xml_records(source: IO[bytes], name: str = "<input>") -> Iterator[ParsedRecord]:
    """Yield every record of a PubMed XML stream, one at a time, with bounded memory.

    Raises InputError naming `name` and the line on malformed, truncated or non-PubMed XML, and on
    a record or field over its size limit (records.py).
    """
    budget = _RecordBudget(source, name)
    context = etree.iterparse(
        budget,
        events=("end",),
        tag=RECORD_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,  # libxml2's own bounds: text nodes under 10 MB, markup under 256 levels deep
        remove_comments=True,
        remove_pis=True,
    )
    root_checked = False
    try:
        for _event, elem in context:
            if not root_checked:
                _check_root(elem.getroottree().getroot(), name)
                root_checked = True
            try:
                records = parse_element(elem)
            except InputError as error:
                raise InputError(f"{name}: line {elem.sourceline}: {error}") from None
            # Free the record and whatever came before it: this is what keeps memory flat.
            elem.clear(keep_tail=True)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
            budget.record_done()
            yield from records
    except etree.XMLSyntaxError as error:
        line = error.lineno or (error.position[0] if error.position else "?")
        if "depth" in error.msg.lower():
            raise InputError(f"{name}: line {line}: markup nested too deep ({error.msg.split(':')[0]}); "
                             "PubMed's records nest a few levels, this is not one of them") from None
        raise InputError(
            f"{name}: not well-formed XML at line {line}: {error.msg} "
            "(the file is truncated or corrupt; fetch or download it again)"
        ) from None
    if not root_checked:
        _check_root(getattr(context, "root", None), name)


def _check_root(root, name: str) -> None:
    if root is None:
        raise InputError(f"{name}: no XML found")
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag not in ROOT_TAGS:
        raise InputError(
            f"{name}: this is XML but not PubMed's: its root element is <{tag}>, "
            "expected <PubmedArticleSet> (efetch with db=pubmed, retmode=xml)"
        )
