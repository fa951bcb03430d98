"""The one item the spider yields: a capture, whatever its outcome, with its provenance."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class Capture:
    """One fetch attempt of one variant: the bytes as received and where they came from.

    ``error`` is set when no response came (DNS, refused, timeout, reset, size limit); ``body`` is
    then empty. ``proxy`` names the egress (a region's proxy name), never its address or credentials.
    What is not known is None: an imported saved file has no URL, and only a crawl has a region,
    language, egress and renderer (``crawler/archive/provenance.py``).
    """

    variant_id: str
    requested_url: str | None
    fetched_at: str
    final_url: str | None = None
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False)
    renderer: str = "http"
    region: str | None = None
    language: str | None = None
    proxy: str | None = None
    user_agent: str | None = None
    elapsed_ms: int | None = None
    error: str | None = None
    error_kind: str | None = None
    source: str = "crawl"
    memento_url: str | None = None
    failed_actions: tuple[str, ...] = ()  # the page actions that failed, each named (crawler/capture/actions.py)
    worker: str | None = None  # the regional worker that fetched it (crawler/fleet/), and its host
    worker_host: str | None = None
    request_id: str | None = None  # the queue's id of the request it answers
    pages: tuple["Capture", ...] = ()  # a multi-page document's pages, each fetched as a capture of its own

    @property
    def failed_page(self) -> int | None:
        """The number (1-based) of the page whose fetch failed: no page after it is fetched."""
        return next((n for n, page in enumerate(self.pages, 1) if page.error or not 200 <= (page.status or 200) < 300), None)

    def __repr__(self) -> str:
        """The fields and the body's size, never the body: Scrapy logs an item it could not process
        whole, and a 400 KB page per log line buries the log."""
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)
        return f"Capture({fields}, body={len(self.body)} bytes)"

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")
