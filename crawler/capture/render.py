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

from playwright.sync_api import Error, sync_playwright

WIDTH = 1280
VIEWPORT_HEIGHT = 800
# A page taller than this is cut here: WebP's own limit. Measured on real TikTok policies (35,000 px
# tall): a whole-page PNG took 30 s and 6.6 MB per version; cut to this height, 7 s and about 0.2 MB.
# The text diff still sees changes below the cut; the picture does not.
MAX_HEIGHT = 16_383
# A version captured from no URL (a saved file) is shown at this address, which resolves nowhere.
NO_URL = "http://policyarchive.invalid/"
# Types Chromium shows in a tab; any other (application/octet-stream, a PDF's bytes excepted) it downloads instead.
SHOWN = ("text/", "image/", "application/pdf", "application/xhtml+xml", "application/xml")


class RenderError(Exception):
    """Chromium could not picture a page, or could not start: one line saying why."""

    def __init__(self, error: Exception):
        super().__init__(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)


class Renderer:
    """One offline Chromium page; ``png(html, url)`` returns the full page as PNG bytes."""

    def __init__(self, browser):
        self.browser = browser
        self._open()

    def _open(self) -> None:
        self.context = self.browser.new_context(java_script_enabled=False, viewport={"width": WIDTH, "height": VIEWPORT_HEIGHT},
                                                service_workers="block")
        self.page = self.context.new_page()

    def png(self, html: bytes, url: str | None, content_type: str | None = None) -> bytes:
        """The page as PNG; a page Chromium cannot picture raises RenderError, and the next page gets
        a fresh tab (the failed one may have hung or crashed)."""
        try:
            return self._png(html, url, content_type)
        except Error as exc:
            self.context.close()
            self._open()
            raise RenderError(exc) from exc

    def _png(self, html: bytes, url: str | None, content_type: str | None) -> bytes:
        url = url if url and url.startswith(("http://", "https://")) else NO_URL
        served = _served_type(html, content_type)
        answered = []

        def answer(route):
            # The first navigation of the tab gets the stored bytes, whichever way Chromium spells
            # the URL (http://host becomes http://host/, a host is lower-cased, a path escaped);
            # any later navigation (a meta refresh) and every other request is refused.
            if route.request.is_navigation_request() and route.request.frame == self.page.main_frame and not answered:
                answered.append(route.request.url)
                route.fulfill(status=200, body=html, content_type=served)
            else:
                route.abort()

        self.page.unroute("**/*")
        self.page.route("**/*", answer)
        self.page.goto(url, wait_until="load", timeout=30_000)
        height = min(self.page.evaluate("Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)"),
                     MAX_HEIGHT)
        return self.page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": WIDTH, "height": max(height, 1)},
                                    animations="disabled")


def _served_type(html: bytes, content_type: str | None) -> str:
    """The type the bytes are served as: the captured charset if the capture had one; else the
    page's own <meta charset> decides; else UTF-8, as text extraction reads them. A capture that is
    not HTML (an imported Markdown file, a PDF) is shown as what it is; one of a type Chromium would
    download (application/octet-stream) is shown as the HTML text extraction read."""
    if content_type and "html" not in content_type.lower() and content_type.lower().startswith(SHOWN):
        return content_type
    if content_type and "charset=" in content_type.lower():
        return f"text/html; {content_type.split(';', 1)[1].strip()}"
    return "text/html" if b"charset" in html[:2048].lower() else "text/html; charset=utf-8"


@contextmanager
def renderer() -> Iterator[Renderer]:
    """A Renderer on a headless Chromium (``POLICYARCHIVE_CHROMIUM``, as crawls use), closed after;
    RenderError when Chromium does not start."""
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=os.environ.get("POLICYARCHIVE_CHROMIUM", "/usr/bin/chromium"))
        except Error as exc:
            raise RenderError(exc) from exc
        try:
            yield Renderer(browser)
        finally:
            browser.close()
