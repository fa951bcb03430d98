"""Multi-page documents: a variant's ``pages`` captured together, each page kept, one version of
their combined text, and one failed page the failure of the whole capture."""

import hashlib
import json
import sqlite3
import threading
import zlib

import pytest

from helpers import LOREM, Route, crawl, policy_page, policy_pdf, policyarchive, rows, write_declaration
from crawler.declarations.catalog import CatalogError, load_file
from crawler.declarations.ota import convert, render
from crawler.web.publish import datasette_app

PARTS = (
    "Part one explains which information we collect when you create an account and how you use the service every day.",
    "Part two explains how we share information with partners, service providers and public authorities on request.",
    "Part three explains how long we keep information and how you may ask us to delete it or to correct it at any time.",
)
ADDED = "We also keep records of your support requests for three years after they are closed."


def three_pages(site, third: str = PARTS[2]) -> None:
    for n, part in enumerate((*PARTS[:2], third), 1):
        site.set(f"/terms/{n}", policy_page(LOREM, part, title=f"Terms part {n}"))


def declare(tmp_path, site, **fields):
    pages = [site.url(f"/terms/{n}") for n in (1, 2, 3)]
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "pages": pages,
                                                       "select": ["article.policy"], **fields}])
    return tmp_path / "archive.db", tmp_path / "policies"


def test_a_three_page_document_is_versioned_as_one_text_of_its_pages_in_order(tmp_path, site):
    db, policies = declare(tmp_path, site)
    three_pages(site)
    crawl(db, policies)

    [capture] = rows(db, "select outcome, version_id from captures")
    assert capture["outcome"] == "new"
    [version] = rows(db, "select text from versions")
    assert version["text"].index(PARTS[0]) < version["text"].index(PARTS[1]) < version["text"].index(PARTS[2])
    assert [p["page"] for p in rows(db, "select page from capture_pages order by page")] == [1, 2, 3]


def test_a_change_on_page_three_gives_one_change_of_the_document(tmp_path, site):
    db, policies = declare(tmp_path, site)
    three_pages(site)
    crawl(db, policies)
    three_pages(site, third=f"{PARTS[2]} {ADDED}")
    crawl(db, policies)

    assert [r["outcome"] for r in rows(db, "select outcome from captures order by id")] == ["new", "changed"]
    [change] = rows(db, "select added_text from changes")
    assert ADDED.rstrip(".") in change["added_text"]


def test_a_page_answering_404_makes_the_capture_a_failure_naming_the_page_and_no_version(tmp_path, site):
    db, policies = declare(tmp_path, site)
    three_pages(site)
    site.set("/terms/2", Route(status=404, body=b"not found"))
    crawl(db, policies)

    [capture] = rows(db, "select outcome, detail, version_id from captures")
    assert (capture["outcome"], capture["version_id"]) == ("http-error", None)
    assert capture["detail"] == "page 2 of 3: HTTP 404"
    assert rows(db, "select count(*) n from versions")[0]["n"] == 0
    assert "/terms/3" not in site.hits


def test_a_page_that_times_out_makes_the_capture_a_failure_and_no_version(tmp_path, site):
    db, policies = declare(tmp_path, site)
    three_pages(site)
    answer = threading.Event()
    site.set("/terms/3", Route(body=policy_page(LOREM, PARTS[2]), hold=answer))
    try:
        crawl(db, policies)
    finally:
        answer.set()

    [capture] = rows(db, "select outcome, detail, version_id from captures")
    assert (capture["outcome"], capture["version_id"]) == ("network-error", None)
    assert capture["detail"].startswith("page 3 of 3: ")


def test_an_empty_page_makes_the_capture_a_failure_rather_than_a_shorter_version(tmp_path, site):
    db, policies = declare(tmp_path, site)
    three_pages(site)
    crawl(db, policies)
    site.set("/terms/2", Route(body=b""))
    crawl(db, policies)

    assert [r["outcome"] for r in rows(db, "select outcome from captures order by id")] == ["new", "empty"]
    assert rows(db, "select detail from captures order by id desc limit 1")[0]["detail"] == "page 2 of 3: empty body"
    assert rows(db, "select count(*) n from versions")[0]["n"] == 1


@pytest.mark.asyncio
async def test_each_pages_body_is_stored_and_served(tmp_path, site):
    db, policies = declare(tmp_path, site)
    three_pages(site)
    crawl(db, policies)
    [capture] = rows(db, "select id from captures")
    client = datasette_app(db).client

    for n in (1, 2, 3):
        served = await client.get(f"/-/capture/{capture['id']}/page/{n}/body")
        assert served.status_code == 200
        assert hashlib.sha256(served.content).hexdigest() == hashlib.sha256(site.routes[f"/terms/{n}"].body).hexdigest()
    assert (await client.get(f"/-/capture/{capture['id']}/page/4/body")).status_code == 404


def test_per_page_selectors_override_the_variants(tmp_path, site):
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "select": ["article.policy"],
                                                       "pages": [site.url("/terms/1"), {"url": site.url("/terms/2"), "select": ["footer"]}]}])
    [variant] = load_file(tmp_path / "policies" / "acme.yml").documents[0].variants
    assert variant.url == site.url("/terms/1")
    assert [s.css for s in variant.page_rules(1).select] == ["article.policy"]
    assert [s.css for s in variant.page_rules(2).select] == ["footer"]


