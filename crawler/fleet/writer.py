"""The crawl side of the queue: one writer plans the run on the queue and records what comes back.

The run is the same as a local crawl's (lock, run row, plan, manifest at the end); only where the
fetching happens differs. The writer puts one request per planned variant on its region's stream,
then records captures as workers send them, each in one transaction and acknowledged only once it
is in the archive, until every planned variant has an outcome or the timeout ends the run. A
variant no worker answered by then is recorded as a ``network-error`` saying why: no worker serves
its region, or the worker that took it was lost. Redis going away under the run (a restart) is
waited for, ``reconnect`` seconds at most; once it answers again, the writer records the captures it
had taken and not acknowledged, and puts again the requests Redis no longer holds and no capture
answers (a Redis without persistence comes back empty). Past the bound the run ends ``interrupted``,
with what it had recorded.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import time
import uuid

import redis

from crawler.archive.lock import archive_lock
from crawler.archive.store import Archive, Recorded
from crawler.capture.items import Capture
from crawler.capture.run import CrawlResult
from crawler.common.clock import utcnow
from crawler.common.exits import run_exit_code
from crawler.common.outcomes import FAILURES, NETWORK_ERROR
from crawler.declarations.catalog import Catalog, Variant, load_catalog
from crawler.fleet.queue import LOST, PREFIX, RECONNECT, Answer, Queue, connect
from crawler.text.classify import Analysis, analyse_capture

logger = logging.getLogger(__name__)

_CAPTURE_FIELDS = {f.name for f in dataclasses.fields(Capture)} - {"body"}


class Stopped(Exception):
    """SIGTERM or Ctrl-C: the run ends as interrupted, with what it has recorded."""


def _stop(signum, frame) -> None:
    raise Stopped(signal.Signals(signum).name)


class Writer:
    """Records captures from the queue into one run of the archive, each request once."""

    def __init__(self, archive: Archive, queue: Queue, catalog: Catalog, run_id: int, reconnect: float = RECONNECT):
        self.archive, self.queue, self.catalog, self.run_id = archive, queue, catalog, run_id
        self.reconnect = reconnect
        self.recorded = 0

    def record(self, answer: Answer) -> Recorded | None:
        """Record one capture sent back (None: its request was recorded already), then acknowledge it."""
        result = None
        if not self.archive.holds_request(answer.request_id):
            capture = Capture(**{k: v for k, v in answer.capture.items() if k in _CAPTURE_FIELDS}, body=answer.body)
            result = self._record(capture, Analysis(**answer.analysis))
            logger.info("%s: %s (worker %s)", capture.variant_id, result.outcome, capture.worker)
        self.queue.done(answer)
        return result

    def _record(self, capture: Capture, analysis: Analysis) -> Recorded:
        """``Archive.record``; an exception on the way is the capture's recorded ``error``, as in the crawl."""
        digest = None
        try:
            digest = self.archive.keep_body(capture.body)
            recorded = self.archive.record(capture, analysis, self.run_id, body_sha256=digest)
        except Exception as exc:
            logger.exception("%s: the capture could not be handled", capture.variant_id)
            recorded, _ = self.archive.record_error(capture, exc, self.run_id, digest)
        self.recorded += 1
        return recorded

    def resume(self) -> set[str]:
        """Record the captures this writer (or one killed before) took and never acknowledged; return
        the requests they answer."""
        answered = set()
        while answers := self.queue.answers(0, pending=True):
            for answer in answers:
                self.record(answer)
                answered.add(answer.request_id)
        return answered

    def collect(self, planned: dict[str, Variant], deadline: float) -> set[str]:
        """Put the planned requests on the queue, then record captures until every one has one or the
        deadline passes; return the requests still unanswered. Captures of earlier runs' requests are
        recorded too, in this run. Redis lost on the way is waited for (``reconnect``); once it answers
        again, or found to have restarted, what it kept is checked: ``recover``."""
        waiting, unsent = set(planned), list(planned)
        lost = False
        while waiting and time.monotonic() < deadline:
            try:
                if self.queue.restarted() or lost:
                    waiting -= self.recover(planned, waiting)
                    lost, unsent = False, []
                while unsent:
                    variant = planned[unsent[0]]
                    self.queue.put(self.run_id, variant.id, variant.region, unsent.pop(0))
                block = max(1, min(1000, int((deadline - time.monotonic()) * 1000)))
                for answer in self.queue.answers(block):
                    self.record(answer)
                    waiting.discard(answer.request_id)
            except LOST as exc:
                logger.warning("the queue did not answer (%s): waiting for it, %g s at most", exc, self.reconnect)
                self.queue.reconnect(self.reconnect)
                lost = True
        return waiting

    def recover(self, planned: dict[str, Variant], waiting: set[str]) -> set[str]:
        """After Redis answered again: record the captures taken and not acknowledged before it went
        away, and put again each waiting request Redis no longer holds and no capture answers (with
        the same id: a first answer arriving late is then recorded once). Return the requests answered."""
        logger.info("the queue answers again")
        answered = self.resume()
        lost = self.queue.missing({r: planned[r].region for r in waiting - answered})
        for request_id in sorted(lost, key=lambda r: planned[r].id):
            variant = planned[request_id]
            self.queue.put(self.run_id, variant.id, variant.region, request_id)
        if lost:
            logger.warning("Redis came back without %d requests of this run (restarted without persistence?): put again", len(lost))
        return answered

    def unanswered(self, planned: dict[str, Variant], waiting: set[str], timeout: float) -> None:
        """A ``network-error`` capture for each planned variant no worker answered, saying why."""
        live = self.queue.live_workers()
        served = {region for w in live.values() for region in w["regions"]}
        by_region: dict[str, set[str]] = {}
        for request_id in waiting:
            by_region.setdefault(planned[request_id].region.upper(), set()).add(request_id)
        for region, request_ids in sorted(by_region.items()):
            holders = self.queue.unanswered(region, request_ids)
            for request_id in sorted(request_ids, key=lambda r: planned[r].id):
                why = _why(region, request_id in holders, holders.get(request_id), region in served, timeout)
                variant = planned[request_id]
                capture = Capture(variant_id=variant.id, requested_url=variant.url, fetched_at=utcnow(), region=variant.region,
                                  language=variant.language, error=why, error_kind=NETWORK_ERROR, request_id=request_id)
                recorded = self._record(capture, analyse_capture(capture, variant))
                logger.info("%s: %s (%s)", variant.id, recorded.outcome, why)


