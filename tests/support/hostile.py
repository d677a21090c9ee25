"""A local HTTP server that answers however a test tells it to: the hostile server of the security tests.

Each test hands it a function `answer(request) -> Reply`; every request it gets (method, path,
headers, body) is recorded, so a test can also check what a client sent where.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .local_server import LocalServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/xml; charset=UTF-8"
    headers: dict = field(default_factory=dict)
    trickle_seconds: float = 0.0  # send the body one byte at a time, this long between bytes
    trickle_headers: bool = False  # trickle the status line and headers too


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, TimeoutError)):
            super().handle_error(request, client_address)


class HostileServer(LocalServer):
    """`with HostileServer(answer) as server:` ... `server.url`, `server.seen`."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.seen: list[Seen] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._handle(b"")

            def do_POST(self):
                self._handle(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _handle(self, body: bytes):
                request = Seen(self.command, self.path, dict(self.headers), body)
                owner.seen.append(request)
                reply = owner.answer(request)
                head = [f"HTTP/1.1 {reply.status} X\r\n", f"Content-Type: {reply.content_type}\r\n",
                        f"Content-Length: {len(reply.body)}\r\n", "Connection: close\r\n"]
                head += [f"{name}: {value}\r\n" for name, value in reply.headers.items()]
                head_bytes = ("".join(head) + "\r\n").encode("latin-1")
                self.close_connection = True
                if reply.trickle_headers:
                    self._trickle(head_bytes + reply.body, reply.trickle_seconds)
                    return
                self.wfile.write(head_bytes)
                self.wfile.flush()
                if reply.trickle_seconds:
                    self._trickle(reply.body, reply.trickle_seconds)
                else:
                    self.wfile.write(reply.body)

            def _trickle(self, data: bytes, seconds: float):
                for i in range(len(data)):
                    if owner.stopping.is_set():
                        return
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    owner.stopping.wait(seconds)

        self.stopping = threading.Event()
        self._serve(_Server(("127.0.0.1", 0), Handler))

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.origin + "/entrez/eutils/"

    def stop(self) -> None:
        self.stopping.set()  # end any trickle, so shutdown does not wait for it


def esearch_body(count: int = 0, inner: str = "") -> bytes:
    """An eSearchResult with the given Count and extra XML inside, history keys included."""
    return (f'<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>{count}</Count><RetMax>0</RetMax>'
            f"<RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>MCID_test</WebEnv><IdList/>{inner}"
            "</eSearchResult>").encode()


def elapsed(function, *args, **kwargs):
    """(what function returned, seconds it took)."""
    start = time.monotonic()
    result = function(*args, **kwargs)
    return result, time.monotonic() - start
