"""The archive pipeline: keep the raw capture, classify and extract it off the reactor, version it.

Order matters and is the archive's promise: the body is stored before anything can fail on it;
extraction (lexbor, lxml, html-to-markdown: whole-page CPU work) runs in worker processes so the
crawl keeps downloading on both cores, and is skipped for the bytes the variant served last time
under the same selectors (most of a nightly run); the capture, version and change rows are written
in one transaction per capture.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack

from scrapy import signals

from crawler.archive.lock import archive_lock
from crawler.archive.compression import pack
from crawler.archive.store import Archive, Recorded
from crawler.capture.items import Capture
from crawler.common.digests import sha256
from crawler.common.exits import EXIT_OK, EXIT_SOME_FAILED, run_exit_code
from crawler.common.outcomes import FAILURES
from crawler.common.pool import extraction_pool
from crawler.common.plural import count
from crawler.text.classify import Analysis, analyse_capture, prepare_extraction
from crawler.text.pages import analyse_pages

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
        self.planned = self.done = 0
        self.executor: ProcessPoolExecutor | None = None
        self.preparing: asyncio.Future | None = None
        self.lock = ExitStack()

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.lock.enter_context(archive_lock(self.db_path))
        self.archive = Archive(self.db_path)
        self.archive.sync_catalog(spider.catalog)
        self.planned = len(spider.variants)
        self.run_id = self.archive.start_run(self.trigger, spider.only, planned=self.planned,
                                             log_path=self.crawler.settings.get("POLICYARCHIVE_LOG"))
        self.crawler.stats.set_value("policyarchive/run_id", self.run_id)
        self.crawler.stats.set_value("policyarchive/variants", self.planned)
        logger.info("run %s: %s into %s", self.run_id, count(self.planned, "variant"), self.db_path)

    async def process_item(self, item: Capture) -> Capture:
        """Keep, analyse and record one capture. Any exception on the way becomes the capture's
        recorded ``error`` outcome (its bytes kept when they could be): one capture the archive
        cannot handle must neither vanish nor stop the others."""
        digest = None
        try:
            digest = await self._keep_body(item.body)
            pages = tuple([await self._keep_body(page.body) for page in item.pages])
            analysis = await self._analyse(item, digest)
            recorded = self.archive.record(item, analysis, self.run_id, body_sha256=digest, page_digests=pages)
        except Exception as exc:
            logger.exception("%s: the capture could not be handled", item.variant_id)
            recorded, analysis = self.archive.record_error(item, exc, self.run_id, digest)
        self._report(item, recorded, analysis.detail)
        return item

    async def _analyse(self, item: Capture, digest: str | None) -> Analysis:
        """The analysis of bytes seen last time, else one made in a worker process. A multi-page
        document is always analysed: its first page's bytes say nothing of the others'."""
        variant = self.crawler.spider.catalog.variant(item.variant_id)
        if item.pages:
            return await asyncio.wrap_future((await self._extraction()).submit(analyse_pages, item, variant))
        return self.archive.known_analysis(item, digest) or await asyncio.wrap_future(
            (await self._extraction()).submit(analyse_capture, item, variant))

    async def _extraction(self) -> ProcessPoolExecutor:
        """The extraction workers, started at the first capture that needs them: an unchanged pass
        needs none, and starting them cost its start-up (issue 20). What extraction loads is loaded
        before they fork, once for all of them, in a thread: the reactor goes on downloading, keeping
        and recording the other captures meanwhile (the language model's decompression releases the
        GIL). Loaded on the reactor, it held the whole crawl 0.6-0.9 s at its first new page, a sixth
        of a fresh pass over 200 pages (bench/peers.py)."""
        if self.executor is None:
            if self.preparing is None:
                self.preparing = asyncio.ensure_future(asyncio.to_thread(prepare_extraction))
            try:
                await asyncio.shield(self.preparing)
            except Exception:
                self.preparing = None  # the next capture tries again, as each did when it ran here
                raise
            if self.executor is None:
                self.executor = extraction_pool(self.workers)
        return self.executor

    async def _keep_body(self, body: bytes) -> str | None:
        """``Archive.keep_body``, hashing and compressing in threads: both release the GIL, so a
        500 KB page costs the reactor microseconds instead of about 1 ms to hash and 1 to compress."""
        if not body:
            return None
        digest = await asyncio.to_thread(sha256, body)
        if self.archive.has_body(digest):
            return digest
        return self.archive.keep_body(body, digest, await asyncio.to_thread(pack, body))

    def _report(self, item: Capture, recorded: Recorded, detail: str | None) -> None:
        self.done += 1
        self.crawler.stats.inc_value(f"policyarchive/outcome/{recorded.outcome}")
        suffix = f" ({detail})" if detail and recorded.outcome not in ("new", "changed", "unchanged") else ""
        logger.info("[%d/%d] %s: %s%s", self.done, self.planned, item.variant_id, recorded.outcome, suffix)

    def spider_closed(self, spider, reason: str) -> None:
        """End the run. Scrapy says why the spider closed only here (``close_spider`` runs before the
        reason is known): "finished", or "shutdown" after SIGTERM or Ctrl-C."""
        if self.run_id is None:
            return
        status = "finished" if reason == "finished" else "interrupted"
        detail = None if status == "finished" else f"stopped before the end: Scrapy closed with reason {reason!r}" + (
            " (SIGTERM or Ctrl-C)" if reason == "shutdown" else "")
        recorded = self.archive.run_counts(self.run_id)
        missing = max(0, self.planned - sum(recorded.values())) if status == "finished" else 0
        exit_code = run_exit_code(status, sum(recorded[k] for k in FAILURES), missing)
        stats = self.crawler.stats
        try:
            counts = self.archive.end_run(self.run_id, status, exit_code=exit_code, detail=detail)
        except sqlite3.Error as exc:
            # A full disk may not take even the run's end: the run stays open, and the next start
            # closes it as interrupted (Archive.start_run); this one is not a success either way.
            logger.error("run %s: its end could not be recorded (%s); the next run closes it as interrupted", self.run_id, exc)
            counts, exit_code = recorded, exit_code if exit_code != EXIT_OK else EXIT_SOME_FAILED
        stats.set_value("policyarchive/counts", counts)
        stats.set_value("policyarchive/exit_code", exit_code)
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        self.archive.close()
        self.lock.close()
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        logger.info("run %s %s: %s", self.run_id, status, summary or "nothing captured")
