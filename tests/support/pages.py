"""A local web server for article imports: each path answers with a set status, type and body."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .local_server import LocalServer


class Pages(LocalServer):
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), _Handler))
        self.server.pages = self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def add(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200) -> str:
        self.routes[path] = (status, content_type, body)
        return self.url(path)



class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        status, content_type, body = self.server.pages.routes.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