def _why(region: str, queued: bool, holder: str | None, served: bool, timeout: float) -> str:
    """Why a planned variant has no capture at the end of the run."""
    if holder:
        return f"worker lost: {holder} took the request and sent nothing back within {timeout:g} s"
    if not queued:
        return "worker lost: the request left the queue unanswered (Redis restarted?)"
    if not served:
        return f"no worker for region {region}"
    return f"no worker for region {region} took the request within {timeout:g} s"


def run_queued_crawl(db: str, policies: str, queue_url: str, only: tuple[str, ...] = (), timeout: float = 1800,
                     trigger: str = "cli", prefix: str = PREFIX, reconnect: float = RECONNECT) -> CrawlResult:
    """Crawl the selected variants into ``db`` through the workers on the queue at ``queue_url``."""
    catalog = load_catalog(policies)
    variants = catalog.select(only)
    queue = Queue(connect(queue_url), prefix)
    with archive_lock(db):
        archive = Archive(db)
        try:
            archive.sync_catalog(catalog)
            run_id = archive.start_run(trigger, only, planned=len(variants))
            logger.info("run %s: %d variants into %s through %s", run_id, len(variants), db, queue_url)
            status, detail = _run(Writer(archive, queue, catalog, run_id, reconnect), variants, timeout)
            counts = archive.run_counts(run_id)
            exit_code = run_exit_code(status, sum(counts[k] for k in FAILURES))
            counts = archive.end_run(run_id, status, exit_code=exit_code, detail=detail)
        finally:
            archive.close()
    logger.info("run %s %s: %s", run_id, status, ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "nothing captured")
    return CrawlResult(run_id=run_id, counts=counts, finish_reason=status, exit_code=exit_code)


def _run(writer: Writer, variants: list[Variant], timeout: float) -> tuple[str, str | None]:
    """Resume, plan, collect, and account for the unanswered; return the run's status and detail."""
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        resumed = writer.resume()
        if resumed:
            logger.info("recorded %d captures a writer stopped before had received", len(resumed))
        planned = {uuid.uuid4().hex: v for v in variants}
        waiting = writer.collect(planned, time.monotonic() + timeout)
        writer.unanswered(planned, waiting, timeout)
        return "finished", None
    except Stopped as exc:
        return "interrupted", f"stopped before the end by {exc}"
    except redis.RedisError as exc:
        return "interrupted", f"the queue failed: {type(exc).__name__}: {exc}"
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

