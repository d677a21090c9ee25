"""What the tests' local HTTP servers share: listen on a free loopback port, serve in a thread, stop cleanly."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class LocalServer:
    """`with Subclass(...) as server:` serves `self.server` (made by the subclass) until the block ends."""

    server: ThreadingHTTPServer

    def _serve(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        self.server.shutdown()
        self.server.server_close()

    def stop(self) -> None:
        """Called before the server shuts down: end anything a handler is still doing."""
