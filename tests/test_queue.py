"""Beyond one machine: regional workers on a real Redis queue, one archive writer (issue 18).

Each test starts its own redis-server on 127.0.0.1; workers are real ``policyarchive worker``
processes, and the writer a real ``policyarchive crawl --queue``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from crawler.archive.store import Archive
from crawler.declarations.catalog import load_catalog
from crawler.demo import POLICIES, DemoSite, declarations_for_port
from crawler.fleet.queue import Queue, connect, redis_server
from crawler.fleet.writer import Writer
from helpers import LOREM, PROJECT, Route, crawl, free_port, policy_page, rows, start_worker, stop, write_declaration


def queued_crawl(db, policies, queue, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--policies", str(policies),
                             "--queue", queue, *args], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 150) -> str:
    _out, err = process.communicate(timeout=timeout)
    assert process.returncode in (0, 3), err[-3000:]
    return err


def until(condition, seconds: float = 60, what: str = "") -> None:
    """Return once ``condition()`` holds, looking every 50 ms; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:g} s: {what}"
        time.sleep(0.05)


def three_regions(site, policies, held: threading.Event):
    """Acme in three regions; the EEA page (the first a worker of the three takes) waits for ``held``."""
    site.set("/eea", Route(body=policy_page(LOREM, "This page was held."), hold=held))
    site.set("/us", policy_page(LOREM))
    site.set("/row", policy_page(LOREM, "Elsewhere."))
    write_declaration(policies, "Acme", [
        {"region": region, "language": "en", "url": site.url(f"/{region.lower()}"), "select": ["article.policy"]}
        for region in ("US", "EEA", "ROW")])


def history(db) -> dict:
    """What two archives of the same crawls must share: each variant's version texts and changes."""
    return {
        "versions": rows(db, "select variant_id, text_sha256, text from versions order by variant_id, id"),
        "changes": rows(db, "select variant_id, words_added, words_removed, added_text from changes order by variant_id, id"),
        "outcomes": rows(db, "select variant_id, outcome from captures order by run_id, variant_id"),
    }


@pytest.mark.browser
def test_two_regional_workers_archive_the_demo_editions_as_a_local_crawl_does(tmp_path, redis_url):
    port = free_port()
    policies = declarations_for_port(str(POLICIES), port, str(tmp_path / "x.db"))
    workers = [start_worker(redis_url, policies, "--region", "US", "--name", "us-1", log=tmp_path / "us.log"),
               start_worker(redis_url, policies, "--region", "EEA", "--region", "ROW", "--name", "eu-1", log=tmp_path / "eu.log")]
    try:
        with DemoSite(port=port) as site:
            for edition in (1, 2):
                site.edition = edition
                crawl(tmp_path / "local.db", policies)
                finish(queued_crawl(tmp_path / "fleet.db", policies, redis_url, "--timeout", "120"))
    finally:
        stop(*workers)

    assert history(tmp_path / "fleet.db") == history(tmp_path / "local.db")
    by_region = {(r["region"], r["worker"]) for r in rows(tmp_path / "fleet.db", "select region, worker from captures")}
    assert by_region == {("US", "us-1"), ("EEA", "eu-1"), ("ROW", "eu-1")}
    assert {r["worker_host"] for r in rows(tmp_path / "fleet.db", "select worker_host from captures")} != {None}
    assert [r["worker"] for r in rows(tmp_path / "local.db", "select distinct worker from captures")] == [None]


def test_a_worker_killed_mid_fetch_loses_nothing_and_nothing_is_recorded_twice(tmp_path, redis_url, site):
    held = threading.Event()
    site.set("/slow", Route(body=policy_page(LOREM, "This page was held."), hold=held))
    site.set("/fast", policy_page(LOREM))
    policies = tmp_path / "policies"
    write_declaration(policies, "Acme", [
        {"region": "US", "language": "en", "url": site.url("/slow"), "select": ["article.policy"]},
        {"region": "EEA", "language": "en", "url": site.url("/fast"), "select": ["article.policy"]},
    ])
    writer = queued_crawl(tmp_path / "a.db", policies, redis_url, "--timeout", "120")
    first = start_worker(redis_url, policies, "--name", "first", "--visibility", "2", log=tmp_path / "first.log")
    second = None
    try:
        deadline = time.monotonic() + 60
        while "/slow" not in site.hits and time.monotonic() < deadline:  # the request has arrived at the site
            time.sleep(0.05)
        assert "/slow" in site.hits, (tmp_path / "first.log").read_text()[-2000:]
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        held.set()
        second = start_worker(redis_url, policies, "--name", "second", "--visibility", "2", log=tmp_path / "second.log")
        finish(writer)
    finally:
        stop(*filter(None, (first, second)))
        held.set()

    captures = rows(tmp_path / "a.db", "select variant_id, outcome, worker from captures order by variant_id")
    assert [(c["variant_id"], c["outcome"]) for c in captures] == [("acme/privacy-policy/eea-en", "new"),
                                                                 ("acme/privacy-policy/us-en", "new")]
    assert captures[1]["worker"] == "second"


