"""The ``policies`` spider: one request per declared variant, one Capture per attempt.

Plain variants go through Scrapy's HTTP stack; ``fetch: browser`` variants through scrapy-playwright
and Chromium, in a browser context per egress and locale so that a region's language, time zone and
proxy never leak into another's. Every attempt yields a Capture, failed ones included, so the
archive records what went wrong as well as what came back.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from typing import Any, AsyncIterator, Iterator

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.capture.actions import DEFAULT_TIMEOUT, run_actions
from crawler.capture.browser import REFUSED, guard_page
from crawler.common.clock import utcnow
from crawler.declarations.catalog import Catalog, CatalogError, Variant, load_catalog
from crawler.common.outcomes import BLOCKED, ERROR, HTTP_ERROR, NETWORK_ERROR, TOO_LARGE
from crawler.declarations.ids import UnknownIds
from crawler.capture.items import Capture
from crawler.common.plural import count
from crawler.declarations.regions import accept_language, locale_for, timezone_for


# Error responses reach the spider, to be recorded; redirects are still followed (handle_httpstatus_all
# would stop RedirectMiddleware too).
ERROR_STATUSES = list(range(400, 600))


def failure_kind(message: str) -> str:
    """The outcome of a request that got no usable response, from Scrapy's failure message."""
    if "larger than download max size" in message or "exceeded DOWNLOAD_MAXSIZE" in message:
        return TOO_LARGE
    if message == "DownloadCancelledError: ":  # Scrapy cancels a body that grows past DOWNLOAD_MAXSIZE
        return TOO_LARGE
    if "max redirections reached" in message:
        return HTTP_ERROR
    if message.startswith("IgnoreRequest: refused "):
        return BLOCKED
    return NETWORK_ERROR


class NoProxy(LookupError):
    """A variant declares an egress (``proxy``) this machine has no proxy for."""


@contextmanager
def _refusing() -> Iterator[None]:
    """Declarations that do not validate, or ``-a only=`` ids that name nothing, stop a bare ``scrapy
    crawl policies`` with their messages and exit status 1, as ``policyarchive crawl`` does, rather than
    a traceback: SystemExit passes through Scrapy's startup, which logs any other exception whole."""
    try:
        yield
    except CatalogError as exc:
        raise SystemExit(f"{exc}\n{count(len(exc.errors), 'error')} in the declarations; nothing was run.") from None
    except UnknownIds as exc:
        raise SystemExit(f"{exc}\nnothing was run.") from None


