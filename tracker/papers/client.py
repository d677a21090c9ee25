"""A careful E-utilities client: rate-limited process-wide, retried, validated, key-safe.

- Every request is a POST, so the API key travels in the body and never in a URL
  (requests copies URLs into its exception messages). Redirects are followed only within
  the configured server (scheme, host and port), so the body never goes anywhere else.
- Responses are scrubbed of the key before they are parsed: a server may echo it back.
- One limiter for the whole process: at most 3 requests a second, 10 with an API key.
- 429 (honouring Retry-After), 5xx, timeouts, dropped connections, truncated or
  malformed XML, an HTML page where XML was asked for, and transient ERROR fields are
  retried with exponential backoff and jitter; other errors fail at once.
"""

from __future__ import annotations

import email.utils
import io
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse

import requests
from lxml import etree

from ..core.deadline import DeadlineExceeded, TooLarge, read_body, total_deadline
from ..core.errors import InputError, PubMedError, PubMedUnreachable
from ..core.ids import as_pmid
from ..core.secrets import redact, redact_bytes, scrub
from ..core.sniff import looks_like_html
from ..core.urls import origin, origin_text
from .parse import iter_xml_records

log = logging.getLogger("tracker.pubmed")

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
NCBI_HOST = "eutils.ncbi.nlm.nih.gov"
TOOL = "kratom-claims-tracker"
RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
MAX_REDIRECTS = 5
MAX_RESPONSE_BYTES = 512 * 1024 * 1024  # an efetch page of 10,000 records is well under this
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

# ERROR texts that no retry will fix. Anything else in an ERROR field is treated as transient.
PERMANENT_ERRORS = re.compile(
    r"invalid db name|empty term|empty id list|invalid uid|cannot be larger than 9998|"
    r"api key invalid|invalid api key|too long",
    re.I,
)


