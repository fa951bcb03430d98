"""kill -9 at twenty different points of a crawl: the archive stays whole and the next run completes."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from helpers import LOREM, PROJECT, PolicySite, Route, policy_page, rows

VARIANTS = 40
KILLS = 20


class CountingSite(PolicySite):
    """Every fetch returns a new text, so every capture writes a version and a change."""

    def __init__(self):
        super().__init__()
        self.counter = 0
        handler = self.server.RequestHandlerClass
        site = self

        def do_get(h):
            site.counter += 1
            site.routes[h.path] = Route(body=policy_page(LOREM, f"Revision {site.counter} of this policy."), delay=0.05)
            original(h)

        original = handler.do_GET
        handler.do_GET = do_get


def crawl_process(db, policies):
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--policies", str(policies),
         "-s", "CONCURRENT_REQUESTS=4", "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_TIMEOUT=5"],
        cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def captures_in(db) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute("select count(*) from captures").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


@pytest.fixture(scope="module")
def killed_archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kill")
    site = CountingSite()
    (tmp / "policies").mkdir()
    docs = [{"type": f"doc-{i}", "variants": [{"region": "US", "language": "en", "url": site.url(f"/p{i}"),
                                                 "select": ["article.policy"]}]} for i in range(VARIANTS)]
    (tmp / "policies" / "acme.yml").write_text(yaml.safe_dump({"service": "Acme", "documents": docs}))
    rng = random.Random(20210602)
    moments = sorted(rng.sample(range(1, VARIANTS), KILLS))  # kill once this many captures are written
    db = tmp / "archive.db"
    try:
        for moment in moments:
            start = captures_in(db)
            process = crawl_process(db, tmp / "policies")
            deadline = time.monotonic() + 60
            while captures_in(db) - start < moment and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        final = crawl_process(db, tmp / "policies")
        final.wait(120)
    finally:
        site.close()
    return db, final.returncode, moments


def test_the_kills_landed_at_twenty_different_points(killed_archive):
    db, _, moments = killed_archive
    assert len(set(moments)) == KILLS
    assert len(rows(db, "select id from runs")) == KILLS + 1
    killed = rows(db, "select run_id, count(*) as n from captures where run_id <= ? group by run_id", [KILLS])
    assert len({r["n"] for r in killed}) >= KILLS // 2  # the kills cut the runs at many different points


def test_sqlite_integrity_check_is_ok(killed_archive):
    db, _, _ = killed_archive
    connection = sqlite3.connect(db)
    assert connection.execute("pragma integrity_check").fetchall() == [("ok",)]
    assert connection.execute("pragma foreign_key_check").fetchall() == []


def test_no_version_without_its_capture_and_no_missing_body(killed_archive):
    db, _, _ = killed_archive
    assert rows(db, "select id from versions where capture_id not in (select id from captures)") == []
    assert rows(db, "select id from captures where body_sha256 is not null and body_sha256 not in (select sha256 from bodies)") == []
    assert rows(db, "select id from changes where to_version_id not in (select id from versions)") == []
    assert rows(db, "select id from captures where outcome in ('new', 'changed', 'unchanged') and version_id is null") == []


def test_the_next_run_completes(killed_archive):
    db, returncode, _ = killed_archive
    assert returncode == 0
    [last] = rows(db, "select * from runs order by id desc limit 1")
    assert last["status"] == "finished" and last["attempted"] == VARIANTS
