"""Downloader middlewares: every request, redirects included, passes the host check; meta-refresh
redirects are followed without decoding every page to look for one."""

from __future__ import annotations

import codecs

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse

from crawler.hosts import allowed_private_hosts, refusal


class HostGuard:
    """Refuses requests to private and loopback hosts not explicitly allowed (see crawler.hosts)."""

    def __init__(self):
        self.allowed = allowed_private_hosts()

    def process_request(self, request):
        reason = refusal(request.url, self.allowed)
        if reason:
            raise IgnoreRequest(f"refused {request.url}: {reason}")
        return None


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
