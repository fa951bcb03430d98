"""Every attempt is recorded: a page the extraction cannot read, or any exception while one capture is
handled, becomes that capture's recorded outcome (its bytes kept), and a run whose recorded
attempts fall short of its plan is not reported as a success."""

import hashlib
import os
import resource
import subprocess
import sys

import pytest
import yaml

from helpers import LOREM, PROJECT, Route, crawl, policy_page, rows, write_declaration
from crawler.archive.store import Archive
from crawler.capture.items import Capture
from crawler.declarations.catalog import load_catalog
from crawler.common.exits import EXIT_SOME_FAILED, run_exit_code
from crawler.text.classify import Analysis

XHTML = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
         '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
         f'<title>Privacy</title></head><body><article class="policy"><h1>Privacy Policy</h1><p>{LOREM}</p></article></body></html>')


def crawl_one(tmp_path, site, body: bytes, **fields):
    site.set("/p", Route(body=body, headers={"Content-Type": "application/xhtml+xml"}))
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": site.url("/p"), "select": ["article.policy"], **fields}])
    result = crawl(tmp_path / "a.db", tmp_path / "policies")
    [capture] = rows(tmp_path / "a.db", "select outcome, detail, body_sha256 from captures")
    [run] = rows(tmp_path / "a.db", "select status, attempted, planned, exit_code from runs")
    return result, capture, run


@pytest.mark.parametrize("select", [["article.policy"], []], ids=["selected", "main-content"])
def test_an_xhtml_page_with_an_encoding_declaration_is_versioned(tmp_path, site, select):
    result, capture, run = crawl_one(tmp_path, site, XHTML.encode(), select=select)
    assert capture["outcome"] == "new", capture
    assert "We collect information you provide" in rows(tmp_path / "a.db", "select text from versions")[0]["text"]
    assert result.returncode == 0 and run == {"status": "finished", "attempted": 1, "planned": 1, "exit_code": 0}


@pytest.mark.parametrize("body", [b"<!-- nothing but a comment -->", b"\xef\xbb\xbf", b"\xef\xbb\xbf<!-- -->\n"],
                         ids=["comment", "bom", "bom-and-comment"])
@pytest.mark.parametrize("select", [["article.policy"], []], ids=["selected", "main-content"])
def test_a_body_of_only_a_comment_or_a_bom_is_recorded_empty_with_its_bytes(tmp_path, site, body, select):
    result, capture, run = crawl_one(tmp_path, site, body, select=select)
    assert capture["outcome"] == "empty" and capture["body_sha256"] is not None, capture
    assert result.returncode == 3 and run["attempted"] == 1


@pytest.mark.parametrize("content_type", ["text/html", "application/octet-stream"])
def test_bytes_that_are_no_text_are_recorded_empty_saying_so_not_as_another_language(tmp_path, site, content_type):
    """An image or an archive served where the policy was: read as text it gives words of no language."""
    site.set("/p", Route(body=b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(10000)),
                         headers={"Content-Type": content_type}))
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": site.url("/p")}])
    crawl(tmp_path / "a.db", tmp_path / "policies")
    [capture] = rows(tmp_path / "a.db", "select outcome, detail, body_sha256 from captures")
    assert capture["outcome"] == "empty" and capture["body_sha256"] is not None, capture
    assert capture["detail"].startswith("not text: "), capture


def test_an_exception_while_handling_one_capture_becomes_its_recorded_error(tmp_path, site):
    site.set("/us", policy_page(LOREM))
    site.set("/eea", policy_page(LOREM))
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]},
        # lxml cannot drop a document's root element: extraction raises on this declaration.
        {"region": "EEA", "language": "en", "url": site.url("/eea"), "select": ["html"], "remove": ["html"]},
    ])
    result = crawl(tmp_path / "a.db", tmp_path / "policies")

    captures = rows(tmp_path / "a.db", "select variant_id, outcome, detail, body_sha256 from captures order by variant_id")
    assert [c["outcome"] for c in captures] == ["error", "new"]
    assert captures[0]["detail"].startswith("AssertionError") and captures[0]["body_sha256"] is not None
    [run] = rows(tmp_path / "a.db", "select status, attempted, planned, error, exit_code from runs")
    assert run == {"status": "finished", "attempted": 2, "planned": 2, "error": 1, "exit_code": EXIT_SOME_FAILED}
    assert result.returncode == EXIT_SOME_FAILED and "acme/privacy-policy/eea-en: error (AssertionError" in result.stderr


def test_a_run_whose_recorded_attempts_fall_short_of_its_plan_is_incomplete(tmp_path):
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": "http://acme.example/"}])
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(load_catalog(tmp_path / "policies"))
    run_id = archive.start_run("test", planned=2)
    archive.record(Capture("acme/privacy-policy/us-en", "http://acme.example/", "2026-12-01T00:00:00Z", status=404),
                   Analysis("http-error", detail="HTTP 404"), run_id)
    archive.end_run(run_id, "finished", exit_code=run_exit_code("finished", failed=1))
    archive.close()

    [run] = rows(tmp_path / "a.db", "select status, attempted, planned, exit_code, detail from runs")
    assert run == {"status": "incomplete", "attempted": 1, "planned": 2, "exit_code": EXIT_SOME_FAILED,
                   "detail": "1 of 2 planned captures recorded: 1 attempt has no record"}