def test_a_region_no_worker_serves_is_recorded_as_such_within_the_timeout(tmp_path, redis_url, site):
    site.set("/us", policy_page(LOREM))
    policies = tmp_path / "policies"
    write_declaration(policies, "Acme", [
        {"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]},
        {"region": "EEA", "language": "en", "url": site.url("/eea"), "select": ["article.policy"]},
    ])
    worker = start_worker(redis_url, policies, "--region", "US", log=tmp_path / "us.log")
    try:
        queue = Queue(connect(redis_url))
        until(lambda: queue.live_workers(), what="the US worker announces itself")  # its start-up is not the timeout's
        started = time.monotonic()
        finish(queued_crawl(tmp_path / "a.db", policies, redis_url, "--timeout", "6"))
        took = time.monotonic() - started
    finally:
        stop(worker)

    by_variant = {r["variant_id"]: r for r in rows(tmp_path / "a.db", "select variant_id, outcome, detail from captures")}
    assert by_variant["acme/privacy-policy/us-en"]["outcome"] == "new"
    assert by_variant["acme/privacy-policy/eea-en"]["outcome"] == "network-error"
    assert by_variant["acme/privacy-policy/eea-en"]["detail"] == "no worker for region EEA"
    assert took < 6 + 20
    [run] = rows(tmp_path / "a.db", "select status, planned, attempted from runs")
    assert run == {"status": "finished", "planned": 2, "attempted": 2}


def test_a_capture_delivered_twice_is_recorded_once(tmp_path, redis_url, site):
    site.set("/us", policy_page(LOREM))
    policies = tmp_path / "policies"
    write_declaration(policies, "Acme", [{"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]}])
    catalog = load_catalog(policies)
    queue = Queue(connect(redis_url), "test")
    request_id = queue.put(1, "acme/privacy-policy/us-en", "US")
    taken = queue.take("w", ["US"], visibility=60)
    capture = {"variant_id": "acme/privacy-policy/us-en", "requested_url": site.url("/us"), "fetched_at": "2026-01-01T00:00:00.000000Z",
               "status": 200, "headers": {"content-type": "text/html"}, "request_id": request_id, "worker": "w", "worker_host": "h"}
    analysis = {"outcome": "ok", "text": "Privacy Policy\n\n" + LOREM, "language": "en", "key": "k", "words": 40, "page_words": 50}
    for _ in range(2):
        queue.send(taken, capture, policy_page(LOREM), analysis)
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(catalog)
    run_id = archive.start_run("test")
    writer = Writer(archive, queue, catalog, run_id)
    assert [writer.record(a) is not None for a in queue.answers(1000)] == [True, False]
    archive.close()

    assert rows(tmp_path / "a.db", "select request_id, worker from captures") == [{"request_id": request_id, "worker": "w"}]
    assert queue.answers(100) == [] and queue.answers(0, pending=True) == []


def test_a_worker_of_two_regions_takes_one_request_at_a_time_and_leaves_the_other_region_s_to_others(redis_url):
    queue = Queue(connect(redis_url), "test")
    queue.put(1, "acme/privacy-policy/eea-en", "EEA")
    queue.put(1, "acme/privacy-policy/row-en", "ROW")

    first = queue.take("a", ["EEA", "ROW"], visibility=60)
    second = queue.take("b", ["EEA", "ROW"], visibility=60)

    assert {first.variant_id, second.variant_id} == {"acme/privacy-policy/eea-en", "acme/privacy-policy/row-en"}


def test_the_scheduler_given_a_queue_crawls_through_it_and_leaves_other_jobs_as_they_were(tmp_path):
    import schedules

    policies = tmp_path / "policies"
    write_declaration(policies, "Acme", [{"region": "US", "language": "en", "url": "https://example.org/p"}])
    catalog = load_catalog(policies)
    [queued] = schedules.declared_jobs(catalog, "a.db", str(policies), tmp_path / "logs", queue="redis://10.0.0.5:6379/0")
    [local] = schedules.declared_jobs(catalog, "a.db", str(policies), tmp_path / "logs")

    assert queued.kwargs == {**local.kwargs, "queue": "redis://10.0.0.5:6379/0"}
    assert "queue" not in local.kwargs


@pytest.mark.parametrize("appendonly", ["no", "yes"])
def test_redis_killed_and_restarted_mid_run_the_run_completes_with_every_capture_once(tmp_path, site, appendonly):
    held = threading.Event()
    policies = tmp_path / "policies"
    three_regions(site, policies, held)
    port = free_port()
    options = ("--appendonly", appendonly, "--dir", str(tmp_path))
    server = redis_server(port, *options)
    url = f"redis://127.0.0.1:{port}/0"
    worker = start_worker(url, policies, "--concurrency", "1", "--name", "w", log=tmp_path / "w.log")
    writer = queued_crawl(tmp_path / "a.db", policies, url, "--timeout", "120")
    try:
        until(lambda: "/eea" in site.hits, what="the worker fetches the held page")
        server.kill()
        server.wait(10)
        server = redis_server(port, *options)
        held.set()
        err = finish(writer)
    finally:
        held.set()
        stop(worker, writer, server)

    captures = rows(tmp_path / "a.db", "select variant_id, outcome, worker from captures order by variant_id")
    assert captures == [{"variant_id": f"acme/privacy-policy/{r}-en", "outcome": "new", "worker": "w"} for r in ("eea", "row", "us")], err[-3000:]
    [run] = rows(tmp_path / "a.db", "select status, planned, attempted from runs")
    assert run == {"status": "finished", "planned": 3, "attempted": 3}


def test_redis_gone_for_good_the_run_is_interrupted_with_what_it_had_within_the_bound(tmp_path, site):
    held = threading.Event()
    policies = tmp_path / "policies"
    three_regions(site, policies, held)
    port = free_port()
    server = redis_server(port)
    url = f"redis://127.0.0.1:{port}/0"
    worker = start_worker(url, policies, "--concurrency", "2", "--reconnect", "3", log=tmp_path / "w.log")
    writer = queued_crawl(tmp_path / "a.db", policies, url, "--timeout", "120", "--reconnect", "3")
    try:
        until(lambda: "/eea" in site.hits and ", sent" in (tmp_path / "w.log").read_text(),
              what="the held page fetched and another one sent")
        server.kill()
        server.wait(10)
        gone = time.monotonic()
        held.set()
        writer.wait(3 + 20)
        worker.wait(3 + 20)
        took = time.monotonic() - gone
    finally:
        held.set()
        stop(worker, writer, server)

    assert writer.returncode == 4 and worker.returncode == 4
    assert took < 3 + 20
    [run] = rows(tmp_path / "a.db", "select status, detail, attempted from runs")
    assert run["status"] == "interrupted" and "Redis did not answer within 3 s" in run["detail"]
    assert run["attempted"] == len(rows(tmp_path / "a.db", "select 1 from captures where outcome = 'new'")) >= 1


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _gone(pid: int) -> bool:
    """Exited: no process, or a zombie nobody has reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_worker_killed_with_sigkill_leaves_no_extraction_process_behind(tmp_path, redis_url, site):
    site.set("/us", policy_page(LOREM))
    policies = tmp_path / "policies"
    write_declaration(policies, "Acme", [{"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]}])
    worker = start_worker(redis_url, policies, log=tmp_path / "w.log")
    try:
        finish(queued_crawl(tmp_path / "a.db", policies, redis_url, "--timeout", "120"))  # the capture went through extraction
        children = _children(worker.pid)
        assert children, (tmp_path / "w.log").read_text()[-2000:]
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        until(lambda: all(_gone(c) for c in children), 10, "the extraction processes die with the worker")
    finally:
        for child in children:
            if not _gone(child):
                os.kill(child, signal.SIGKILL)
        stop(worker)


def test_a_worker_loads_what_extraction_needs_before_its_extraction_processes_fork():
    """Loaded in each extraction process at its first page instead, it held that page about 1.7 s."""
    code = ("import sys; from scrapy.utils.test import get_crawler; from crawler.fleet.worker import QueuePipeline; "
            "QueuePipeline(get_crawler(settings_dict={'POLICYARCHIVE_EXTRACT_WORKERS': 1})).close_spider(); "
            "print('py3langid' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "True", result.stderr[-2000:]
