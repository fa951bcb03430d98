"""The host check on every request Chromium makes for a browser variant, redirects included.

Scrapy's HostGuard sees only the first request of a browser variant: the page's own requests, its
script navigations and every hop of an HTTP redirect are made by Chromium. Each is judged by the
same check (``crawler.declarations.hosts.refusal``) in two places, because Playwright's routes are
never asked about a redirect's next hop (Playwright continues those itself):

- a Playwright route on the page: requests of every frame and worker, script navigations;
- the page's own DevTools interception (``Fetch``), which pauses every request at the network
  layer, each redirect hop included;
- and a Playwright WebSocket route, as neither of those sees a WebSocket (judged as the http or
  https URL of its handshake).

A refused request is aborted before any connection. A refused document (the page itself after a
redirect, a script navigation, a frame) is noted on the Scrapy request, and the spider records the
capture as ``blocked`` with the refused URL and the reason.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from crawler.declarations.hosts import allowed_private_hosts, refusal

logger = logging.getLogger(__name__)

# request.meta key: the documents Chromium was refused, as "refused URL: reason".
REFUSED = "policyarchive_refused"


def _refused(request, url: str, document: bool, allowed: set[str]) -> bool:
    """Whether ``url`` is refused; a refused document is noted on the Scrapy ``request``."""
    reason = refusal(url, allowed)
    if reason is None:
        return False
    logger.info("%s: browser request refused: %s: %s", request.meta.get("variant_id"), url, reason)
    if document:
        request.meta.setdefault(REFUSED, []).append(f"refused {url}: {reason}")
    return True


def _handshake_url(url: str) -> str:
    """A WebSocket's URL as the HTTP request that opens it: ``ws:`` is ``http:``, ``wss:`` ``https:``."""
    scheme, sep, rest = url.partition(":")
    return {"ws": "http", "wss": "https"}.get(scheme.lower(), scheme) + sep + rest


async def guard_page(page, request) -> None:
    """scrapy-playwright's page init callback: install both checks before the page navigates.
    Should either fail to install, the page is closed, so the capture fails rather than run
    unguarded. Playwright is imported here, as by every browser path: a crawl of HTTP variants only
    never loads it (issue 20)."""
    from playwright.async_api import Error as PlaywrightError

    allowed = allowed_private_hosts()

    async def route(route, pw_request) -> None:
        if _refused(request, pw_request.url, pw_request.is_navigation_request(), allowed):
            await route.abort("blockedbyclient")
        else:
            await route.fallback()

    async def paused(event: dict) -> None:
        document = event.get("resourceType") == "Document"
        with suppress(PlaywrightError):
            if _refused(request, event["request"]["url"], document, allowed):
                await session.send("Fetch.failRequest", {"requestId": event["requestId"], "errorReason": "BlockedByClient"})
            else:
                await session.send("Fetch.continueRequest", {"requestId": event["requestId"]})

    async def socket(ws) -> None:
        if _refused(request, _handshake_url(ws.url), False, allowed):
            await ws.close()
        else:
            ws.connect_to_server()

    try:
        await page.route("**", route)
        await page.route_web_socket("**", socket)
        session = await page.context.new_cdp_session(page)
        session.on("Fetch.requestPaused", paused)
        await session.send("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]})
    except PlaywrightError:
        await page.close()
        raise
