"""Exporting captures as WARC and WACZ: read back whole, valid, and replayable through import."""

import gzip
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile

import pytest
from warcio.archiveiterator import ArchiveIterator

from fake_wayback import FakeWayback
from helpers import LOREM, PolicySite, Route, crawl, policy_page, policyarchive, rows, write_declaration
from crawler.evidence.export import TRANSFER_HEADERS, parse_fields

EEA_URL = "https://acme.example.com/eea/privacy"
SAVED_URL = "https://acme.example.com/privacy"
US, EEA = "acme/privacy-policy/us-en", "acme/privacy-policy/eea-en"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two crawls of a US page (the second changed, then a failure) and a Wayback backfill of its EEA twin."""
    tmp = tmp_path_factory.mktemp("export")
    site, wayback = PolicySite(), FakeWayback()
    try:
        write_declaration(tmp / "policies", "Acme", [
            {"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]},
            {"region": "EEA", "language": "en", "url": EEA_URL, "select": ["article.policy"]},
        ])
        db = tmp / "archive.db"
        site.set("/us", policy_page(LOREM, noise="1"))
        crawl(db, tmp / "policies", "--only", US)
        site.set("/us", policy_page(LOREM, "We may collect faceprints and voiceprints.", noise="2"))
        crawl(db, tmp / "policies", "--only", US)
        site.set("/us", Route(status=503, body=b"unavailable"))
        crawl(db, tmp / "policies", "--only", US)
        wayback.add("20200101000000", EEA_URL, policy_page(LOREM, noise="w1"))
        wayback.add("20200601000000", EEA_URL, policy_page(LOREM, "We share data with partners in the EEA.", noise="w2"))
        result = policyarchive("backfill", "--variant", EEA, "--wayback-url", wayback.url, "--delay", "0.01",
                               "--db", str(db), "--policies", str(tmp / "policies"))
        assert result.returncode == 0, result.stderr
    finally:
        site.close()
        wayback.close()
    return tmp


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """An archive of saved files only: an HTML page, then a Markdown text with a change."""
    tmp = tmp_path_factory.mktemp("imported")
    write_declaration(tmp / "policies", "Acme", [
        {"region": "US", "language": "en", "url": SAVED_URL, "select": ["article.policy"]},
    ])
    (tmp / "saved").mkdir()
    (tmp / "saved" / "2020-08-12T14-41-08+02-00.html").write_bytes(policy_page(LOREM))
    (tmp / "saved" / "2021-06-02T00-00-00+00-00.md").write_text(f"# Privacy Policy\n\n{LOREM}\n\nWe may collect faceprints.\n")
    result = policyarchive("import", str(tmp / "saved"), "--variant", US, "--db", str(tmp / "archive.db"),
                           "--policies", str(tmp / "policies"))
    assert result.returncode == 0, result.stderr
    return tmp


def export(archive, name, *only):
    result = policyarchive("export", str(archive / name), *[a for o in only for a in ("--only", o)], "--db", str(archive / "archive.db"))
    assert result.returncode == 0, result.stderr
    return archive / name


def import_into(path, variant, db, policies):
    result = policyarchive("import", str(path), "--variant", variant, "--db", str(db), "--policies", str(policies))
    assert result.returncode == 0, result.stderr
    return result


def records(path):
    """(type, WARC headers, content, digests passed) of every record, each read to its end."""
    with path.open("rb") as stream:
        out = []
        for record in ArchiveIterator(stream, check_digests=True):
            content = record.raw_stream.read()
            out.append((record.rec_type, record.rec_headers, content, record.digest_checker.passed))
        return out


def test_warcio_reads_the_export_back_whole_with_every_digest_passing(archive):
    read = records(export(archive, "all.warc.gz"))
    captures = rows(archive / "archive.db", "select id, body_sha256 from captures order by fetched_at, id")

    assert [r[0] for r in read] == ["warcinfo"] + ["response", "request", "metadata"] * len(captures)
    assert all(r[3] is True for r in read if r[0] != "warcinfo")
    assert all(r[1].get_header("WARC-Payload-Digest").startswith("sha256:") for r in read if r[0] == "response")
    responses = [r for r in read if r[0] == "response"]
    metadata = [parse_fields(r[2]) for r in read if r[0] == "metadata"]
    assert [hashlib.sha256(r[2]).hexdigest() for r in responses] == [c["body_sha256"] for c in captures]
    assert [m["sha256"] for m in metadata] == [c["body_sha256"] for c in captures]
    assert parse_fields(read[0][2])["captures"] == str(len(captures))


def test_each_capture_carries_its_provenance_and_wayback_captures_say_they_have_no_region(archive):
    read = records(export(archive, "all.warc.gz"))
    metadata = {m["variant"]: m for m in (parse_fields(r[2]) for r in read if r[0] == "metadata")}

    us, eea = metadata[US], metadata[EEA]
    assert (us["region"], us["language"], us["renderer"], us["source"]) == ("US", "en", "http", "crawl")
    assert us["fetched-at"] and us["user-agent"]
    assert (eea["region"], eea["source"]) == ("", "wayback")
    assert eea["memento-url"].endswith(f"/web/20200601000000/{EEA_URL}")


def test_the_wacz_passes_the_wacz_validator(archive):
    path = export(archive, "acme.wacz", "acme")
    result = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(path)], capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded, the passed WACZ is valid" in result.stdout
    with zipfile.ZipFile(path) as package:
        pages = package.read("pages/pages.jsonl").decode().splitlines()
    assert len(pages) == 1 + len(rows(archive / "archive.db", "select id from captures where body_sha256 is not null"))


@pytest.mark.parametrize("variant", [US, EEA])
def test_importing_the_exported_warc_into_an_empty_archive_gives_the_same_versions(archive, variant, tmp_path):
    path = export(archive, f"{variant.replace('/', '_')}.warc.gz", variant)
    result = policyarchive("import", str(path), "--variant", variant, "--db", str(tmp_path / "replay.db"),
                           "--policies", str(archive / "policies"))
    assert result.returncode == 0, result.stderr

    sql = "select text, first_seen, last_seen from versions where variant_id = ? order by first_seen"
    assert rows(tmp_path / "replay.db", sql, [variant]) == rows(archive / "archive.db", sql, [variant])
    assert len(rows(tmp_path / "replay.db", sql, [variant])) == 2
    sql = "select detected_at, added_text, removed_text from changes where variant_id = ? order by detected_at"
    assert rows(tmp_path / "replay.db", sql, [variant]) == rows(archive / "archive.db", sql, [variant])


def test_each_response_record_carries_the_headers_as_received_the_date_included(archive):
    path = export(archive, "all.warc.gz")
    with path.open("rb") as stream:
        exported = [dict(r.http_headers.headers) for r in ArchiveIterator(stream) if r.rec_type == "response"]
    kept = rows(archive / "archive.db", """select captures.http_date, capture_headers.headers, captures.body_size from captures
        join capture_headers on capture_headers.capture_id = captures.id order by captures.fetched_at, captures.id""")

    assert len(exported) == len(kept)
    for headers, capture in zip(exported, kept):
        received = json.loads(capture["headers"])
        assert headers == {**{k: v for k, v in received.items() if k not in TRANSFER_HEADERS},
                           "content-length": str(capture["body_size"] or 0)}
        assert headers["date"] == capture["http_date"]


def test_importing_an_export_of_several_variants_into_one_takes_only_that_variants_records(archive, tmp_path):
    path = export(archive, "all.warc.gz")
    result = import_into(path, US, tmp_path / "us.db", archive / "policies")

    sql = "select fetched_at, outcome, status from captures order by fetched_at"
    assert rows(tmp_path / "us.db", sql) == rows(archive / "archive.db", sql.replace("order", "where variant_id = ? order"), [US])
    sql = "select text, first_seen from versions order by first_seen"
    assert rows(tmp_path / "us.db", sql) == rows(archive / "archive.db", sql.replace("order", "where variant_id = ? order"), [US])
    said = f"skipped 2 records of other variants: {EEA} (2)"
    assert said in result.stderr and rows(tmp_path / "us.db", "select detail from runs") == [{"detail": said}]


def test_importing_an_export_that_holds_no_record_of_the_variant_fails_and_imports_nothing(archive, tmp_path):
    path = export(archive, "eea.warc.gz", EEA)
    result = policyarchive("import", str(path), "--variant", US, "--db", str(tmp_path / "us.db"),
                           "--policies", str(archive / "policies"))

    assert result.returncode == 1
    assert f"eea.warc.gz: no record of {US}" in result.stderr
    assert f"skipped 2 records of other variants: {EEA} (2)" in result.stderr
    assert not (tmp_path / "us.db").exists()


def assert_saved_files_claim_no_url(path, captures):
    """Each saved file is a resource record named by its bytes and a metadata record; no record
    claims the declared URL, and none is a request no one made."""
    read = records(path)
    assert [r[0] for r in read] == ["warcinfo"] + ["resource", "metadata"] * len(captures)
    assert [r[1].get_header("WARC-Target-URI") for r in read if r[0] == "resource"] == [
        f"urn:policyarchive:import:{c['body_sha256']}" for c in captures]
    assert all(r[1].get_header("WARC-Target-URI") != SAVED_URL for r in read)


def test_an_imported_saved_file_is_exported_under_a_urn_of_its_bytes_never_the_declared_url(imported):
    captures = rows(imported / "archive.db", "select body_sha256 from captures order by fetched_at, id")
    assert_saved_files_claim_no_url(export(imported, "saved.warc"), captures)


def test_an_import_recorded_with_the_declared_url_before_is_exported_under_its_urn_all_the_same(imported, tmp_path):
    shutil.copytree(imported, tmp_path / "old")
    with sqlite3.connect(tmp_path / "old" / "archive.db") as db:  # as imports wrote saved files before
        db.execute("update captures set requested_url = ?, region = 'US', language = 'en'", [SAVED_URL])
    captures = rows(tmp_path / "old" / "archive.db", "select body_sha256 from captures order by fetched_at, id")
    assert_saved_files_claim_no_url(export(tmp_path / "old", "saved.warc"), captures)


def test_an_export_of_saved_files_imports_back_to_the_same_versions_with_no_url(imported, tmp_path):
    import_into(export(imported, "saved.warc.gz"), US, tmp_path / "replay.db", imported / "policies")

    sql = "select text, first_seen, last_seen from versions order by first_seen"
    assert rows(tmp_path / "replay.db", sql) == rows(imported / "archive.db", sql) and len(rows(tmp_path / "replay.db", sql)) == 2
    assert rows(tmp_path / "replay.db", "select distinct requested_url, final_url, region from captures") == [
        {"requested_url": None, "final_url": None, "region": None}]


def test_a_wacz_of_saved_files_is_valid_and_lists_no_page_at_a_url_never_fetched(imported):
    path = export(imported, "saved.wacz")
    result = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(path)], capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(path) as package:
        assert not any(name.startswith("pages/") for name in package.namelist())
        index = gzip.decompress(package.read("indexes/index.cdx.gz")).decode()
    assert "urn:policyarchive:import:" in index and SAVED_URL not in index
