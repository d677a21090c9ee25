"""Links a reader can follow: a paper on PubMed, a DOI."""

from __future__ import annotations

from urllib.parse import quote

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def pubmed_url(pmid) -> str:
    return PUBMED_URL.format(pmid=pmid)


def doi_url(doi: str | None) -> str | None:
    # DOIs may hold characters a URL may not (<, >, #, spaces in old SICI DOIs).
    return "https://doi.org/" + quote(doi, safe="/:;()._-") if doi else None
