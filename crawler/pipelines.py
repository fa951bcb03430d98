"""The archive pipeline: keep the raw capture, classify and extract it off the reactor, version it.

Order matters and is the archive's promise: the body is stored before anything can fail on it;
extraction (lxml, markdownify, trafilatura: whole-page CPU work) runs in worker processes so the
crawl keeps downloading on both cores; the capture, version and change rows are written in one
transaction per capture.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from crawler.archive import Archive, Recorded
from crawler.classify import analyse
from crawler.items import Capture

logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = settings.get("POLICYARCHIVE_DB")
        self.trigger = settings.get("POLICYARCHIVE_TRIGGER")
        self.workers = settings.getint("POLICYARCHIVE_EXTRACT_WORKERS")
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.executor: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.archive = Archive(self.db_path)
        self.archive.sync_catalog(spider.catalog)
        self.run_id = self.archive.start_run(self.trigger, spider.only)
        self.executor = ProcessPoolExecutor(max_workers=self.workers)
        self.crawler.stats.set_value("policyarchive/run_id", self.run_id)
        self.crawler.stats.set_value("policyarchive/variants", len(spider.variants))
        logger.info("run %s: %d variants into %s", self.run_id, len(spider.variants), self.db_path)

    async def process_item(self, item: Capture) -> Capture:
        self.archive.keep_body(item.body)
        variant = self.crawler.spider.catalog.variant(item.variant_id)
        rules = variant.rules_at(datetime.fromisoformat(item.fetched_at.replace("Z", "+00:00")))
        future = self.executor.submit(
            analyse, item.status, item.body, item.content_type, item.final_url, rules, item.error_kind, item.error,
            language=variant.language, requested_url=item.requested_url,
        )
        analysis = await asyncio.wrap_future(future)
        recorded = self.archive.record(item, analysis, self.run_id)
        self._report(item, recorded, analysis.detail)
        return item

    def _report(self, item: Capture, recorded: Recorded, detail: str | None) -> None:
        stats = self.crawler.stats
        stats.inc_value(f"policyarchive/outcome/{recorded.outcome}")
        done = sum(v for k, v in stats.get_stats().items() if k.startswith("policyarchive/outcome/"))
        total = stats.get_value("policyarchive/variants")
        suffix = f" ({detail})" if detail and recorded.outcome not in ("new", "changed", "unchanged") else ""
        logger.info("[%d/%d] %s: %s%s", done, total, item.variant_id, recorded.outcome, suffix)

    def close_spider(self) -> None:
        reason = self.crawler.stats.get_value("finish_reason") or "finished"
        status = "finished" if reason == "finished" else "interrupted"
        counts = self.archive.end_run(self.run_id, status)
        self.crawler.stats.set_value("policyarchive/counts", counts)
        self.executor.shutdown(wait=True)
        self.archive.close()
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        logger.info("run %s %s: %s", self.run_id, status, summary or "nothing captured")
