"""Crawling a local site over plain HTTP: versions, changes, and failures that never become versions."""

import dataclasses
import os
import subprocess
import sys

import pytest

from helpers import LOREM, PROJECT, Route, crawl, policy_page, policyarchive, rows, write_declaration
from crawler.capture.spiders.policies import PoliciesSpider
from crawler.declarations.catalog import Catalog, load_catalog

US = {"region": "US", "language": "en", "select": ["article.policy"]}


def one_variant(tmp_path, site, path="/us"):
    write_declaration(tmp_path / "policies", "Acme", [{**US, "url": site.url(path)}])
    return tmp_path / "archive.db", tmp_path / "policies"


def test_a_changed_page_gives_two_versions_and_one_change(tmp_path, site):
    db, policies = one_variant(tmp_path, site)
    site.set("/us", policy_page(LOREM))
    crawl(db, policies)
    site.set("/us", policy_page(LOREM, "We may collect faceprints and voiceprints from your User Content."))
    crawl(db, policies)

    assert [r["outcome"] for r in rows(db, "select outcome from captures order by id")] == ["new", "changed"]
    assert len(rows(db, "select id from versions")) == 2
    [change] = rows(db, "select * from changes")
    assert "faceprints and voiceprints" in change["added_text"]
    assert change["words_added"] == 10 and change["words_removed"] == 0


def test_an_unchanged_recrawl_adds_a_capture_and_nothing_else(tmp_path, site):
    db, policies = one_variant(tmp_path, site)
    site.set("/us", policy_page(LOREM, noise="a1"))
    crawl(db, policies)
    crawl(db, policies)

    assert [r["outcome"] for r in rows(db, "select outcome from captures order by id")] == ["new", "unchanged"]
    assert len(rows(db, "select * from bodies")) == 1
    [version] = rows(db, "select * from versions")
    captures = rows(db, "select fetched_at from captures order by id")
    assert version["first_seen"] == captures[0]["fetched_at"] and version["last_seen"] == captures[1]["fetched_at"]


def test_markup_noise_outside_the_selection_is_not_a_change(tmp_path, site):
    db, policies = one_variant(tmp_path, site)
    site.set("/us", policy_page(LOREM, noise="request-1"))
    crawl(db, policies)
    site.set("/us", policy_page(LOREM, noise="request-2"))
    crawl(db, policies)

    assert [r["outcome"] for r in rows(db, "select outcome from captures order by id")] == ["new", "unchanged"]
    assert len(rows(db, "select * from bodies")) == 2


def test_failures_are_recorded_and_never_start_or_end_a_version(tmp_path, site):
    db, policies = one_variant(tmp_path, site)
    site.set("/us", policy_page(LOREM))
    crawl(db, policies)
    for route in (Route(status=500, body=b"oops"), Route(body=policy_page(LOREM), delay=5), Route(body=b"")):
        site.set("/us", route)
        crawl(db, policies)
    site.set("/us", policy_page(LOREM))
    crawl(db, policies)

    outcomes = [r["outcome"] for r in rows(db, "select outcome from captures order by id")]
    assert outcomes == ["new", "http-error", "network-error", "empty", "unchanged"]
    assert len(rows(db, "select id from versions")) == 1
    assert rows(db, "select * from changes") == []
    failed = rows(db, "select outcome, status, version_id, detail from captures where outcome not in ('new', 'unchanged')")
    assert all(r["version_id"] is None and r["detail"] for r in failed)
    assert failed[0]["status"] == 500


def test_a_failed_run_exits_3_and_says_what_failed(tmp_path, site):
    db, policies = one_variant(tmp_path, site)
    site.set("/us", Route(status=503, body=b"down"))
    result = crawl(db, policies)

    assert result.returncode == 3
    assert "1 http-error" in result.stdout
    [run] = rows(db, "select * from runs")
    assert run["status"] == "finished" and run["http_error"] == 1 and run["attempted"] == 1


