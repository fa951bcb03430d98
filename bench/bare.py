"""The baseline spider: Scrapy (or scrapy-playwright) with policyarchive's settings, downloading the
same URLs and doing nothing with them. Like the policies spider, it leaves scrapy-playwright's
download handler out unless it fetches through the browser. Prints one JSON line: pages, bytes, and the seconds between
the spider opening and closing (the same window a run records in ``runs``).

    python -m bench.bare urls.json [--browser] [--wait-for CSS] [-s NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy_playwright.page import PageMethod

from crawler.capture.run import project_settings


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], browser: bool = False, wait_for: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.urls, self.browser, self.wait_for = urls, browser, wait_for
        self.pages = self.bytes = 0
        self.opened = self.closed = 0.0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_open, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_close, signal=signals.spider_closed)
        return spider

    def on_open(self, spider) -> None:
        self.opened = time.perf_counter()

    def on_close(self, spider) -> None:
        self.closed = time.perf_counter()

    async def start(self):
        for url in self.urls:
            meta = {}
            if self.browser:
                meta = {"playwright": True, "playwright_page_goto_kwargs": {"wait_until": "load"},
                        "playwright_page_methods": [PageMethod("wait_for_selector", self.wait_for)] if self.wait_for else []}
            yield scrapy.Request(url, meta=meta, dont_filter=True, callback=self.parse)

    def parse(self, response):
        self.pages += 1
        self.bytes += len(response.body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", help="JSON file: a list of URLs")
    parser.add_argument("--browser", action="store_true", help="through scrapy-playwright and Chromium")
    parser.add_argument("--wait-for", help="CSS selector the browser waits for, as a declaration's wait_for")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    with open(args.urls) as f:
        urls = json.load(f)
    overrides = dict(s.split("=", 1) for s in args.settings)
    if not args.browser:  # as the policies spider does when no selected variant needs a browser
        overrides.setdefault("DOWNLOAD_HANDLERS", {})
    process = CrawlerProcess(project_settings(ITEM_PIPELINES={}, LOG_LEVEL="WARNING", **overrides), install_root_handler=True)
    logging.getLogger("scrapy-playwright").setLevel(logging.WARNING)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, urls=urls, browser=args.browser, wait_for=args.wait_for)
    process.start()
    spider = crawler.spider
    print(json.dumps({"pages": spider.pages, "bytes": spider.bytes, "seconds": spider.closed - spider.opened}))


if __name__ == "__main__":
    main()
