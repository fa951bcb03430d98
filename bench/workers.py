"""Benchmark: regional workers on a shared Redis queue (issue 18).

Throughput of 1, 2 and 4 workers (one request at a time each) against a local server that adds
200 ms to every page: the network-bound case that spreading a crawl over machines solves; the
baseline is one worker, measured in the same run. Then the writer alone: captures recorded per
second from a queue filled in advance, what bounds how many workers one archive can take.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path


from bench.report import Figure
from bench.site import ENV, PROJECT, VariantSite, fresh_db, last_run, run as run_command, write_declarations
from crawler.archive.store import Archive
from crawler.capture.items import Capture
from crawler.common.clock import utcnow
from crawler.declarations.catalog import load_catalog
from crawler.fleet.queue import Queue, connect, local_redis
from crawler.fleet.writer import Writer
from crawler.text.classify import analyse_capture

NAME = "workers"
TITLE = "1, 2 and 4 regional workers through Redis, 200 ms per page; the writer's capacity"
LATENCY = 0.2
# The writer pictures the new versions after the run, outside the window measured: only the bench's time.
NO_SCREENSHOTS = {"POLICYARCHIVE_SCREENSHOTS": "0"}
PARAGRAPH = ("We collect information you provide when you create an account, such as your name, email address and "
             "date of birth, and information about how you use the service. ")


def _page(i: int) -> bytes:
    return (f"<html><body><article class='policy'><h1>Policy {i}</h1>" + f"<p>{PARAGRAPH}</p>" * 20 +
            "</article></body></html>").encode()


def _through_workers(work: Path, policies: Path, workers: int) -> float:
    """Pages per second of one run through ``workers`` workers, started and ready beforehand."""
    with local_redis() as url:
        procs = [subprocess.Popen([sys.executable, "-m", "crawler.cli", "worker", "--queue", url, "--policies", str(policies),
                                   "--concurrency", "1", "--name", f"w{n}"], cwd=PROJECT, env={**os.environ, **ENV},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in range(workers)]
        try:
            queue = Queue(connect(url))
            deadline = time.monotonic() + 120
            while len(queue.live_workers()) < workers and time.monotonic() < deadline:
                time.sleep(0.1)
            db = fresh_db(work / f"workers-{workers}.db")
            run_command([sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--policies", str(policies),
                         "--queue", url, "--timeout", "600"], env=NO_SCREENSHOTS)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(30)
    done = last_run(db)
    return done["outcomes"].get("new", 0) / done["seconds"]


def _writer_capacity(work: Path, policies: Path, captures: int) -> float:
    """Captures recorded per second by the writer alone, from a queue filled in advance."""
    catalog = load_catalog(policies)
    with local_redis() as url:
        queue = Queue(connect(url))
        variants = catalog.variants[:captures]
        for v in variants:
            queue.put(1, v.id, v.region)
        while taken := queue.take("bench", ["US"], visibility=600):
            variant = catalog.variant(taken.variant_id)
            capture = Capture(variant_id=variant.id, requested_url=variant.url, fetched_at=utcnow(), final_url=variant.url,
                              status=200, headers={"content-type": "text/html"}, body=_page(int(variant.url.rsplit("/", 1)[-1])),
                              region="US", language="en", worker="bench", worker_host="bench", request_id=taken.request_id)
            analysis = analyse_capture(capture, variant)
            fields = {f.name: getattr(capture, f.name) for f in dataclasses.fields(capture) if f.name != "body"}
            queue.send(taken, fields, capture.body, dataclasses.asdict(analysis))
        archive = Archive(fresh_db(work / "writer.db"))
        archive.sync_catalog(catalog)
        writer = Writer(archive, queue, catalog, archive.start_run("bench"))
        started = time.perf_counter()
        while answers := queue.answers(100, count=100):
            for answer in answers:
                writer.record(answer)
        seconds = time.perf_counter() - started
        archive.close()
    return writer.recorded / seconds


def run(work: Path, args) -> list[Figure]:
    pages = 40 if args.quick else 120
    os.environ.update(ENV)  # the writer's capacity loads the declarations in this process
    site = VariantSite([_page(i) for i in range(pages)], pages, latency=LATENCY)
    try:
        policies = write_declarations(work / "policies", site.urls, select=["article.policy"])
        rates = {}
        for workers in (1, 2, 4):
            rates[workers] = _through_workers(work, policies, workers)
            print(f"  {workers} worker(s): {rates[workers]:.2f} pages/s", flush=True)
    finally:
        site.close()
    figures = [Figure(f"{n} workers, 200 ms per page", rates[n], "pages/s", baseline=rates[1], ratio=rates[n] / rates[1],
                      ratio_note=f"{n} workers / 1 worker") for n in (1, 2)]
    figures.append(Figure("4 workers, 200 ms per page", rates[4], "pages/s", ">=", 3.5, baseline=rates[1],
                          ratio=rates[4] / rates[1], ratio_note="4 workers / 1 worker", on_ratio=True))
    figures.append(Figure("writer alone, queue filled in advance", _writer_capacity(work, policies, pages), "captures/s",
                          note=f"{pages} small pages, analysed beforehand"))
    return figures
