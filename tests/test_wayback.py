"""Backfilling a variant's history from the Wayback Machine (a fake one of ours on 127.0.0.1)."""

import signal
import subprocess
import sys
import time

import pytest

from fake_wayback import FakeWayback
from helpers import LOREM, PROJECT, policy_page, policyarchive, rows, write_declaration

URL = "https://acme.example.com/privacy"
V1 = policy_page(LOREM, noise="a")
V1_AGAIN = policy_page(LOREM, noise="b")                       # same text, other bytes
V2 = policy_page(LOREM, "We may collect faceprints.", noise="c")
V3 = policy_page(LOREM, "We may collect faceprints.", "We may collect voiceprints.", noise="d")


@pytest.fixture
def wayback():
    """Seven listed captures of the policy, as the Wayback Machine might hold them: an adjacent
    duplicate, a redirect capture, a duplicate across a page boundary, a memento that redirects to
    the capture next to it, and a return of the first bytes."""
    w = FakeWayback(page_size=2)
    w.add("20190101000000", URL, V1)
    w.add("20190201000000", URL, V1)                           # adjacent duplicate: collapsed by the CDX API
    w.add("20190301000000", URL, b"", status=302)              # a redirect capture: filtered out
    w.add("20190401000000", URL, V1_AGAIN)
    w.add("20190402000000", URL, V1_AGAIN)                     # duplicate that opens the next page
    w.add("20190501000000", URL, V2)
    w.add("20190601000000", URL, V3, redirect_to="20190601000007")
    w.add("20190601000007", URL, V3, listed=False)
    w.add("20190701000000", URL, V1)                           # the first bytes again
    yield w
    w.close()


@pytest.fixture
def policies(tmp_path):
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": URL, "select": ["article.policy"]},
    ])
    return tmp_path / "policies"


def backfill(db, policies, wayback, *args):
    return policyarchive("backfill", "--variant", "acme/privacy-policy/us-en", "--wayback-url", wayback.url,
                         "--delay", "0.01", "--db", str(db), "--policies", str(policies), *args)


def memento(timestamp):
    return f"/web/{timestamp}id_/{URL}"


def test_a_backfill_makes_the_versions_in_order_through_duplicates_429s_and_redirects(tmp_path, policies, wayback):
    wayback.throttle[memento("20190501000000")] = 3
    wayback.throttle["/cdx/"] = 2
    result = backfill(tmp_path / "a.db", policies, wayback)
    assert result.returncode == 0, result.stderr
    assert "run 1 finished: 4 fetched, 1 collapsed, 1 reused" in result.stdout

    captures = rows(tmp_path / "a.db", "select fetched_at, outcome, source, memento_url, region, language, proxy from captures order by id")
    assert [(c["fetched_at"][:19], c["outcome"]) for c in captures] == [
        ("2019-01-01T00:00:00", "new"), ("2019-04-01T00:00:00", "unchanged"), ("2019-05-01T00:00:00", "changed"),
        ("2019-06-01T00:00:07", "changed"), ("2019-07-01T00:00:00", "changed"),
    ]
    assert {(c["source"], c["region"], c["language"], c["proxy"]) for c in captures} == {("wayback", None, None, None)}
    assert captures[3]["memento_url"] == f"{wayback.url}/web/20190601000007/{URL}"
    changes = rows(tmp_path / "a.db", "select added_text, is_return from changes order by detected_at")
    assert ["faceprints" in c["added_text"] for c in changes] == [True, False, False]
    assert "voiceprints" in changes[1]["added_text"] and changes[2]["is_return"] == 1
    versions = rows(tmp_path / "a.db", "select first_seen, last_seen from versions order by id")
    assert [(v["first_seen"][:10], v["last_seen"][:10]) for v in versions] == [
        ("2019-01-01", "2019-07-01"), ("2019-05-01", "2019-05-01"), ("2019-06-01", "2019-06-01")]


def test_a_backfill_never_fetches_duplicates_filtered_captures_or_digests_it_holds(tmp_path, policies, wayback):
    wayback.throttle[memento("20190501000000")] = 3
    assert backfill(tmp_path / "a.db", policies, wayback).returncode == 0
    fetched = {t: wayback.count(memento(t)) for t in ("20190101000000", "20190201000000", "20190301000000",
                                                     "20190401000000", "20190402000000", "20190501000000",
                                                     "20190601000000", "20190601000007", "20190701000000")}
    assert fetched == {"20190101000000": 1, "20190201000000": 0, "20190301000000": 0, "20190401000000": 1,
                       "20190402000000": 0, "20190501000000": 4, "20190601000000": 1, "20190601000007": 1,
                       "20190701000000": 0}


