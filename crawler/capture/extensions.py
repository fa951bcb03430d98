"""Progress while crawling: what is in flight, every few seconds, for long runs."""

from __future__ import annotations

import logging

from scrapy import signals
from twisted.internet import task

from crawler.common.plural import count

logger = logging.getLogger(__name__)


class Progress:
    """Logs captures done out of variants requested every ``POLICYARCHIVE_PROGRESS_INTERVAL`` seconds."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, crawler.settings.getfloat("POLICYARCHIVE_PROGRESS_INTERVAL"))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider) -> None:
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def log(self) -> None:
        stats = self.crawler.stats.get_stats()
        done = sum(v for k, v in stats.items() if k.startswith("policyarchive/outcome/"))
        total = stats.get("policyarchive/variants", 0)
        logger.info("progress: %d of %s captured, %s so far", done, count(total, "variant"),
                    count(stats.get("downloader/response_count", 0), "response"))

    def closed(self, spider) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