def test_the_request_carries_the_variant_language(tmp_path, site):
    headers = {}

    write_declaration(tmp_path / "policies", "Acme", [{**US, "language": "de", "region": "EEA", "url": site.url("/de")}])
    site.set("/de", policy_page(LOREM))
    original = site.server.RequestHandlerClass.do_GET

    def spy(handler):
        headers.update(handler.headers)
        original(handler)

    site.server.RequestHandlerClass.do_GET = spy
    crawl(tmp_path / "archive.db", tmp_path / "policies")
    assert headers["Accept-Language"].startswith("de")


def test_only_narrows_the_crawl_to_one_variant(tmp_path, site):
    write_declaration(tmp_path / "policies", "Acme", [
        {**US, "url": site.url("/us")},
        {**US, "region": "EEA", "url": site.url("/eea")},
    ])
    site.set("/us", policy_page(LOREM))
    site.set("/eea", policy_page(LOREM))
    crawl(tmp_path / "archive.db", tmp_path / "policies", "--only", "acme/privacy-policy/eea-en")

    assert site.hits == ["/eea"]
    assert [r["variant_id"] for r in rows(tmp_path / "archive.db", "select variant_id from captures")] == ["acme/privacy-policy/eea-en"]


def test_a_redirect_is_followed_and_the_final_url_recorded(tmp_path, site):
    db, policies = one_variant(tmp_path, site, "/old")
    site.set("/old", Route(status=301, headers={"Location": "/new"}))
    site.set("/new", policy_page(LOREM))
    crawl(db, policies)

    [capture] = rows(db, "select outcome, status, requested_url, final_url from captures")
    assert capture["outcome"] == "new" and capture["status"] == 200
    assert capture["requested_url"].endswith("/old") and capture["final_url"].endswith("/new")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_meta_refresh_is_followed(tmp_path, site, encoding):
    db, policies = one_variant(tmp_path, site, "/moved")
    page = '<html><head><meta http-equiv="Refresh" content="0; url=/new"></head><body>Moved.</body></html>'
    site.set("/moved", Route(body=page.encode(encoding), headers={"Content-Type": f"text/html; charset={encoding}"}))
    site.set("/new", policy_page(LOREM))
    crawl(db, policies)

    [capture] = rows(db, "select outcome, final_url from captures")
    assert capture["outcome"] == "new" and capture["final_url"].endswith("/new")


def test_the_same_page_under_new_selectors_is_extracted_again(tmp_path, site):
    site.set("/us", policy_page(LOREM, "We may collect voiceprints."))
    write_declaration(tmp_path / "policies", "Acme", [{**US, "url": site.url("/us")}])
    crawl(tmp_path / "archive.db", tmp_path / "policies")
    crawl(tmp_path / "archive.db", tmp_path / "policies")
    write_declaration(tmp_path / "policies", "Acme", [{**US, "url": site.url("/us"), "remove": ["p + p"]}])
    crawl(tmp_path / "archive.db", tmp_path / "policies")

    outcomes = [r["outcome"] for r in rows(tmp_path / "archive.db", "select outcome from captures order by id")]
    assert outcomes == ["new", "unchanged", "changed"]
    [change] = rows(tmp_path / "archive.db", "select removed_text from changes")
    assert "voiceprints" in change["removed_text"]


def crawl_with_one_retry(db, policies):
    result = policyarchive("crawl", "--db", str(db), "--policies", str(policies), "-s", "RETRY_TIMES=1")
    assert result.returncode == 3, result.stderr[-3000:]


def test_a_retry_waits_as_long_as_retry_after_asks(tmp_path, site):
    db, policies = one_variant(tmp_path, site, "/busy")
    site.set("/busy", Route(status=429, body=b"slow down", headers={"Retry-After": "2"}))
    crawl_with_one_retry(db, policies)

    assert site.hits == ["/busy", "/busy"]
    assert site.hit_times[1] - site.hit_times[0] >= 2
    assert [r["outcome"] for r in rows(db, "select outcome from captures")] == ["blocked"]