def test_a_crawl_short_of_its_plan_exits_as_some_captures_failed():
    assert run_exit_code("finished", failed=0, missing=1) == EXIT_SOME_FAILED


def test_a_capture_never_writes_its_body_into_a_log():
    capture = Capture("acme/privacy-policy/us-en", "https://acme.example.com/", "2026-12-01T00:00:00Z", status=200,
                      body=b"<html>" + b"x" * 400_000 + b"</html>")
    assert "xxxx" not in repr(capture) and "400013 bytes" in repr(capture)


def test_a_disk_that_fills_up_mid_run_leaves_an_incomplete_run_that_says_so_and_a_log_without_bodies(tmp_path, site):
    """The archive's files may not grow past 1.5 MB (RLIMIT_FSIZE, as a full disk): twelve 400 KB pages
    cannot all be kept."""
    bodies = {i: policy_page(LOREM, f"Document {i}.") + os.urandom(200_000).hex().encode() for i in range(12)}
    for i, body in bodies.items():
        site.set(f"/p{i}", body)
    docs = [{"type": f"doc-{i}", "variants": [{"region": "US", "language": "en", "url": site.url(f"/p{i}"), "select": ["article.policy"]}]}
            for i in range(12)]
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "acme.yml").write_text(yaml.safe_dump({"service": "Acme", "documents": docs}))
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"),
         "-s", "RETRY_TIMES=0"], cwd=PROJECT, capture_output=True, text=True, timeout=180,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1_500_000, 1_500_000)))

    [run] = rows(tmp_path / "a.db", "select id, status, planned, attempted, exit_code, detail from runs")
    assert result.returncode == EXIT_SOME_FAILED
    if run["status"] == "running":  # the disk had no room left even for the run's end: the next start closes it
        assert f"run {run['id']}: its end could not be recorded" in result.stderr
    else:
        assert run["status"] == "incomplete" and run["exit_code"] == EXIT_SOME_FAILED
        assert run["detail"].startswith(f"{run['attempted']} of 12 planned captures recorded")
    assert not any(body[-64:].decode() in result.stderr for body in bodies.values())


@pytest.mark.parametrize("status", [304, 302, 999], ids=["not-modified", "redirect-without-location", "unknown-status"])
def test_an_answer_that_is_not_the_page_is_an_http_error_with_its_status(tmp_path, site, status):
    """A 304 to a request that asked nothing conditional, a 302 with no Location, a status no RFC
    names: the server answered, so the capture keeps the status and is an HTTP error, not a
    network error; the version stays, with no change."""
    site.set("/p", policy_page(LOREM))
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": site.url("/p"), "select": ["article.policy"]}])
    crawl(tmp_path / "a.db", tmp_path / "policies")
    site.set("/p", Route(status=status, body=b"<p>Moved, maybe.</p>" if status == 999 else b""))
    result = crawl(tmp_path / "a.db", tmp_path / "policies")
    [capture] = rows(tmp_path / "a.db", "select outcome, status, detail, version_id from captures where run_id = 2")
    assert capture == {"outcome": "http-error", "status": status, "detail": f"HTTP {status}", "version_id": None}
    assert result.returncode == 3
    assert len(rows(tmp_path / "a.db", "select id from versions")) == 1 and rows(tmp_path / "a.db", "select id from changes") == []


@pytest.mark.parametrize("content_type, body", [
    ("application/json", f'{{"title": "Privacy", "text": "{LOREM} {LOREM}"}}'),
    ("text/css", f"body {{ color: #333; }} /* {LOREM} */"),
    ("application/javascript", f"var policy = '{LOREM}';"),
    ("image/svg+xml", f"<svg xmlns='http://www.w3.org/2000/svg'><text>{LOREM}</text></svg>"),
], ids=["json", "css", "javascript", "svg"])
def test_a_body_served_as_data_code_or_media_is_recorded_empty_not_versioned(tmp_path, site, content_type, body):
    """The policy's URL now answers with an API's JSON, a script or an image: their words are no
    version of the policy, and the policy's last version stays current."""
    site.set("/p", policy_page(LOREM))
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": site.url("/p")}])
    crawl(tmp_path / "a.db", tmp_path / "policies")
    site.set("/p", Route(body=body.encode(), headers={"Content-Type": content_type}))
    crawl(tmp_path / "a.db", tmp_path / "policies")
    [capture] = rows(tmp_path / "a.db", "select outcome, detail, version_id, body_sha256 from captures where run_id = 2")
    assert capture["outcome"] == "empty" and capture["version_id"] is None and capture["body_sha256"] is not None
    assert capture["detail"].startswith(f"not a page: served as {content_type}")
    assert len(rows(tmp_path / "a.db", "select id from versions")) == 1 and rows(tmp_path / "a.db", "select id from changes") == []
