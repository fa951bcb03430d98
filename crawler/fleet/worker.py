"""A regional worker: a long-running Scrapy process that fetches what the queue asks of its regions.

The worker is the ``policies`` spider with another source of requests and another pipeline: its
``start()`` never ends, taking a request from the queue each time one of its ``concurrency`` slots
is free, and builds the Scrapy request exactly as a local crawl does (plain HTTP or Chromium, its own
egress); its pipeline analyses each capture (the same ``analyse_capture`` as the archive's pipeline,
in worker processes) and sends back raw bytes, provenance and analysis, acknowledging the request
in the same Redis transaction. It never opens the archive. Redis going away (a restart) is waited
for, ``reconnect`` seconds at most, before taking or sending again; past that bound the worker
stops taking requests, finishes those in hand and exits (status 4), for its supervisor to restart it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import threading
from typing import Any, AsyncIterator

import scrapy
from scrapy.crawler import CrawlerProcess

from crawler.capture.items import Capture
from crawler.capture.run import project_settings
from crawler.capture.spiders.policies import PoliciesSpider
from crawler.common.clock import utcnow
from crawler.common.outcomes import ERROR
from crawler.common.pool import extraction_pool
from crawler.fleet.queue import HEARTBEAT, LOST, PREFIX, RECONNECT, VISIBILITY, Queue, Request, Unreachable, connect
from crawler.text.classify import Analysis, analyse_capture, prepare_extraction

logger = logging.getLogger(__name__)

# Seconds between two looks at an empty queue.
IDLE = 0.25


class WorkerSpider(PoliciesSpider):
    name = "worker"

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.queue = Queue(connect(settings.get("POLICYARCHIVE_QUEUE")), settings.get("POLICYARCHIVE_QUEUE_PREFIX"))
        spider.regions = sorted({r.upper() for r in settings.getlist("POLICYARCHIVE_REGIONS")}
                                or {v.region.upper() for v in spider.catalog.variants})
        spider.host = socket.gethostname()
        spider.worker = settings.get("POLICYARCHIVE_WORKER") or f"{spider.host}-{os.getpid()}"
        spider.visibility = settings.getfloat("POLICYARCHIVE_VISIBILITY")
        spider.reconnect = settings.getfloat("POLICYARCHIVE_RECONNECT")
        spider.unreachable: Unreachable | None = None  # why the worker stopped, if Redis did not come back
        spider.concurrency = settings.getint("CONCURRENT_REQUESTS")
        spider.taken: dict[str, Request] = {}
        return spider

    def _announce(self, stop: threading.Event) -> None:
        """Say every few seconds that this worker lives and which regions it serves; a worker killed
        stops saying it, and its announcement expires."""
        while not stop.is_set():
            try:
                self.queue.announce(self.worker, self.regions, self.host)
            except Exception as exc:  # Redis away for a while: the loop that takes requests says so
                logger.debug("announcement failed: %s", exc)
            stop.wait(HEARTBEAT)

    async def start(self) -> AsyncIterator[scrapy.Request | Capture]:
        """Requests from the queue, one per free slot, for as long as the process runs."""
        self.slots = asyncio.Semaphore(self.concurrency)
        stop = threading.Event()
        threading.Thread(target=self._announce, args=(stop,), daemon=True).start()
        logger.info("worker %s on %s: serving %s, %d at a time", self.worker, self.host, ", ".join(self.regions), self.concurrency)
        try:
            while True:
                await self.slots.acquire()
                try:
                    taken = await asyncio.to_thread(self.queue.take, self.worker, self.regions, self.visibility)
                except LOST as exc:
                    self.slots.release()
                    if not await self.wait_for_queue(exc):
                        logger.error("%s: the worker stops", self.unreachable)
                        return
                    continue
                if taken is None:  # wait on the reactor, not in a thread blocked in Redis
                    self.slots.release()
                    await asyncio.sleep(IDLE)
                    continue
                self.taken[taken.request_id] = taken
                yield self._request(taken)
        finally:
            stop.set()

    async def wait_for_queue(self, exc: Exception) -> bool:
        """Wait for Redis to answer again, ``reconnect`` seconds at most; False if it did not, and
        the worker stops."""
        logger.warning("the queue did not answer (%s): waiting for it, %g s at most", exc, self.reconnect)
        try:
            await asyncio.to_thread(self.queue.reconnect, self.reconnect)
        except Unreachable as gone:
            self.unreachable = gone
            return False
        logger.info("the queue answers again")
        return True

    async def send(self, taken: Request, fields: dict, body: bytes, analysis: dict) -> None:
        """Send a capture back, waiting for Redis if it went away. A send whose transaction Redis
        applied but whose reply was lost is sent again: the writer records the capture once."""
        while True:
            try:
                return await asyncio.to_thread(self.queue.send, taken, fields, body, analysis)
            except LOST as exc:
                if not await self.wait_for_queue(exc):
                    raise self.unreachable from exc

    def _request(self, taken: Request) -> scrapy.Request | Capture:
        """The Scrapy request for a queued variant, or the ``error`` capture saying why there is none."""
        try:
            request = self.request_for(self.catalog.variant(taken.variant_id))
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
            logger.warning("%s: no request could be made: %s", taken.variant_id, why)
            return Capture(variant_id=taken.variant_id, requested_url=None, fetched_at=utcnow(), region=taken.region,
                           error=f"no request could be made on worker {self.worker}: {why}", error_kind=ERROR,
                           worker=self.worker, worker_host=self.host, request_id=taken.request_id)
        request.meta["request_id"] = taken.request_id
        return request

    def _capture(self, request: scrapy.Request, **fields: Any) -> Capture:
        return super()._capture(request, worker=self.worker, worker_host=self.host,
                                request_id=request.meta["request_id"], **fields)


class QueuePipeline:
    """Analyse each capture and send it back on the queue, freeing its slot for the next request."""

    def __init__(self, crawler):
        """What extraction loads is loaded once, before the extraction processes fork: a worker runs
        for days and extracts nearly every capture it takes, and each process loading it at its first
        page held that page about 1.7 s (two such pauses in a worker's first run, measured by bench/workers.py)."""
        self.crawler = crawler
        prepare_extraction()
        self.executor = extraction_pool(crawler.settings.getint("POLICYARCHIVE_EXTRACT_WORKERS"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item: Capture) -> Capture:
        spider = self.crawler.spider
        taken = spider.taken.pop(item.request_id)
        try:
            analysis = await asyncio.wrap_future(self.executor.submit(analyse_capture, item, spider.catalog.variant(item.variant_id)))
        except Exception as exc:
            analysis = Analysis(ERROR, detail=f"{type(exc).__name__}: {exc}"[:1000])
        fields = {f.name: getattr(item, f.name) for f in dataclasses.fields(item) if f.name != "body"}
        try:
            await spider.send(taken, fields, item.body, dataclasses.asdict(analysis))
            logger.info("%s: %s, sent", item.variant_id, analysis.outcome)
        except Exception as exc:  # the request stays pending: another worker claims it after the visibility timeout
            logger.error("%s: the capture could not be sent (%s); it will be fetched again", item.variant_id, exc)
        finally:
            spider.slots.release()
        return item

    def close_spider(self) -> None:
        self.executor.shutdown(wait=True)


def run_worker(queue_url: str, policies: str, regions: tuple[str, ...] = (), concurrency: int = 8,
               name: str | None = None, visibility: float = VISIBILITY, prefix: str = PREFIX, verbose: bool = False,
               reconnect: float = RECONNECT) -> Unreachable | None:
    """Serve ``regions`` (every declared region if none) from the queue at ``queue_url`` until stopped;
    return why it stopped if Redis did not answer again within ``reconnect`` seconds."""
    process = CrawlerProcess(project_settings(
        POLICYARCHIVE_POLICIES=policies,
        POLICYARCHIVE_QUEUE=queue_url,
        POLICYARCHIVE_QUEUE_PREFIX=prefix,
        POLICYARCHIVE_REGIONS=list(regions),
        POLICYARCHIVE_WORKER=name,
        POLICYARCHIVE_VISIBILITY=visibility,
        POLICYARCHIVE_RECONNECT=reconnect,
        CONCURRENT_REQUESTS=concurrency,
        ITEM_PIPELINES={"crawler.fleet.worker.QueuePipeline": 300},
        EXTENSIONS={},
        LOG_FORMAT="%(asctime)s %(levelname)s %(message)s",
        LOG_DATEFORMAT="%Y-%m-%dT%H:%M:%S",
        LOG_VERSIONS=None if verbose else [],
    ))
    if not verbose:
        for logger_name in ("scrapy", "scrapy-playwright", "asyncio", "py.warnings"):
            logging.getLogger(logger_name).setLevel(logging.WARNING)
    crawler = process.create_crawler(WorkerSpider)
    process.crawl(crawler)
    process.start()
    return crawler.spider.unreachable
