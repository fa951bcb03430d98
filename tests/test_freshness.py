"""``variant_freshness`` (migration 20): each variant's labels, latest capture, latest successful
capture and current version, kept by triggers, equals what the variants and their captures say
after every kind of write: record in and out of order, a crawl, an import, a backfill, an OTA import,
the fleet writer, a declaration changed, and the migration of an archive made before it."""

import gzip
from pathlib import Path

from crawler.archive.store import Archive
from crawler.capture.items import Capture
from crawler.declarations.catalog import load_catalog
from crawler.fleet.queue import Queue, connect
from crawler.fleet.writer import Writer
from crawler.text.classify import Analysis
from fake_wayback import FakeWayback
from helpers import LOREM, Route, crawl, git_history, policy_page, policyarchive, rows, write_declaration, write_warc

URL = "https://acme.example.com/privacy"
US = "acme/privacy-policy/us-en"
OK = ("new", "changed", "unchanged")


def from_captures(db: Path) -> list[dict]:
    """What ``variant_freshness`` must hold, worked out from the variants and their captures: per
    variant, its labels, and the latest (by time, then id) capture, successful capture, and capture
    with a version."""
    expected = {v["id"]: {"variant_id": v["id"], "service": v["service"], "region": v["region"], "language": v["language"],
                          "url": v["url"], "last_capture_id": None, "last_capture_at": None, "last_outcome": None,
                          "last_detail": None, "last_ok_id": None, "last_ok_at": None, "version_id": None}
                for v in rows(db, "select * from variants")}
    for c in rows(db, "select * from captures order by variant_id, fetched_at, id"):
        row = expected[c["variant_id"]]
        row.update(last_capture_id=c["id"], last_capture_at=c["fetched_at"], last_outcome=c["outcome"], last_detail=c["detail"])
        if c["outcome"] in OK:
            row.update(last_ok_id=c["id"], last_ok_at=c["fetched_at"])
        if c["version_id"] is not None:
            row["version_id"] = c["version_id"]
    return [expected[v] for v in sorted(expected)]


def held(db: Path) -> list[dict]:
    return rows(db, "select * from variant_freshness order by variant_id")


def declare(folder: Path, url: str = URL) -> Path:
    write_declaration(folder / "policies", "Acme", [{"region": "US", "language": "en", "url": url, "select": ["article.policy"]}])
    return folder / "policies"


def capture(when: str, status: int = 200) -> Capture:
    return Capture(variant_id=US, requested_url=URL, fetched_at=when, status=status, body=b"<p>page</p>")


