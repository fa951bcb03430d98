"""Downloader middleware: every request, redirects included, passes the host check."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

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