class RateLimiter:
    """Spaces request starts so that no one-second window holds more than `rate` of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_start = 0.0

    def wait(self, rate: float) -> None:
        # 10% over 1/rate: rate+1 starts then span 1.1 s, so a request that reaches the server
        # up to 100 ms late (network, a busy machine) still does not put rate+1 in its one-second window.
        interval = 1.0 / rate * 1.10
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + interval
        delay = start - time.monotonic()
        if delay > 0:
            time.sleep(delay)


# One limiter per process: NCBI's limit is per client, not per function or per object.
PROCESS_LIMITER = RateLimiter()


class TransientResponse(Exception):
    """A response worth retrying (bad body, transient ERROR field)."""


@dataclass
class SearchResult:
    count: int
    webenv: str | None
    query_key: str | None
    warnings: list = field(default_factory=list)


class EutilsClient:
    def __init__(
        self,
        base_url: str | None = None,
        email: str | None = None,
        api_key: str | None = None,
        tool: str = TOOL,
        max_tries: int = 6,
        backoff_seconds: float | None = None,
        max_backoff_seconds: float = 60.0,
        timeout: tuple = (10.0, 120.0),
        rate: float | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = (base_url or os.environ.get("TRACKER_EUTILS_URL") or DEFAULT_BASE_URL).rstrip("/") + "/"
        self.email = email if email is not None else os.environ.get("NCBI_EMAIL")
        self._api_key = api_key if api_key is not None else os.environ.get("NCBI_API_KEY") or None
        self.tool = tool
        self.max_tries = max_tries
        if backoff_seconds is None:
            backoff_seconds = float(os.environ.get("TRACKER_BACKOFF_SECONDS", "1.0"))
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        if os.environ.get("TRACKER_TIMEOUT_SECONDS"):
            read_timeout = float(os.environ["TRACKER_TIMEOUT_SECONDS"])
            timeout = (min(timeout[0], read_timeout), read_timeout)
        self.timeout = timeout
        self.deadline_seconds = timeout[1]  # for the whole answer of one try, not each read
        self.rate = self._allowed_rate(rate)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"{TOOL} (python-requests)"
        self.requests_made = 0
        self._answered_once = False

    def _allowed_rate(self, rate: float | None) -> float:
        ncbi_limit = RATE_WITH_KEY if self._api_key else RATE_WITHOUT_KEY
        if rate is None and os.environ.get("TRACKER_MAX_RATE"):
            rate = float(os.environ["TRACKER_MAX_RATE"])
        if rate is None:
            return ncbi_limit
        if urlparse(self.base_url).hostname == NCBI_HOST:
            return min(rate, ncbi_limit)  # never above NCBI's rule against the real service
        return rate

    def __repr__(self) -> str:  # never show the key, even in a debugger or a log of objects
        return f"EutilsClient(base_url={self.base_url!r}, api_key={'set' if self._api_key else 'unset'})"

    # ------------------------------------------------------------------ requests

    def _params(self, params: dict) -> dict:
        full = {"tool": self.tool, **params}
        if self.email:
            full["email"] = self.email
        if self._api_key:
            full["api_key"] = self._api_key
        return full

    def _sleep_before_retry(self, attempt: int, retry_after: float | None) -> None:
        delay = self.backoff_seconds * (2 ** (attempt - 1))
        delay = random.uniform(delay / 2, delay)  # jitter, so clients do not retry in step
        if retry_after is not None:
            delay = max(delay, retry_after)
        time.sleep(min(delay, self.max_backoff_seconds))

    def request(self, endpoint: str, params: dict, validate):
        """POST to an E-utility and return validate(body); retry what is transient."""
        url = self.base_url + endpoint
        problems: list = []
        only_connection_errors = True
        for attempt in range(1, self.max_tries + 1):
            PROCESS_LIMITER.wait(self.rate)
            self.requests_made += 1
            retry_after = None
            try:
                with total_deadline(self.deadline_seconds) as ends:
                    response, body = self._post(url, params, ends)
            except DeadlineExceeded as error:
                problem = f"timed out ({error})"
                only_connection_errors = False
                self.session.close()  # the half-read connection must not go back to the pool
            except requests.ConnectionError as error:
                problem = f"connection failed ({_short_reason(error)})"
                if not self._answered_once and attempt >= 2:
                    # Never reached at all (no network, DNS): say so quickly instead of backing off for a minute.
                    raise PubMedUnreachable(
                        redact(f"PubMed could not be reached at {self.base_url}: {problem}", self._api_key)
                    ) from None
            except requests.Timeout:
                problem = "timed out"
                only_connection_errors = False
            except requests.RequestException as error:  # e.g. a body cut off mid-transfer
                problem = f"the response broke off ({_short_reason(error)})"
                only_connection_errors = False
            else:
                self._answered_once = True
                only_connection_errors = False
                status = response.status_code
                if status == 429 or status >= 500:
                    problem = f"HTTP {status}" + (" (rate limit)" if status == 429 else "")
                    retry_after = _retry_after(response.headers.get("Retry-After"))
                elif status >= 400:
                    raise PubMedError(
                        redact(f"{endpoint} refused the request: HTTP {status}: {_snippet(body)}", self._api_key)
                    )
                else:
                    try:
                        return self._validated(validate, body)
                    except TransientResponse as error:
                        problem = str(error)
            problem = redact(problem, self._api_key)
            problems.append(problem)
            if attempt < self.max_tries:
                # Until PubMed has answered once, a failure may just mean "offline": keep it quiet.
                level = logging.WARNING if self._answered_once else logging.INFO
                log.log(level, "%s: %s; retrying (try %d of %d)", endpoint, problem, attempt + 1, self.max_tries)
                self._sleep_before_retry(attempt, retry_after)
        error_class = PubMedUnreachable if only_connection_errors else PubMedError
        raise error_class(
            f"{endpoint} failed after {self.max_tries} tries; last problem: {problems[-1]}. "
            "Everything fetched before this was kept; run the sync again to finish."
        )

    def _post(self, url: str, params: dict, ends: float) -> tuple[requests.Response, bytes]:
        """POST and read the answer (scrubbed of the key), following a redirect only to the same scheme,
        host and port: the body holds the key."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self.session.post(url, data=self._params(params), timeout=self.timeout,
                                         allow_redirects=False, stream=True)
            if response.status_code not in REDIRECT_STATUSES or "Location" not in response.headers:
                return response, self._read(response, ends)
            response.close()
            target = urljoin(url, response.headers["Location"])
            if origin(target) != origin(self.base_url):
                raise PubMedError(redact(
                    f"E-utilities at {origin_text(self.base_url)} redirected to {origin_text(target)}; not followed, so "
                    "nothing (the API key included) is sent there. If that address is right, set TRACKER_EUTILS_URL "
                    "to it.", self._api_key))
            url = target
        raise PubMedError(f"E-utilities redirected more than {MAX_REDIRECTS} times; giving up")

    def _read(self, response: requests.Response, ends: float) -> bytes:
        with response:
            try:
                body = read_body(response, MAX_RESPONSE_BYTES, ends, self.deadline_seconds)
            except TooLarge as error:
                raise PubMedError(f"an answer of {error}; not read further") from None
        return redact_bytes(body, self._api_key)

    def _validated(self, validate, body: bytes):
        """validate(body) with the key taken out of whatever it returns or raises."""
        try:
            result = validate(body)
        except PubMedError as error:  # a TransientResponse's text is redacted where it is recorded
            raise type(error)(redact(str(error), self._api_key)) from None
        if isinstance(result, list):
            return [self._scrubbed_record(r) for r in result]
        return scrub(result, self._api_key)[0]

    def _scrubbed_record(self, record):
        clean, found = scrub(record, self._api_key)
        if found:  # the key was written with character references: keep no copy of the raw record
            clean.raw = None
        return clean

    # ------------------------------------------------------------------ E-utilities

    def esearch(
        self,
        term: str,
        datetype: str | None = None,
        mindate: str | None = None,
        maxdate: str | None = None,
        retmax: int = 0,
    ) -> SearchResult:
        params = {"db": "pubmed", "term": term, "usehistory": "y", "retmax": str(retmax), "retmode": "xml"}
        if datetype:
            params.update(datetype=datetype, mindate=mindate, maxdate=maxdate)
        return self.request("esearch.fcgi", params, parse_esearch)

    def efetch_history(self, webenv: str, query_key: str, retstart: int, retmax: int) -> list:
        """One page of records from the history server, parsed. A bad page is retried."""
        params = {
            "db": "pubmed",
            "WebEnv": webenv,
            "query_key": query_key,
            "retstart": str(retstart),
            "retmax": str(retmax),
            "retmode": "xml",
        }
        return self.request("efetch.fcgi", params, parse_efetch)


    def elink(self, pmids: list[int], linkname: str) -> dict[int, list[int]]:
        """PubMed's links of each PMID (pubmed_pubmed: related, pubmed_pubmed_citedin: citing), in ELink's order.

        Each PMID is sent as its own `id`, so ELink answers with one LinkSet per PMID.
        """
        params = {"dbfrom": "pubmed", "db": "pubmed", "id": [str(p) for p in pmids], "linkname": linkname,
                  "cmd": "neighbor", "retmode": "xml"}
        return self.request("elink.fcgi", params, lambda body: parse_elink(body, linkname))

    def efetch_ids(self, pmids: list[int]) -> list:
        """The records of these PMIDs (at most a few hundred a request), parsed; missing ones are left out."""
        params = {"db": "pubmed", "id": ",".join(str(p) for p in pmids), "retmode": "xml"}
        return self.request("efetch.fcgi", params, parse_efetch)