def test_records_in_and_out_of_order_failures_and_suspects_keep_it_equal_to_the_captures(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(load_catalog(declare(tmp_path)))
    long = " ".join(["word"] * 400)
    archive.record(capture("2021-03-01T00:00:00Z"), Analysis("ok", long))
    archive.record(capture("2021-04-01T00:00:00Z", 503), Analysis("http-error", detail="HTTP 503"))
    archive.record(capture("2021-05-01T00:00:00Z"), Analysis("ok", "short"))  # a collapse: suspect
    archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", "an older text, imported later"))
    archive.record(capture("2021-04-01T00:00:00Z"), Analysis("ok", long + " more"))  # same second as the failure, later id
    archive.close()

    [row] = held(tmp_path / "a.db")
    assert held(tmp_path / "a.db") == from_captures(tmp_path / "a.db")
    assert (row["last_outcome"], row["last_ok_at"]) == ("suspect", "2021-04-01T00:00:00Z")


def test_a_crawl_then_a_failing_one_keep_it_equal_to_the_captures(tmp_path, site):
    policies = declare(tmp_path, site.url("/us"))
    site.set("/us", policy_page(LOREM))
    crawl(tmp_path / "a.db", policies)
    site.set("/us", policy_page(LOREM, "We may collect faceprints."))
    crawl(tmp_path / "a.db", policies)
    site.set("/us", Route(status=404, body=b"gone"))
    crawl(tmp_path / "a.db", policies)

    [row] = held(tmp_path / "a.db")
    assert held(tmp_path / "a.db") == from_captures(tmp_path / "a.db")
    assert row["last_outcome"] == "http-error" and row["version_id"] == 2


def test_an_import_of_older_captures_after_a_crawl_keeps_it_equal_to_the_captures(tmp_path, site):
    policies = declare(tmp_path, site.url("/us"))
    site.set("/us", policy_page(LOREM))
    crawl(tmp_path / "a.db", policies)
    write_warc(tmp_path / "old.warc.gz", [
        (site.url("/us"), "2021-06-01T00:00:00Z", 200, policy_page(LOREM, "We may collect faceprints.")),
        (site.url("/us"), "2021-06-02T00:00:00Z", 503, b"unavailable"),
    ])
    result = policyarchive("import", str(tmp_path / "old.warc.gz"), "--variant", US, "--db", str(tmp_path / "a.db"),
                           "--policies", str(policies))
    assert result.returncode == 0, result.stderr

    [row] = held(tmp_path / "a.db")
    assert held(tmp_path / "a.db") == from_captures(tmp_path / "a.db")
    assert row["last_capture_id"] == 1


def test_a_backfill_keeps_it_equal_to_the_captures(tmp_path):
    policies = declare(tmp_path)
    wayback = FakeWayback()
    try:
        wayback.add("20190101000000", URL, policy_page(LOREM))
        wayback.add("20190501000000", URL, policy_page(LOREM, "We may collect faceprints."))
        result = policyarchive("backfill", "--variant", US, "--wayback-url", wayback.url, "--delay", "0.01",
                               "--db", str(tmp_path / "a.db"), "--policies", str(policies))
    finally:
        wayback.close()
    assert result.returncode == 0, result.stderr

    [row] = held(tmp_path / "a.db")
    assert held(tmp_path / "a.db") == from_captures(tmp_path / "a.db")
    assert row["last_capture_at"].startswith("2019-05-01")


def test_an_ota_import_whose_re_extraction_rewrites_a_detail_keeps_it_equal_to_the_captures(tmp_path):
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": URL, "ota": "acme-us/Acme/Privacy Policy"}])
    doc = "Acme/Privacy Policy.md"
    repo = git_history(tmp_path / "repo", [
        ("2021-06-01T08:00:00+00:00", "First record of Acme Privacy Policy", {doc: f"# Policy\n\n{LOREM}\n".encode()}),
        ("2021-06-03T08:00:00+00:00", "Apply technical or declaration upgrade on Acme Privacy Policy",
         {doc: f"# Policy\n\n{LOREM}\n\nWe may collect faceprints.\n".encode()})])
    result = policyarchive("import-ota", str(repo), "--collection", "acme-us", "--db", str(tmp_path / "a.db"),
                           "--policies", str(tmp_path / "policies"))
    assert result.returncode == 0, result.stderr

    [row] = held(tmp_path / "a.db")
    assert held(tmp_path / "a.db") == from_captures(tmp_path / "a.db")
    assert row["last_detail"].startswith("re-extracted by Open Terms Archive")


def test_the_fleet_writer_keeps_it_equal_to_the_captures(tmp_path, redis_url):
    catalog = load_catalog(declare(tmp_path))
    queue = Queue(connect(redis_url), "test")
    for when in ("2026-01-02T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z"):
        request_id = queue.put(1, US, "US")
        taken = queue.take("w", ["US"], visibility=60)
        capture = {"variant_id": US, "requested_url": URL, "fetched_at": when, "status": 200,
                   "headers": {"content-type": "text/html"}, "request_id": request_id, "worker": "w", "worker_host": "h"}
        analysis = {"outcome": "ok", "text": f"Privacy Policy {when}\n\n{LOREM}", "language": "en", "words": 40, "page_words": 50}
        queue.send(taken, capture, policy_page(LOREM), analysis)
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(catalog)
    writer = Writer(archive, queue, catalog, archive.start_run("test"))
    for answer in queue.answers(1000):
        writer.record(answer)
    archive.close()

    [row] = held(tmp_path / "a.db")
    assert held(tmp_path / "a.db") == from_captures(tmp_path / "a.db")
    assert row["last_capture_at"] == "2026-01-02T00:00:00.000000Z"


def test_an_archive_made_before_migration_20_is_filled_from_its_captures(tmp_path):
    path = tmp_path / "old.db"
    path.write_bytes(gzip.decompress((Path(__file__).parent / "archives" / "made-before-migration-11.db.gz").read_bytes()))
    Archive(path).close()

    assert held(path) == from_captures(path)
    assert any(row["last_capture_id"] for row in held(path))


def test_a_declaration_that_changes_a_variant_s_url_changes_its_row(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(load_catalog(declare(tmp_path)))
    archive.record(capture("2021-03-01T00:00:00Z"), Analysis("ok", "Text"))
    archive.sync_catalog(load_catalog(declare(tmp_path, URL + "/moved")))
    archive.close()

    [row] = held(tmp_path / "a.db")
    assert held(tmp_path / "a.db") == from_captures(tmp_path / "a.db")
    assert row["url"] == URL + "/moved" and row["last_ok_at"] == "2021-03-01T00:00:00Z"


def test_variant_status_reads_it_and_lists_never_captured_variants_as_stale_and_first(tmp_path):
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": URL, "select": ["article.policy"]},
        {"region": "EEA", "language": "en", "url": URL + "/eea", "select": ["article.policy"]}])
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(load_catalog(tmp_path / "policies"))
    archive.record(capture("2021-03-01T00:00:00Z"), Analysis("ok", "Text"))
    archive.record(capture("2021-04-01T00:00:00Z", 503), Analysis("http-error", detail="HTTP 503"))
    archive.close()

    status = rows(tmp_path / "a.db", "select variant_id, last_capture_at, last_outcome, last_detail, last_ok_at, stale "
                                     "from variant_status order by last_ok_at")
    assert status == [
        {"variant_id": "acme/privacy-policy/eea-en", "last_capture_at": None, "last_outcome": None, "last_detail": None,
         "last_ok_at": None, "stale": 1},
        {"variant_id": US, "last_capture_at": "2021-04-01T00:00:00Z", "last_outcome": "http-error", "last_detail": "HTTP 503",
         "last_ok_at": "2021-03-01T00:00:00Z", "stale": 1},
    ]