class PoliciesSpider(scrapy.Spider):
    name = "policies"

    def __init__(self, only: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.only = tuple(o for o in (only or "").split(",") if o)

    @classmethod
    def update_settings(cls, settings) -> None:
        """Route through scrapy-playwright only when some selected variant needs a browser: its
        handler slows plain HTTP fetches about 3.5 times (bench/throughput.py)."""
        super().update_settings(settings)
        with _refusing():
            catalog = load_catalog(settings.get("POLICYARCHIVE_POLICIES"))
            selected = catalog.select(settings.getlist("POLICYARCHIVE_ONLY"), where=settings.get("POLICYARCHIVE_POLICIES"))
        if not any(v.fetch == "browser" for v in selected):
            settings.set("DOWNLOAD_HANDLERS", {}, priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.only = spider.only or tuple(settings.getlist("POLICYARCHIVE_ONLY"))
        with _refusing():
            spider.catalog: Catalog = load_catalog(settings.get("POLICYARCHIVE_POLICIES"))
            spider.catalog.select(spider.only, where=settings.get("POLICYARCHIVE_POLICIES"))
        spider.proxies: dict[str, str] = dict(settings.getdict("POLICYARCHIVE_PROXIES"))
        spider.action_timeout = settings.getfloat("POLICYARCHIVE_ACTION_TIMEOUT", DEFAULT_TIMEOUT)
        return spider

    @property
    def variants(self) -> list[Variant]:
        return self.catalog.select(self.only)

    async def start(self) -> AsyncIterator[scrapy.Request | Capture]:
        """One request per variant. A request that cannot be built (a URL Scrapy cannot read) is that
        variant's recorded ``error``, never the end of every variant after it."""
        for variant in self.variants:
            try:
                request = self.request_for(variant)
            except Exception as exc:
                self.logger.warning("%s: no request could be made: %s", variant.id, exc)
                yield Capture(variant_id=variant.id, requested_url=variant.url, fetched_at=utcnow(), region=variant.region,
                              language=variant.language, error=f"no request could be made: {type(exc).__name__}: {exc}",
                              error_kind=ERROR)
                continue
            yield request

    def egress(self, variant: Variant) -> tuple[str | None, str | None]:
        """(name, proxy URL) of the variant's egress: its ``proxy`` field, else its region; direct
        (None, None) when neither has a proxy set. A declared ``proxy`` that no proxy set here
        answers is NoProxy: fetched directly, the page would come from wherever this machine is,
        and its capture would name an egress it never went through."""
        for name in filter(None, (variant.proxy, variant.region)):
            if name.upper() in self.proxies:
                return name.upper(), self.proxies[name.upper()]
        if variant.proxy:
            raise NoProxy(f"proxy {variant.proxy!r} is declared, but POLICYARCHIVE_PROXY_{variant.proxy.upper()} is not "
                          f"set: not fetched, as the page would come from this machine, not through {variant.proxy}")
        return None, None

    def request_for(self, variant: Variant, pages: tuple[Capture, ...] = ()) -> scrapy.Request:
        """The request of the variant's page after ``pages`` (the pages of a multi-page document
        fetched so far, carried from one page to the next); its one page for most variants."""
        egress, proxy_url = self.egress(variant)
        url = variant.pages[len(pages)].url if variant.multipage else variant.url
        meta: dict[str, Any] = {"variant_id": variant.id, "egress": egress, "handle_httpstatus_list": ERROR_STATUSES,
                                "pages": pages}
        headers = {"Accept-Language": accept_language(variant.language), **variant.headers}
        if variant.fetch == "browser":
            from scrapy_playwright.page import PageMethod  # here: a crawl without browser variants never loads Playwright

            locale = variant.locale or locale_for(variant.region, variant.language)
            context: dict[str, Any] = {
                "locale": locale,
                "timezone_id": variant.timezone or timezone_for(variant.region),
                "extra_http_headers": dict(variant.headers),
                "java_script_enabled": True,
            }
            if proxy_url:
                context["proxy"] = {"server": proxy_url}
            actions = [PageMethod(run_actions, variant.actions, self.action_timeout)] if variant.actions else []
            waits = [PageMethod("wait_for_selector", variant.wait_for)] if variant.wait_for else []
            meta.update(
                playwright=True,
                playwright_context=f"{egress or 'direct'}|{locale}",
                playwright_context_kwargs=context,
                playwright_page_methods=[*actions, *waits, PageMethod("evaluate", "navigator.userAgent")],
                playwright_page_goto_kwargs={"wait_until": "load"},
                playwright_page_init_callback=guard_page,
            )
        elif proxy_url:
            meta["proxy"] = proxy_url
        return scrapy.Request(url, headers=headers, meta=meta, callback=self.parse, errback=self.failed, dont_filter=True)

    def _capture(self, request: scrapy.Request, **fields: Any) -> Capture:
        variant = self.catalog.variant(request.meta["variant_id"])
        return Capture(
            variant_id=variant.id,
            requested_url=request.url if variant.multipage else variant.url,
            fetched_at=utcnow(),
            renderer="browser" if request.meta.get("playwright") else "http",
            region=variant.region,
            language=variant.language,
            proxy=request.meta.get("egress"),
            user_agent=(request.headers.get("User-Agent") or b"").decode() or None,
            **fields,
        )

    async def parse(self, response: Response) -> AsyncIterator[Capture]:
        """The response as a capture. A browser's user agent is read by a page method while the page
        is open (not by keeping the page for this callback: scrapy-playwright then closes it as soon
        as it has the content, and the context's page slot is free for the next variant)."""
        methods = response.meta.get("playwright_page_methods", ())
        user_agent = next((m.result for m in methods if m.method == "evaluate"), None)
        failed_actions = next((m.result for m in methods if m.method is run_actions), None)
        capture = self._capture(
            response.request,
            final_url=response.url,
            status=response.status,
            headers={k.decode().lower(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            body=response.body,
            elapsed_ms=int(response.meta.get("download_latency", 0) * 1000),
        )
        if user_agent:
            capture.user_agent = user_agent
        capture.failed_actions = tuple(failed_actions or ())
        if response.request.meta.get(REFUSED):
            capture.error, capture.error_kind = "; ".join(response.request.meta[REFUSED]), BLOCKED
        yield self._next(response.request, capture)

    def _next(self, request: scrapy.Request, capture: Capture) -> Capture | scrapy.Request:
        """The capture, for a one-page variant. For a multi-page document, the request of its next
        page, or, once the last page is in or one has failed, the document's capture: the first
        page's exchange, with every page fetched in ``pages``."""
        variant = self.catalog.variant(request.meta["variant_id"])
        if not variant.multipage:
            return capture
        pages = (*request.meta["pages"], capture)
        document = replace(pages[0], requested_url=variant.url, pages=pages,
                           elapsed_ms=sum(p.elapsed_ms or 0 for p in pages),
                           failed_actions=tuple(a for p in pages for a in p.failed_actions))
        if document.failed_page or len(pages) == len(variant.pages):
            return document
        return self.request_for(variant, pages)

    async def failed(self, failure: Failure) -> AsyncIterator[Capture]:
        """A request that got no usable response; one whose page Chromium was refused (a redirect
        to a host not allowed) is ``blocked``, with the refused URL, like Scrapy's own refusals.
        A response whose status the spider did not ask for (a 304, a 302 without a Location, a 999)
        reaches here as Scrapy's HttpError: it is recorded as the answer it is, status and bytes."""
        if failure.check(HttpError):
            async for capture in self.parse(failure.value.response):
                yield capture
            return
        request = failure.request
        message = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        kind = failure_kind(message)
        if request.meta.get(REFUSED):
            message, kind = "; ".join(request.meta[REFUSED]), BLOCKED
        self.logger.warning("%s failed: %s", request.meta["variant_id"], message)
        yield self._next(request, self._capture(request, error=message, error_kind=kind))