# ---------------------------------------------------------------------- bodies


def _xml_root(body: bytes, what: str):
    if not body.strip():
        raise TransientResponse(f"{what} came back empty")
    if looks_like_html(body):
        raise TransientResponse(f"{what} came back as an HTML page instead of XML")
    try:
        return etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise TransientResponse(f"{what} was not well-formed XML ({error.msg}): truncated?") from None


def _error_field(root, what: str) -> None:
    message = root.findtext("ERROR")
    if message:
        message = " ".join(message.split())
        if PERMANENT_ERRORS.search(message):
            raise PubMedError(f"{what} answered with an error: {message}")
        raise TransientResponse(f"{what} answered ERROR: {message}")


def parse_esearch(body: bytes) -> SearchResult:
    root = _xml_root(body, "esearch")
    if root.tag != "eSearchResult":
        raise TransientResponse(f"esearch returned <{root.tag}>, not <eSearchResult>")
    _error_field(root, "esearch")
    count_text = root.findtext("Count")
    if count_text is None or not count_text.strip().isdigit():
        raise TransientResponse("esearch returned no Count")
    warnings = [" ".join(e.itertext()).strip() for e in root.findall("ErrorList/*")]
    warnings += [" ".join(e.itertext()).strip() for e in root.findall("WarningList/*")]
    return SearchResult(
        count=int(count_text),
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
        warnings=[w for w in warnings if w],
    )


def parse_elink(body: bytes, linkname: str) -> dict[int, list[int]]:
    """{source PMID: linked PMIDs} for one link name; a source without such links maps to []."""
    root = _xml_root(body, "elink")
    if root.tag != "eLinkResult":
        raise TransientResponse(f"elink returned <{root.tag}>, not <eLinkResult>")
    _error_field(root, "elink")
    found: dict[int, list[int]] = {}
    for link_set in root.findall("LinkSet"):
        _error_field(link_set, "elink")
        sources = [p for p in (as_pmid(i.text) for i in link_set.findall("IdList/Id") + link_set.findall("IdCheckList/Id"))
                   if p]
        linked = [p for db in link_set.findall("LinkSetDb") if db.findtext("LinkName") == linkname
                  for p in (as_pmid(i.text) for i in db.findall("Link/Id")) if p]
        for source in sources:
            found.setdefault(source, []).extend(p for p in linked if p != source)
    return found


def parse_efetch(body: bytes) -> list:
    """An efetch page as ParsedRecords; anything that is not whole PubMed XML is transient."""
    if looks_like_html(body):
        raise TransientResponse("efetch came back as an HTML page instead of XML")
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        raise TransientResponse(f"efetch came back as JSON: {_snippet(body)}")
    if b"<ERROR>" in body[:2048] and b"<PubmedArticle" not in body[:4096]:
        _error_field(_xml_root(body, "efetch"), "efetch")
    try:
        return list(iter_xml_records(io.BytesIO(body), "efetch response"))
    except InputError as error:
        raise TransientResponse(str(error)) from None


# ---------------------------------------------------------------------- helpers


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return " ".join(text.split())


def _short_reason(error: Exception) -> str:
    """The gist of a requests error, without the URL requests puts in its message."""
    text = str(error)
    for marker in ("Failed to resolve", "Connection refused", "Connection reset", "Read timed out",
                   "IncompleteRead", "Connection broken", "RemoteDisconnected", "timed out"):
        if marker in text:
            return marker.lower()
    return type(error).__name__