@pytest.mark.parametrize("pages, field, message", [
    (["ftp://example.com/1"], "pages[0]", "is not a valid url (an http:// or https:// address)"),
    ([{"select": ["main"]}], "pages[0]", "is none of the forms allowed here: a string, {url: ...}"),
    ([{"url": "https://example.com/1", "selekt": ["main"]}], "pages[0].selekt", "did you mean 'select'?"),
    ([{"url": "https://example.com/1", "select": ["p["]}], "pages[0].select[0]", "invalid CSS selector"),
    (["https://example.com/1", "https://example.com/1"], "pages[1]", "a page is declared once"),
])
def test_a_wrong_page_is_an_error_naming_file_line_and_field(tmp_path, pages, field, message):
    path = write_declaration(tmp_path, "Acme", [{"region": "US", "language": "en", "pages": pages}])
    with pytest.raises(CatalogError) as raised:
        load_file(path)
    [error] = raised.value.errors
    assert (error.path, error.field) == (str(path), f"documents[0].variants[0].{field}")
    assert error.line > 1 and message in error.message


def test_a_variant_with_neither_url_nor_pages_is_an_error(tmp_path):
    path = write_declaration(tmp_path, "Acme", [{"region": "US", "language": "en"}])
    with pytest.raises(CatalogError) as raised:
        load_file(path)
    assert [e.field for e in raised.value.errors] == ["documents[0].variants[0].url"]


def test_an_open_terms_archive_combine_becomes_pages_that_validate(tmp_path):
    ota = tmp_path / "Ikea.json"
    ota.write_text(json.dumps({"name": "Ikea", "terms": {"Terms of Service": {
        "select": ["main#content"],
        "combine": [{"fetch": "https://www.ikea.com/ie/en/terms/"},
                    {"fetch": "https://www.ikea.com/ie/en/terms/general/", "remove": [".breadcrumb"]}]}}}))
    converted = convert(ota, "IE", "en", "contrib")
    (tmp_path / "policies").mkdir()
    path = tmp_path / "policies" / converted.file_name
    path.write_text(render(converted, "contrib"))

    [variant] = load_file(path).documents[0].variants
    assert [page.url for page in variant.pages] == ["https://www.ikea.com/ie/en/terms/", "https://www.ikea.com/ie/en/terms/general/"]
    assert [s.css for s in variant.page_rules(2).select] == ["main#content"]
    assert variant.page_rules(2).remove == (".breadcrumb",)
    assert converted.losses == []


def test_the_custody_manifest_and_an_export_cover_every_page_and_verify_finds_an_altered_one(tmp_path, site):
    db, policies = declare(tmp_path, site)
    three_pages(site)
    crawl(db, policies)
    [manifest] = [json.loads(zlib.decompress(m["manifest"])) for m in rows(db, "select manifest from manifests")]
    assert manifest["pages"]["page"] == [1, 2, 3]
    assert manifest["pages"]["body_sha256"] == [hashlib.sha256(site.routes[f"/terms/{n}"].body).hexdigest() for n in (1, 2, 3)]
    export = tmp_path / "acme.warc.gz"
    assert policyarchive("export", str(export), "--db", str(db)).returncode == 0
    verified = policyarchive("verify", "--db", str(db), "--export", str(export))
    assert verified.returncode == 0, verified.stderr

    sqlite3.connect(db).execute("update capture_pages set body_sha256 = (select body_sha256 from capture_pages where page = 1) "
                                "where page = 3").connection.commit()
    altered = policyarchive("verify", "--db", str(db), "--export", str(export))
    assert altered.returncode == 1
    assert "capture 1 page 3: body_sha256 is" in altered.stderr and "the page was altered" in altered.stderr
    assert "capture 1 page 3: exported bytes hash to" in altered.stderr


@pytest.mark.parametrize("command", [("import", "{file}"), ("backfill",)])
def test_import_and_backfill_refuse_a_multi_page_document(tmp_path, site, command):
    db, policies = declare(tmp_path, site)
    saved = tmp_path / "2021-06-02T10-00-00+00-00.html"
    saved.write_bytes(policy_page(LOREM))
    args = [part.format(file=saved) for part in command]
    result = policyarchive(*args, "--variant", "acme/privacy-policy/us-en", "--policies", str(policies), "--db", str(db))
    assert result.returncode == 1
    assert f"acme/privacy-policy/us-en is a document of 3 pages (pages:): {command[0]} brings one body per capture" in result.stderr
    assert not db.exists()


@pytest.mark.browser
def test_a_browser_variant_fetches_each_page_through_chromium(tmp_path, site):
    db, policies = declare(tmp_path, site, fetch="browser")
    three_pages(site)
    crawl(db, policies)

    [capture] = rows(db, "select outcome, renderer from captures")
    assert capture == {"outcome": "new", "renderer": "browser"}
    [version] = rows(db, "select text from versions")
    assert all(part in version["text"] for part in PARTS)
    assert [p["status"] for p in rows(db, "select status from capture_pages order by page")] == [200, 200, 200]


def test_format_pdf_reads_pages_as_pdfs_that_neither_media_type_nor_signature_says_are(tmp_path, site):
    db, policies = declare(tmp_path, site, format="pdf")
    for n, part in enumerate(PARTS, 1):
        padded = b" " * 1100 + policy_pdf([LOREM, part])  # its %PDF- past the first KB, where readers still find it
        site.set(f"/terms/{n}", Route(body=padded, headers={"Content-Type": "application/octet-stream"}))
    crawl(db, policies)

    [version] = rows(db, "select text from versions")
    assert version["text"].index(PARTS[0]) < version["text"].index(PARTS[1]) < version["text"].index(PARTS[2])
    assert version["text"].count("## Page 1") == 3


def test_a_crawl_through_the_queue_refuses_a_multi_page_document(tmp_path, site):
    db, policies = declare(tmp_path, site)
    result = policyarchive("crawl", "--db", str(db), "--policies", str(policies), "--queue", "redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert "acme/privacy-policy/us-en: multi-page documents are crawled locally, not through --queue" in result.stderr
    assert site.hits == []
