"""Load: a 500-variant run records all 500; Datasette answers readers while a crawl writes."""

import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import yaml

from helpers import LOREM, PROJECT, PolicySite, Route, crawl, policy_page, rows, serving

READS = 1000


def many_variants(tmp_path, site, count, delay=0.0):
    (tmp_path / "policies").mkdir(exist_ok=True)
    docs = [{"type": f"doc-{i}", "variants": [{"region": "US", "language": "en", "url": site.url(f"/p{i}"), "select": ["article.policy"]}]}
            for i in range(count)]
    (tmp_path / "policies" / "acme.yml").write_text(yaml.safe_dump({"service": "Acme", "documents": docs}))
    for i in range(count):
        site.set(f"/p{i}", Route(body=policy_page(LOREM, f"Document {i}."), delay=delay))
    return tmp_path / "policies"


def test_a_run_of_500_variants_records_all_500(tmp_path, site):
    policies = many_variants(tmp_path, site, 500)
    crawl(tmp_path / "a.db", policies)
    [run] = rows(tmp_path / "a.db", "select * from runs")
    assert run["attempted"] == 500 and run["new"] == 500 and run["status"] == "finished"
    assert len(rows(tmp_path / "a.db", "select distinct variant_id from versions")) == 500


def test_datasette_answers_every_reader_while_a_crawl_writes(tmp_path):
    """The crawl cannot end before the readers are done: its last page is held until then, so every
    read meets a crawl in progress however fast or slow the machine is."""
    site = PolicySite()
    held = threading.Event()
    try:
        policies = many_variants(tmp_path, site, 300, delay=0.2)
        site.set("/p299", Route(body=policy_page(LOREM, "Document 299."), hold=held))
        db = tmp_path / "a.db"
        crawl(db, policies, "--only", "acme/doc-0")
        with serving(db) as base:
            errors, during, writer = read_during_crawl(base, db, policies, held)
    finally:
        held.set()
        site.close()
    assert errors == []
    assert len(during) == READS, f"only {len(during)} reads happened during the crawl"
    assert writer.returncode == 0


def read_during_crawl(base, db, policies, held):
    """READS requests over several pages, four at a time, while a crawl of ``policies`` writes to
    ``db``; then ``held`` lets the crawl end."""
    pages = ["/a/captures.json?_sort_desc=id", "/a/versions?_search=document", "/a/changes", "/a/runs.json", "/",
             "/a.json?sql=select+count(*)+from+captures"]
    errors, during = [], []
    writer = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--policies", str(policies),
                               "-s", "CONCURRENT_REQUESTS=4", "-s", "DOWNLOAD_TIMEOUT=150"], cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = threading.Lock()

    def read(i):
        if writer.poll() is not None:
            return
        url = base + pages[i % len(pages)]
        try:
            body = urllib.request.urlopen(url, timeout=10).read()
            if b"database is locked" in body:
                raise AssertionError("database is locked")
        except (urllib.error.URLError, AssertionError, OSError) as exc:
            with lock:
                errors.append(f"{url}: {exc}")
        with lock:
            if writer.poll() is None:
                during.append(i)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(read, range(READS)))
    held.set()
    writer.wait(120)
    return errors, during, writer
