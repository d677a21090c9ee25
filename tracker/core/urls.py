"""Links a reader can follow: a paper on PubMed, a DOI."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def pubmed_url(pmid) -> str:
    return PUBMED_URL.format(pmid=pmid)


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the port filled in for http and https: what a redirect may not change."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


def doi_url(doi: str | None) -> str | None:
    # DOIs may hold characters a URL may not (<, >, #, spaces in old SICI DOIs).
    return "https://doi.org/" + quote(doi, safe="/:;()._-") if doi else None