def test_an_interrupted_backfill_resumes_without_fetching_again(tmp_path, policies, wayback):
    wayback.held = memento("20190601000000")
    command = [sys.executable, "-m", "crawler.cli", "backfill", "--variant", "acme/privacy-policy/us-en",
               "--wayback-url", wayback.url, "--delay", "0.01", "--db", str(tmp_path / "a.db"), "--policies", str(policies)]
    process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wayback.reached.wait(60), "the backfill never reached the held memento"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 3 and "Run the same command again to resume" in err, err
    first = rows(tmp_path / "a.db", "select fetched_at from captures order by id")
    assert [c["fetched_at"][:10] for c in first] == ["2019-01-01", "2019-04-01", "2019-05-01"]
    hits_before = len(wayback.hits)

    wayback.held = None
    wayback.release.set()
    resumed = backfill(tmp_path / "a.db", policies, wayback)
    assert resumed.returncode == 0, resumed.stderr
    assert [h for h in wayback.hits[hits_before:] if h.startswith("/cdx/")] == [
        h for h in wayback.hits[hits_before:] if "resumeKey=com" in h], "the resumed run re-read pages it had finished"
    assert {t: wayback.count(memento(t)) for t in ("20190101000000", "20190401000000", "20190501000000")} == {
        "20190101000000": 1, "20190401000000": 1, "20190501000000": 1}
    assert len(rows(tmp_path / "a.db", "select id from versions")) == 3
    [state] = rows(tmp_path / "a.db", "select status, fetched, reused, collapsed from backfills")
    assert state == {"status": "finished", "fetched": 4, "reused": 1, "collapsed": 1}


def test_a_finished_backfill_run_again_fetches_nothing(tmp_path, policies, wayback):
    assert backfill(tmp_path / "a.db", policies, wayback).returncode == 0
    mementos_before = wayback.count("/web/")
    again = backfill(tmp_path / "a.db", policies, wayback)
    assert again.returncode == 0 and "5 skipped" in again.stdout
    assert wayback.count("/web/") == mementos_before
    assert len(rows(tmp_path / "a.db", "select id from captures")) == 5


def test_from_and_to_bound_the_captures_asked_for(tmp_path, policies, wayback):
    result = backfill(tmp_path / "a.db", policies, wayback, "--from", "2019-04", "--to", "2019-05-31")
    assert result.returncode == 0, result.stderr
    assert [c["fetched_at"][:10] for c in rows(tmp_path / "a.db", "select fetched_at from captures order by id")] == [
        "2019-04-01", "2019-05-01"]
    assert all("from=201904" in h and "to=20190531" in h for h in wayback.hits if h.startswith("/cdx/"))


def test_a_service_that_keeps_answering_429_stops_the_backfill_to_resume_later(tmp_path, policies, wayback):
    wayback.throttle["/cdx/"] = 100
    result = backfill(tmp_path / "a.db", policies, wayback)
    assert result.returncode == 3
    assert "HTTP 429, 6 times" in result.stderr and "Run the same command again to resume" in result.stderr
    assert wayback.count("/cdx/") == 6
    [run] = rows(tmp_path / "a.db", "select status from runs")
    assert run["status"] == "interrupted"


def test_a_cdx_api_answering_html_instead_of_json_stops_the_backfill_saying_so(tmp_path, policies, wayback):
    wayback.cdx_page = b"<html><body><h1>Wayback Machine is temporarily offline</h1></body></html>"
    result = backfill(tmp_path / "a.db", policies, wayback)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "the CDX API answered something that is not JSON (text/html; charset=utf-8): b'<html><body><h1>Wayback" in result.stderr
    assert "Run the same command again to resume" in result.stderr
    [run] = rows(tmp_path / "a.db", "select status from runs")
    assert run["status"] == "interrupted"


def test_retry_after_is_waited_for(wayback):
    from crawler.intake.settings import Settings
    from crawler.intake.wayback import Client

    wayback.throttle["/cdx/"] = 1
    wayback.retry_after = "1"
    started = time.monotonic()
    reply = Client(Settings(base_url=wayback.url, delay=0.01)).get(f"{wayback.url}/cdx/search/cdx?url={URL}&output=json")
    assert reply.status == 200 and time.monotonic() - started >= 1
