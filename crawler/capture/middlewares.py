"""Downloader middlewares: every request, redirects included, passes the host check; retries wait
as long as the server asks; meta-refresh redirects are followed without decoding every page to
look for one."""

from __future__ import annotations

import asyncio
import codecs
import logging
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.response import response_status_message

from crawler.declarations.hosts import allowed_private_hosts, refusal
from crawler.capture.retry import retry_after_seconds

logger = logging.getLogger(__name__)


# The statuses Scrapy's RedirectMiddleware follows.
_REDIRECTS = {301, 302, 303, 307, 308}


class HostGuard:
    """Refuses requests to private and loopback hosts not explicitly allowed (see crawler.declarations.hosts),
    and redirects to where no request may go: Scrapy does not follow a ``file:`` or ``gopher:``
    Location but hands the 3xx on, which would be recorded as an error of the site rather than a
    refusal."""

    def __init__(self):
        self.allowed = allowed_private_hosts()

    def process_request(self, request):
        reason = refusal(request.url, self.allowed)
        if reason:
            raise IgnoreRequest(f"refused {request.url}: {reason}")
        return None

    def process_response(self, request, response):
        location = response.headers.get("Location") if response.status in _REDIRECTS else None
        if location:
            target = urljoin(request.url, location.decode("latin-1"))
            reason = refusal(target, self.allowed)
            if reason:
                raise IgnoreRequest(f"refused {target}: {reason}")
        return response


class RetryAfter(RetryMiddleware):
    """Scrapy's retries, waiting first as long as a retryable response's ``Retry-After`` asks (a 429
    or 503 says when to come back: retrying at once only meets the same refusal), up to
    ``POLICYARCHIVE_RETRY_AFTER_MAX`` seconds. A longer wait is not made in the run: the response
    is recorded as it is (blocked, or an HTTP error) and the next run tries again."""

    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("POLICYARCHIVE_RETRY_AFTER_MAX")

    async def process_response(self, request, response):
        wait = retry_after_seconds(response.headers.get("Retry-After", b"").decode("latin-1"))
        if wait is None or response.status not in self.retry_http_codes or request.meta.get("dont_retry"):
            return super().process_response(request, response)
        if wait > self.max_wait:
            logger.info("%s: HTTP %d asks to come back in %.0f s, more than the %.0f s a run waits",
                        request.url, response.status, wait, self.max_wait)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await asyncio.sleep(wait)
        return retry


# Scrapy looks for the refresh tag in a page's first 4,096 characters: at most 4 bytes each.
_REFRESH_WINDOW = 4 * 4096


class MetaRefresh(MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirects, minus the cost of decoding each whole page (550 KB for
    TikTok's) to find that it has none: a page in an ASCII-compatible encoding whose first 16 KB do
    not say "refresh" has no refresh tag where Scrapy looks."""

    def process_response(self, request, response):
        if isinstance(response, HtmlResponse) and _ascii_compatible(response.encoding) \
                and b"refresh" not in response.body[:_REFRESH_WINDOW].lower():
            return response
        return super().process_response(request, response)


def _ascii_compatible(encoding: str) -> bool:
    try:
        return codecs.encode("refresh", encoding) == b"refresh"
    except LookupError:
        return False
