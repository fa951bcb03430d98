"""A captured page rendered offline in Chromium, as the picture of a version (crawler/archive/screenshots.py).

The stored bytes are served to Chromium at the URL they were captured from (so relative links and
the base resolve as they did), and every other request is aborted: rendering an old version never
contacts its site, and with JavaScript off the picture is the page the bytes describe, not what a
script fetches today. One browser serves a whole batch: its start-up is paid once.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from playwright.sync_api import sync_playwright

WIDTH = 1280
VIEWPORT_HEIGHT = 800
# A page taller than this is cut here: WebP's own limit. Measured on real TikTok policies (35,000 px
# tall): a whole-page PNG took 30 s and 6.6 MB per version; cut to this height, 7 s and about 0.2 MB.
# The text diff still sees changes below the cut; the picture does not.
MAX_HEIGHT = 16_383
# A version captured from no URL (a saved file) is shown at this address, which resolves nowhere.
NO_URL = "http://policyarchive.invalid/"


class Renderer:
    """One offline Chromium page; ``png(html, url)`` returns the full page as PNG bytes."""

    def __init__(self, browser):
        self.context = browser.new_context(java_script_enabled=False, viewport={"width": WIDTH, "height": VIEWPORT_HEIGHT},
                                           service_workers="block")
        self.page = self.context.new_page()

    def png(self, html: bytes, url: str | None, content_type: str | None = None) -> bytes:
        url = url if url and url.startswith(("http://", "https://")) else NO_URL
        served = _served_type(html, content_type)
        self.page.unroute("**/*")
        self.page.route("**/*", lambda route: route.fulfill(status=200, body=html, content_type=served)
                        if route.request.is_navigation_request() and route.request.url.split("#")[0] == url.split("#")[0]
                        else route.abort())
        self.page.goto(url, wait_until="load", timeout=30_000)
        height = min(self.page.evaluate("Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)"),
                     MAX_HEIGHT)
        return self.page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": WIDTH, "height": max(height, 1)},
                                    animations="disabled")


def _served_type(html: bytes, content_type: str | None) -> str:
    """The type the bytes are served as: the captured charset if the capture had one; else the
    page's own <meta charset> decides; else UTF-8, as text extraction reads them. A capture that is
    not HTML (an imported Markdown file) is shown as what it is."""
    if content_type and "html" not in content_type.lower():
        return content_type
    if content_type and "charset=" in content_type.lower():
        return f"text/html; {content_type.split(';', 1)[1].strip()}"
    return "text/html" if b"charset" in html[:2048].lower() else "text/html; charset=utf-8"


@contextmanager
def renderer() -> Iterator[Renderer]:
    """A Renderer on a headless Chromium (``POLICYARCHIVE_CHROMIUM``, as crawls use), closed after."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("POLICYARCHIVE_CHROMIUM", "/usr/bin/chromium"))
        try:
            yield Renderer(browser)
        finally:
            browser.close()