def test_a_retry_after_longer_than_a_run_waits_is_left_to_the_next_run(tmp_path, site):
    db, policies = one_variant(tmp_path, site, "/busy")
    site.set("/busy", Route(status=503, body=b"maintenance", headers={"Retry-After": "3600"}))
    crawl_with_one_retry(db, policies)

    assert site.hits == ["/busy"]
    [capture] = rows(db, "select outcome, detail from captures")
    assert capture == {"outcome": "http-error", "detail": "HTTP 503"}


@pytest.mark.asyncio
async def test_a_request_that_cannot_be_built_is_that_variants_failure_and_the_others_are_requested(tmp_path):
    write_declaration(tmp_path, "Acme", [{"region": "US", "language": "en", "url": "https://acme.example.com/us"},
                                         {"region": "EEA", "language": "en", "url": "https://acme.example.com/eea"}])
    good = load_catalog(tmp_path)
    us, eea = good.variants
    # A catalog built in code is not validated: its URL's port cannot be read.
    bad = dataclasses.replace(us, url="https://acme.example.com:80800/us")
    spider = PoliciesSpider()
    spider.catalog = Catalog(services=(dataclasses.replace(good.services[0], documents=(dataclasses.replace(
        good.documents[0], variants=(bad, eea)),)),))
    spider.proxies = {}

    started = [item async for item in spider.start()]

    assert [type(x).__name__ for x in started] == ["Capture", "Request"]
    assert started[0].variant_id == bad.id and started[0].error_kind == "error" and "Port out of range" in started[0].error
    assert started[1].url == eea.url


def test_an_unchanged_recrawl_loads_no_browser_language_model_or_text_repair(tmp_path, site):
    """The nightly case is start-up more than work (issue 20): a recrawl that finds every page
    unchanged extracts nothing, so it imports none of what extraction, the browser or Scrapy's
    unused components need. Python's own import log (-X importtime) of the real command says so."""
    db, policies = one_variant(tmp_path, site)
    site.set("/us", policy_page(LOREM))
    crawl(db, policies)
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "crawler.cli", "crawl", "--db", str(db), "--policies",
                             str(policies)], capture_output=True, text=True, timeout=180, cwd=PROJECT, env=os.environ)

    assert "1 unchanged" in result.stdout, result.stderr[-3000:]
    imported = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert imported, result.stderr[-3000:]
    assert imported & {"py3langid", "numpy", "playwright", "scrapy_playwright", "aiohttp", "ftfy", "tldextract"} == set()


def test_extraction_is_prepared_once_in_a_thread_while_the_crawl_goes_on(monkeypatch):
    """Loaded on the reactor at the first new page, the language model held the whole crawl
    0.6-0.9 s (bench/peers.py): here its loading waits for the event loop to run on, and captures
    arriving meanwhile share that one loading and one pool."""
    import asyncio
    import threading

    from scrapy.utils.test import get_crawler

    from crawler.archive import pipeline as module

    loading, loop_ran = [], threading.Event()

    def prepare():
        loading.append(threading.current_thread())
        assert loop_ran.wait(5), "the event loop stood still while extraction was prepared"

    monkeypatch.setattr(module, "prepare_extraction", prepare)
    monkeypatch.setattr(module, "extraction_pool", lambda workers: f"pool of {workers}")
    pipeline = module.ArchivePipeline(get_crawler(settings_dict={"POLICYARCHIVE_EXTRACT_WORKERS": 2}))

    async def two_first_captures():
        first, second = asyncio.ensure_future(pipeline._extraction()), asyncio.ensure_future(pipeline._extraction())
        await asyncio.sleep(0.05)
        loop_ran.set()
        return await first, await second

    assert asyncio.run(two_first_captures()) == ("pool of 2", "pool of 2")
    assert len(loading) == 1 and loading[0] is not threading.main_thread()
