"""Downloader middlewares: every request, redirects included, passes the host check; retries wait
as long as the server asks; meta-refresh redirects are followed without decoding every page to
look for one; a compressed body cut short is a failed fetch, not a shorter page."""

from __future__ import annotations

import asyncio
import logging
import struct
import zlib
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils._compression import brotli, zstd  # the modules Scrapy decodes br and zstd with
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
        try:
            return super().process_response(request, response)
        except (LookupError, UnicodeError):
            # A charset label naming a codec Scrapy cannot read the page with (charset=base64,
            # punycode): a browser ignores such a label; the page is kept as it came, and the
            # extraction reads it as a browser does.
            return response


def _ascii_compatible(encoding: str) -> bool:
    try:
        return "refresh".encode(encoding) == b"refresh"
    except (LookupError, UnicodeError):  # unknown, or no text encoding (base64, hex)
        return False


class CompressedBodyCutShort(Exception):
    """A compressed body that ends before its stream does."""


class WholeBodies(HttpCompressionMiddleware):
    """Scrapy's decompression, refusing a body whose compressed stream is cut short. Scrapy returns
    as much as a truncated gzip, deflate, brotli or zstd stream gives (the connection dropped
    behind a proxy that closed the response cleanly, a cache that stored half a page): that is the
    start of the page, which would be versioned as a shorter policy. The request fails instead,
    as a response shorter than its Content-Length does."""

    @staticmethod
    def _decode(body: bytes, encoding: bytes, max_size: int) -> bytes:
        decoded = HttpCompressionMiddleware._decode(body, encoding, max_size)
        if not _whole(body, encoding, decoded):
            raise CompressedBodyCutShort(f"the {encoding.decode()} body ends before its compressed stream does "
                                         f"({len(body):,} bytes received, {len(decoded):,} decompressed): cut short")
        return decoded


def _whole(body: bytes, encoding: bytes, decoded: bytes) -> bool:
    """Whether ``body``'s compressed stream reaches its end. Scrapy has already decompressed it within
    DOWNLOAD_MAXSIZE, so decompressing it again here is bounded; a gzip body is first checked by its
    trailer (the CRC-32 and size of what it holds), which costs a tenth of decompressing it. An
    empty body (a 204, a 304, an empty page labelled gzip) has no stream to cut."""
    if not body:
        return True
    if encoding in (b"gzip", b"x-gzip"):
        if len(body) >= 18 and body[-8:] == struct.pack("<II", zlib.crc32(decoded), len(decoded) & 0xFFFFFFFF):
            return True
        return _ends(zlib.decompressobj(16 + zlib.MAX_WBITS), body)  # several members, or cut short: the first must end
    if encoding == b"deflate":  # zlib's wrapper, or raw deflate as some servers send it (Scrapy reads both)
        return _ends(zlib.decompressobj(), body) or _ends(zlib.decompressobj(-zlib.MAX_WBITS), body)
    if encoding == b"zstd":
        return _ends(zstd.ZstdDecompressor(), body)
    if encoding == b"br":
        decompressor = brotli.Decompressor()
        try:
            decompressor.process(body)
        except brotli.error:
            return False
        return decompressor.is_finished()
    return True


def _ends(stream, body: bytes) -> bool:
    try:
        stream.decompress(body)
    except (zlib.error, zstd.ZstdError):
        return False
    return stream.eof
