"""The compare page on the real TikTok US and EEA (English) histories, in a real Chromium: it opens
with what the US text says that the EEA text does not."""

import pytest
from playwright.sync_api import sync_playwright

from helpers import PROJECT, policyarchive, serving

pytestmark = [pytest.mark.realdata, pytest.mark.browser]

HISTORIES = {
    "us-en": "ota-vlopses-us-versions/TikTok/Privacy Policy",
    "eea-en": "ota-contrib-versions/TikTok/Privacy Policy",
}
SCREENSHOTS = PROJECT / "tests" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory, realdata):
    db = tmp_path_factory.mktemp("regions") / "archive.db"
    for variant, folder in HISTORIES.items():
        result = policyarchive("import", str(realdata / folder), "--variant", f"tiktok/privacy-policy/{variant}", "--db", str(db))
        assert result.returncode == 0, result.stderr[-2000:]
    with serving(db) as base:
        yield base


def test_the_compare_page_opens_with_the_biometric_clause_only_in_the_us(server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server}/-/compare/tiktok/privacy-policy?a=tiktok/privacy-policy/us-en&b=tiktok/privacy-policy/eea-en&at=2026-03-01")
        only_us = page.locator(".clause-gap .only-a li", has_text="biometric identifiers and biometric information").first
        assert only_us.is_visible() and "biometric" in only_us.locator(".terms").inner_text()
        assert page.locator(".clause-gap .only-b li", has_text="faceprints").count() == 0
        summary, diff = page.locator("section.summary").bounding_box(), page.locator("details.word-diff").bounding_box()
        assert summary["y"] < diff["y"] and not page.locator("details.word-diff").evaluate("d => d.open")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "compare-us-eea.png"))
        browser.close()
