"""A local HTTP server that behaves like NCBI's E-utilities, for tests.

It serves real records (tests/support/corpus.py) and reproduces what the real service
does (see DESIGN.md, "PubMed facts"): a history server (WebEnv/query_key), date windows
on CRDT/MDAT, ESearch's 9,999 cap, and NCBI's own 429 JSON body when more than the
allowed requests arrive in one second. Faults can be queued to hit the next matching
requests: 429, 5xx, a dropped connection, a truncated body, an HTML page with status
200, an ERROR field.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .corpus import XML_HEAD, XML_TAIL, CorpusRecord
from .local_server import LocalServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pubmed"
CAP = 9999
ERROR_BODIES = {e["id"]: e for e in json.loads((FIXTURES / "eutils_error_bodies" / "error_bodies.json").read_text())}
RATE_LIMIT_BODY = ERROR_BODIES["rate_limit_429_bioutils16"]["body"].encode()
CAP_ERROR_BODY = ERROR_BODIES["esearch_json_retstart_9998"]["body"].encode()
HTML_PAGE = (FIXTURES / "biopython_entrez" / "pubmed3.html").read_bytes()
_NOT_CRDT = re.compile(r"^\((?P<base>.*)\) NOT \((?P<start>[\d/]+):(?P<end>[\d/]+)\[crdt\]\)$", re.S)


@dataclass
class Fault:
    endpoint: str  # "esearch" or "efetch"
    kind: str  # 429 | 500 | 502 | 503 | drop | truncate | html | error-field | json | slow
    times: int = 1  # how many matching requests it hits; -1 for all
    retry_after: str | None = None
    after: int = 0  # matching requests let through untouched before it starts


@dataclass
class Logged:
    at: float
    endpoint: str
    method: str
    query: str  # the URL's query string
    params: dict
    status: int = 200


@dataclass
class State:
    records: dict = field(default_factory=dict)  # pmid -> CorpusRecord
    terms: dict = field(default_factory=dict)  # query term -> set of pmids
    history: dict = field(default_factory=dict)  # webenv -> list of pmids
    link_sets: dict = field(default_factory=dict)  # pmid -> a recorded <LinkSet> element (ELink)
    faults: list = field(default_factory=list)
    log: list = field(default_factory=list)
    rate_limit: float | None = 3.0  # requests a second before answering 429, as NCBI does
    lock: threading.Lock = field(default_factory=threading.Lock)


def _pdate(text: str) -> date:
    parts = [int(p) for p in text.split("/")] + [1, 1]
    return date(parts[0], parts[1] or 1, parts[2] or 1)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client killed mid-request (the SIGKILL trials) resets its connection: not the server's problem.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class FakeEutils(LocalServer):
    def __init__(self) -> None:
        self.state = State()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._serve(_QuietServer(("127.0.0.1", 0), handler))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/entrez/eutils/"

    # -- corpus ---------------------------------------------------------------

    def add(self, term: str, records: list) -> None:
        with self.state.lock:
            for record in records:
                self.state.records[record.pmid] = record
            self.state.terms.setdefault(term, set()).update(r.pmid for r in records)

    def add_link_sets(self, recorded: bytes) -> list[int]:
        """Answer ELink from a real recorded response: each LinkSet by its source PMID. Returns the PMIDs."""
        from lxml import etree

        root = etree.fromstring(recorded, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
        sources = []
        with self.state.lock:
            for link_set in root.iter("LinkSet"):
                ids = [int(i.text) for i in link_set.findall("IdList/Id")]
                if len(ids) == 1:
                    self.state.link_sets[ids[0]] = link_set
                    sources.append(ids[0])
        return sources

    def replace(self, record: CorpusRecord) -> None:
        with self.state.lock:
            self.state.records[record.pmid] = record

    def fault(self, endpoint: str, kind: str, times: int = 1, retry_after: str | None = None, after: int = 0) -> None:
        with self.state.lock:
            self.state.faults.append(Fault(endpoint, kind, times, retry_after, after))

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    def requests(self, endpoint: str | None = None) -> list:
        return [e for e in self.state.log if endpoint is None or e.endpoint == endpoint]

    def max_in_one_second(self) -> int:
        """The most requests that arrived within any one-second span."""
        times = sorted(e.at for e in self.state.log)
        best, start = 0, 0
        for end in range(len(times)):
            while times[end] - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best


class _Handler(BaseHTTPRequestHandler):
    state: State
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self._handle(parse_qs(urlparse(self.path).query))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        self._handle(parse_qs(body))

    # -- plumbing ---------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str = "text/xml; charset=UTF-8", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self.state.lock:
            for fault in self.state.faults:
                if fault.endpoint == endpoint and fault.times != 0:
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def _over_rate(self, now: float) -> bool:
        if self.state.rate_limit is None:
            return False
        recent = [e for e in self.state.log if now - e.at < 1.0]
        return len(recent) > self.state.rate_limit

    def _handle(self, raw_params: dict):
        params = {k: v[0] for k, v in raw_params.items()}
        endpoint = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1].replace(".fcgi", "")
        now = time.monotonic()
        entry = Logged(now, endpoint, self.command, urlparse(self.path).query, params)
        with self.state.lock:
            self.state.log.append(entry)
            over = self._over_rate(now)
        if over:
            entry.status = 429
            return self._send(429, RATE_LIMIT_BODY, "application/json", {"Retry-After": "1"})
        fault = self._take_fault(endpoint)
        if fault is not None:
            return self._apply(fault, entry, endpoint)
        if endpoint == "esearch":
            return self._send(200, self._esearch(params))
        if endpoint == "efetch":
            status, body = self._efetch(params)
            entry.status = status
            return self._send(status, body)
        if endpoint == "elink":
            entry.params["id"] = raw_params.get("id", [])  # every id, as ELink reads repeated ids
            return self._send(200, self._elink(raw_params.get("id", []), params.get("linkname")))
        entry.status = 404
        return self._send(404, b"<html><body>Not found</body></html>", "text/html")

    def _apply(self, fault: Fault, entry: Logged, endpoint: str):
        kind = fault.kind
        if kind.isdigit():
            entry.status = int(kind)
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if kind == "429":
                return self._send(429, RATE_LIMIT_BODY, "application/json", headers)
            return self._send(int(kind), b"<html><body><h1>Internal Server Error</h1></body></html>", "text/html", headers)
        if kind == "html":
            return self._send(200, HTML_PAGE, "text/html")
        if kind == "slow":  # answer only after the client has given up waiting
            time.sleep(1.5)
            body = self._esearch(entry.params) if endpoint == "esearch" else self._efetch(entry.params)[1]
            return self._send(200, body)
        if kind == "json":
            return self._send(200, CAP_ERROR_BODY, "application/json")
        if kind == "error-field":
            tag = {"esearch": "eSearchResult", "elink": "eLinkResult"}.get(endpoint, "eFetchResult")
            body = f"<?xml version=\"1.0\"?><{tag}><ERROR>Search Backend failed: temporary failure</ERROR></{tag}>"
            return self._send(200, body.encode())
        if kind == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        if kind == "truncate":
            body = self._esearch(entry.params) if endpoint == "esearch" else self._efetch(entry.params)[1]
            cut = body[: len(body) // 2]
            # Promise the whole body, send half, hang up: what a dropped transfer looks like.
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(cut)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        raise ValueError(kind)

    # -- E-utilities ----------------------------------------------------------

    def _matching(self, params: dict) -> list:
        term = " ".join(params.get("term", "").split())
        excluded: set = set()
        match = _NOT_CRDT.match(term)
        if match:
            term = " ".join(match.group("base").split())
            start, end = _pdate(match.group("start")), _pdate(match.group("end"))
            excluded = {p for p, r in self.state.records.items() if start <= r.created <= end}
        pmids = set(self.state.terms.get(term, set())) - excluded
        datetype = params.get("datetype")
        if datetype:
            start, end = _pdate(params["mindate"]), _pdate(params["maxdate"])
            attribute = {"crdt": "created", "edat": "created", "mdat": "modified"}[datetype]
            pmids = {p for p in pmids if start <= getattr(self.state.records[p], attribute) <= end}
        return sorted(pmids, reverse=True)

    def _esearch(self, params: dict) -> bytes:
        retstart = int(params.get("retstart", 0))
        retmax = int(params.get("retmax", 20))
        if retstart > CAP - 1:
            return CAP_ERROR_BODY
        with self.state.lock:
            pmids = self._matching(params)
            webenv = query_key = ""
            if params.get("usehistory") == "y":
                webenv = f"MCID_{len(self.state.history) + 1:024x}"
                self.state.history[webenv] = pmids
                query_key = "1"
        shown = pmids[retstart : retstart + min(retmax, CAP)]
        ids = "".join(f"<Id>{p}</Id>\n" for p in shown)
        history = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>" if webenv else ""
        return (
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
            '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
            f"<eSearchResult><Count>{len(pmids)}</Count><RetMax>{len(shown)}</RetMax>"
            f"<RetStart>{retstart}</RetStart>{history}<IdList>\n{ids}</IdList>"
            f"<TranslationSet/><QueryTranslation>{_escape(params.get('term', ''))}</QueryTranslation></eSearchResult>\n"
        ).encode()

    def _elink(self, ids: list, linkname: str | None) -> bytes:
        """One LinkSet per id: the recorded one (only the asked link name kept), else one without links."""
        from copy import deepcopy

        from lxml import etree

        parts = []
        for text in ids:
            recorded = self.state.link_sets.get(int(text)) if text.isdigit() else None
            if recorded is None:
                parts.append(f"<LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>{_escape(text)}</Id></IdList></LinkSet>")
                continue
            link_set = deepcopy(recorded)
            for db in link_set.findall("LinkSetDb"):
                if linkname and db.findtext("LinkName") != linkname:
                    link_set.remove(db)
            parts.append(etree.tostring(link_set, encoding="unicode"))
        return ('<?xml version="1.0" encoding="UTF-8" ?>\n<eLinkResult>\n' + "\n".join(parts) + "\n</eLinkResult>\n").encode()

    def _efetch(self, params: dict) -> tuple:
        with self.state.lock:
            if "WebEnv" in params:
                pmids = self.state.history.get(params["WebEnv"])
                if pmids is None:
                    return 200, b"<?xml version=\"1.0\"?><eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>"
                retstart = int(params.get("retstart", 0))
                if retstart >= CAP:
                    return 200, CAP_ERROR_BODY
                pmids = pmids[retstart : retstart + int(params.get("retmax", 20))]
            else:
                pmids = [int(p) for p in params.get("id", "").split(",") if p]
            records = [self.state.records[p].xml for p in pmids if p in self.state.records]
        return 200, XML_HEAD + b"\n".join(records) + b"\n" + XML_TAIL


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def today() -> date:
    return datetime.now().date()
