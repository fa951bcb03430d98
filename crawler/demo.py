"""The bundled demo site: a fictional service's policies served from 127.0.0.1, in two editions.

``demo/site/edition-1`` and ``edition-2`` are the same site at two moments; edition 2 adds one
clause to the US policy only. The server can switch editions while it runs, so a demo (or a test)
can crawl, change the site, and crawl again.
"""

from __future__ import annotations


import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "demo"
SITE = ROOT / "site"
POLICIES = ROOT / "policies"
PORT = 8765


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature is http.server's
        pass


class DemoSite:
    """A threaded static server on 127.0.0.1 whose document root is the current edition."""

    def __init__(self, port: int = PORT, edition: int = 1, site: Path = SITE):
        self.site = site
        self.edition = edition
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self, *args, **kwargs):
        return _Handler(*args, directory=str(self.site / f"edition-{self.edition}"), **kwargs)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def __enter__(self) -> "DemoSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()



