"""A fake Wayback Machine on 127.0.0.1: a CDX API and an ``id_`` replay that behave like the real
ones where a backfill can go wrong. The CDX API filters by status, collapses adjacent duplicates by
digest within a query, pages with resume keys (a fixed, small page), and honours from/to; replay
serves the bytes of a capture, or redirects a memento to a neighbouring capture. Tests make it
answer 429 (``throttle``), hold a request until released (``hold``), and count every request."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Memento:
    timestamp: str
    original: str
    body: bytes = b""
    status: int = 200
    redirect_to: str | None = None   # a timestamp: replay answers 302 to that capture
    listed: bool = True              # in the CDX index (a redirect's target may not be)

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()


class FakeWayback:
    def __init__(self, page_size: int = 2):
        self.page_size = page_size
        self.mementos: list[Memento] = []
        self.hits: list[str] = []
        self.throttle: dict[str, int] = {}   # path prefix -> 429s still to answer
        self.retry_after: str | None = None
        self.held: str | None = None          # path prefix whose requests wait for `release`
        self.cdx_page: bytes | None = None    # a page the CDX API answers instead of JSON (an outage page)
        self.reached = threading.Event()
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.hits.append(self.path)
                status, headers, body = fake.answer(self.path)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, timestamp: str, original: str, body: bytes = b"", **kwargs) -> Memento:
        memento = Memento(timestamp, original, body, **kwargs)
        self.mementos.append(memento)
        return memento

    def count(self, prefix: str) -> int:
        return sum(1 for hit in self.hits if hit.startswith(prefix))

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str) -> tuple[int, dict, bytes]:
        for prefix, left in self.throttle.items():
            if path.startswith(prefix) and left:
                self.throttle[prefix] = left - 1
                return 429, {"Retry-After": self.retry_after} if self.retry_after else {}, b"Too Many Requests"
        if self.held and path.startswith(self.held):
            self.reached.set()
            self.release.wait(60)
        if path.startswith("/cdx/search/cdx") and self.cdx_page is not None:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.cdx_page
        if path.startswith("/cdx/search/cdx"):
            return 200, {"Content-Type": "application/json"}, self.cdx(parse_qs(urlsplit(path).query))
        if path.startswith("/web/"):
            return self.replay(path)
        return 404, {}, b"not found"

    def cdx(self, q: dict) -> bytes:
        one = {k: v[0] for k, v in q.items()}
        rows = sorted((m for m in self.mementos if m.listed and m.original == one["url"]), key=lambda m: m.timestamp)
        if one.get("filter") == "statuscode:200":
            rows = [m for m in rows if m.status == 200]
        rows = [m for m in rows if m.timestamp[:len(one.get("from", ""))] >= one.get("from", "")
                and m.timestamp[:len(one.get("to", "9"))] <= one.get("to", "9")]
        start = next((i for i, m in enumerate(rows) if m.timestamp == one.get("resumeKey", "").split("+")[-1]), 0)
        page, previous, i = [], None, start
        while i < len(rows) and len(page) < min(int(one.get("limit", 10_000)), self.page_size):
            if not (one.get("collapse") == "digest" and rows[i].digest == previous):
                page.append(rows[i])
            previous = rows[i].digest
            i += 1
        fields = one.get("fl", "timestamp,original,digest").split(",")
        out = [fields] + [[str(getattr(m, "status" if f == "statuscode" else f)) for f in fields] for m in page]
        if i < len(rows) and one.get("showResumeKey") == "true":
            out += [[], [f"com,example,acme)/privacy+{rows[i].timestamp}"]]
        return json.dumps(out).encode()

    def replay(self, path: str) -> tuple[int, dict, bytes]:
        stamp, _, original = path[len("/web/"):].partition("/")
        timestamp = stamp.removesuffix("id_")
        memento = next((m for m in self.mementos if m.timestamp == timestamp and m.original == original), None)
        if memento is None:
            return 404, {}, b"not in archive"
        if memento.redirect_to:
            return 302, {"Location": f"{self.url}/web/{memento.redirect_to}id_/{original}"}, b""
        return memento.status, {"Content-Type": "text/html; charset=utf-8", "Memento-Datetime": timestamp}, memento.body
