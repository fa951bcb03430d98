"""A screenshot per version: rendered offline from the stored bytes, kept once, shown on the version
and diff pages (crawler/archive/screenshots.py, crawler/capture/render.py)."""

import io

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from helpers import LOREM, PolicySite, Route, policy_page, policy_pdf, policyarchive, rows, serving, write_declaration
from test_pages_browser import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

CLAUSE = "We now collect faceprints and voiceprints."


def crawl_with_screenshots(db, policies):
    result = policyarchive("crawl", "--db", str(db), "--policies", str(policies), "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=0",
                            "-s", "POLICYARCHIVE_SCREENSHOTS=1")
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Three crawls of one page: a first version, the same page again, then a second edition."""
    folder = tmp_path_factory.mktemp("screenshots")
    site = PolicySite()
    try:
        write_declaration(folder / "policies", "Acme", [
            {"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]}])
        first = policy_page(LOREM, "<img src='/pixel.png' alt=''>")
        for page in (first, first, policy_page(LOREM, CLAUSE)):
            site.set("/us", page)
            crawl_with_screenshots(folder / "archive.db", folder / "policies")
        assert site.hits == ["/us"] * 3, "rendering fetched nothing from the site, not even the page's image"
    finally:
        site.close()
    return folder / "archive.db"


def test_each_new_version_has_a_screenshot_and_unchanged_captures_add_none(archive):
    versions = rows(archive, "select versions.id, sha256 from versions left join version_screenshots on version_id = versions.id")
    assert len(versions) == 2
    assert all(v["sha256"] for v in versions)
    assert len(rows(archive, "select 1 from captures")) == 3
    assert len(rows(archive, "select 1 from screenshots")) == 2


def test_a_screenshot_is_lossless_webp_of_the_rendered_page(archive):
    [shot] = rows(archive, "select * from screenshots join version_screenshots using (sha256) order by version_id limit 1")
    image = Image.open(io.BytesIO(shot["bytes"]))
    assert (image.format, image.width, image.height) == ("WEBP", 1280, shot["height"])
    assert image.getextrema() != ((255, 255), (255, 255), (255, 255)), "the page drew something"


def test_missing_fills_versions_made_without_screenshots(tmp_path):
    """The suite's environment turns screenshots off (conftest.py), as an archive made before had none."""
    site = PolicySite()
    try:
        write_declaration(tmp_path / "policies", "Acme", [
            {"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]}])
        site.set("/us", policy_page(LOREM))
        result = policyarchive("crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"))
        assert result.returncode == 0
        assert rows(tmp_path / "a.db", "select 1 from version_screenshots") == []
        result = policyarchive("screenshots", "--missing", "--db", str(tmp_path / "a.db"))
    finally:
        site.close()
    assert result.returncode == 0, result.output
    assert "1 screenshot taken" in result.stdout
    assert len(rows(tmp_path / "a.db", "select 1 from version_screenshots")) == 1


def crawl_one(tmp_path, site, url, route, env=None):
    """One crawl, screenshots on, of a variant declared at ``url`` that the site serves as ``route``."""
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": url}])
    site.set("/" if url.count("/") == 2 else "/" + url.split("/", 3)[3], route)
    return policyarchive("crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"),
                         "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=0", "-s", "POLICYARCHIVE_SCREENSHOTS=1", env=env)


def test_a_pdf_served_as_octet_stream_is_pictured_not_a_traceback(tmp_path, site):
    result = crawl_one(tmp_path, site, site.url("/privacy"),
                       Route(body=policy_pdf([LOREM]), headers={"Content-Type": "application/octet-stream"}))
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(rows(tmp_path / "a.db", "select 1 from version_screenshots")) == 1


def test_a_url_chromium_spells_otherwise_is_pictured(tmp_path, site):
    """Chromium asks for http://127.0.0.1:PORT/ when shown http://127.0.0.1:PORT: the picture is of the stored bytes all the same."""
    result = crawl_one(tmp_path, site, site.url(""), Route(body=policy_page(LOREM)))
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(rows(tmp_path / "a.db", "select 1 from version_screenshots")) == 1


def test_screenshots_that_cannot_be_taken_leave_the_crawl_its_summary_and_exit_status(tmp_path, site):
    result = crawl_one(tmp_path, site, site.url("/privacy"), Route(body=policy_page(LOREM)),
                       env={"POLICYARCHIVE_CHROMIUM": str(tmp_path / "no-chromium")})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "run 1: 1 new" in result.stdout
    assert "Traceback" not in result.stderr
    assert "no screenshot of 1 version" in result.stderr and "policyarchive screenshots --missing" in result.stderr
    assert rows(tmp_path / "a.db", "select outcome from captures") == [{"outcome": "new"}]
    assert rows(tmp_path / "a.db", "select 1 from version_screenshots") == []


@pytest.fixture(scope="module")
def page(archive):
    with serving(archive) as base, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.base = base
        yield tab
        chromium.close()


def test_the_screenshot_is_served_as_a_png(archive, page):
    [version] = rows(archive, "select version_id from version_screenshots order by version_id limit 1")
    response = page.request.get(f"{page.base}/-/version/{version['version_id']}/screenshot.png")
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.body())).format == "PNG"


def test_the_version_page_shows_its_screenshot_and_cites_its_sha256(archive, page):
    [version] = rows(archive, "select version_id, sha256 from version_screenshots order by version_id limit 1")
    page.goto(f"{page.base}/-/version/{version['version_id']}")
    picture = page.locator("img.screenshot")
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 1280
    assert f"SHA-256 of the screenshot: {version['sha256']}" in page.locator(".citation").inner_text()


def test_the_diff_page_shows_before_and_after_with_the_change_boxed(archive, page):
    [change] = rows(archive, "select from_version_id, to_version_id from changes")
    page.goto(f"{page.base}/-/diff/{change['from_version_id']}/{change['to_version_id']}")
    before, after = page.locator(".screenshots figure").all()
    assert "before" in before.inner_text().lower() and "after" in after.inner_text().lower()
    assert after.locator("img").evaluate("img => img.complete && img.naturalWidth") == 1280
    assert after.locator(".changed").count() >= 1
    page.screenshot(path=str(archive.parent / "diff.png"), full_page=True)
