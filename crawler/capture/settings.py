"""Scrapy settings for policyarchive: where a crawl's configuration is read, and every default it has.

Everything specific to policyarchive is a ``POLICYARCHIVE_*`` setting; the CLI sets them with
``-s``-style overrides, and only the proxies, the Chromium path and whether to take screenshots can
come from the environment (they differ per machine and hold secrets), with one more that declarations read too:
``POLICYARCHIVE_ALLOW_PRIVATE_HOSTS`` (``crawler/declarations/hosts.py``). Backfills are not Scrapy
crawls; their settings are in ``crawler/intake/settings.py``.
"""

import os

BOT_NAME = "policyarchive"
SPIDER_MODULES = ["crawler.capture.spiders"]
NEWSPIDER_MODULE = "crawler.capture.spiders"

# One page per variant per run; legal pages are fetched for accountability, so robots.txt is not
# consulted, but the crawl stays gentle: few requests per site, no cookies carried between regions.
ROBOTSTXT_OBEY = False
COOKIES_ENABLED = False
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
# Each response yields one capture, and Scrapy starts this many asyncio tasks per response to feed
# its items to the pipeline: the default (100) cost a tenth of a nightly run's reactor time.
CONCURRENT_ITEMS = 1
USER_AGENT = "Mozilla/5.0 (compatible; policyarchive/0.1; policy change tracker)"
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}

# Debian's Chromium, started with the flags a headless, offline, root machine needs.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("POLICYARCHIVE_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        # Every frame in the page's process, so the page's own request interception (the host check
        # on redirect hops, crawler/capture/browser.py) sees cross-site frames' requests too.
        "--disable-site-isolation-trials",
    ],
}
# Let the browser send its own headers (Accept-Language from the context's locale), not Scrapy's.
PLAYWRIGHT_PROCESS_REQUEST_HEADERS = None
PLAYWRIGHT_MAX_CONTEXTS = 8
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = DOWNLOAD_TIMEOUT * 1000

# Scrapy's components that a crawl of declared pages never uses are left out of the *_BASE lists,
# not disabled with None: Scrapy imports every key of EXTENSIONS or DOWNLOADER_MIDDLEWARES, None
# included, and those imports (tldextract for cookies, aiohttp for the remote control, ...) were a
# third of a crawl's start-up (issue 20). Left out: cookies (COOKIES_ENABLED is off), robots.txt
# (not obeyed), the HTTP cache, HTTP auth (a declaration's headers carry it), OffsiteMiddleware
# (no allowed_domains: HostGuard decides), Scrapy's meta refresh, retry and decompression (replaced below).
DOWNLOADER_MIDDLEWARES_BASE = {
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": 850,
}
# Every request passes the host check; a redirect is a new request, so each hop does too.
DOWNLOADER_MIDDLEWARES = {
    "crawler.capture.middlewares.HostGuard": 650,
    "crawler.capture.middlewares.MetaRefresh": 580,
    "crawler.capture.middlewares.RetryAfter": 550,
    "crawler.capture.middlewares.WholeBodies": 590,  # Scrapy's decompression, refusing a stream cut short
}
# Requests come from declarations only: no depth, URL length or meta-copy checks. The Referer
# middleware stays: the redirect middlewares hand it each hop.
SPIDER_MIDDLEWARES_BASE = {
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": 700,
}
# Stats and log counts only: Progress reports a running crawl (LogStats' job), and there are no
# feeds, spider state, memory limits, telnet console, remote control or auto-throttle.
EXTENSIONS_BASE = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.logcount.LogCount": 0,
}
# The longest Retry-After a run waits for before retrying; a server asking for more is recorded as
# refusing, and tried again by the next run.
POLICYARCHIVE_RETRY_AFTER_MAX = 60
ITEM_PIPELINES = {"crawler.archive.pipeline.ArchivePipeline": 300}
EXTENSIONS = {"crawler.capture.extensions.Progress": 500}

POLICYARCHIVE_DB = "archive.db"
POLICYARCHIVE_POLICIES = "policies"
POLICYARCHIVE_ONLY = []
POLICYARCHIVE_TRIGGER = "scrapy"
POLICYARCHIVE_LOG = None  # the file the run's log goes to, recorded in runs.log_path
POLICYARCHIVE_EXTRACT_WORKERS = 2
# Seconds a failed alert delivery waits before the next try, doubling with each (crawler/archive/outbox.py).
POLICYARCHIVE_ALERT_BACKOFF = 60.0
# Seconds between two progress lines of a running crawl (crawler/capture/extensions.py).
POLICYARCHIVE_PROGRESS_INTERVAL = 10.0
# A screenshot of each new version, rendered offline after a crawl, import or backfill
# (crawler/archive/screenshots.py); POLICYARCHIVE_SCREENSHOTS=0 in the environment turns them off.
POLICYARCHIVE_SCREENSHOTS = os.environ.get("POLICYARCHIVE_SCREENSHOTS", "1").lower() not in ("0", "false", "no", "off")
# Egress per region or proxy name: POLICYARCHIVE_PROXY_US=http://user:pass@host:port
POLICYARCHIVE_PROXIES = {
    key[len("POLICYARCHIVE_PROXY_"):].upper(): value
    for key, value in os.environ.items()
    if key.startswith("POLICYARCHIVE_PROXY_") and value
}
