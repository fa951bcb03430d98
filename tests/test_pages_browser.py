"""The archive's pages in a real headless Chromium, against a running ``policyarchive serve``.

Screenshots of the pages go to tests/screenshots/ (git-ignored), for a person to look at.
"""


import pytest
from playwright.sync_api import sync_playwright

from helpers import PROJECT, rows, serving
from test_pages import EEA, HOSTILE, US, build_archive

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = PROJECT / "tests" / "screenshots"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("pages-browser"))


@pytest.fixture(scope="module")
def server(archive):
    """``policyarchive serve`` on a free port; its base URL."""
    with serving(archive) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def us_change(archive) -> dict:
    [change] = rows(archive, "select from_version_id, to_version_id from changes where variant_id = ?", [US])
    return change


def test_the_diff_page_shows_the_added_clause_marked_as_added(archive, server, page):
    change = us_change(archive)
    page.goto(f"{server}/-/diff/{change['from_version_id']}/{change['to_version_id']}")
    added = page.locator(".diff ins", has_text="faceprints and voiceprints")
    assert added.is_visible()
    assert added.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(204, 245, 204)"
    assert page.locator(".diff del", has_text="faceprints").count() == 0
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "diff.png"), full_page=True)


def test_the_compare_page_shows_a_clause_in_one_region_and_not_the_other(server, page):
    page.goto(f"{server}/-/document/acme/privacy-policy")
    page.get_by_role("link", name="Compare EEA · en with US · en").click()
    page.wait_for_load_state()
    page.locator("details.word-diff > summary").click()
    assert page.locator(".cell.new ins", has_text="faceprints and voiceprints").is_visible()
    assert page.locator(".cell.old", has_text="faceprints").count() == 0
    biometric = page.locator("tr", has=page.locator("td", has_text="biometric")).first
    assert biometric.locator("td").all_inner_texts() == ["biometric", "absent", "biometric, faceprints, voiceprints"]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "compare.png"), full_page=True)


def test_a_clause_one_region_has_leads_from_the_compare_page_to_its_lineage(archive, server, page):
    page.goto(f"{server}/-/compare/acme/privacy-policy?a={EEA}&b={US}")
    page.locator(".clauses li", has_text="faceprints").get_by_role("link", name="its lineage").click()
    page.wait_for_load_state()
    row = page.locator("tr", has=page.locator("td", has_text="US · en"))
    assert "faceprints" in page.locator("blockquote.clause").inner_text()
    assert row.get_by_role("link", name="between").is_visible() and page.locator("td", has_text="EEA · en").count() == 0
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "lineage.png"), full_page=True)

def _assert_payload_inert(page) -> None:
    """The payload is on the page as text, nothing it carries runs, and its link is not a link."""
    assert page.get_by_text("<script>window.pwned=1</script>").first.is_visible()
    page.get_by_text("javascript:window.pwned=1").first.click()
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator('a[href^="javascript:"], [onerror], [onclick]').count() == 0


def test_a_script_payload_in_a_crawled_policy_is_shown_as_text_and_never_runs(archive, server, page):
    [crawled] = rows(archive, "select id from versions where variant_id = ? order by first_seen limit 1", [HOSTILE])
    for view in ("markdown", "text"):
        page.goto(f"{server}/-/version/{crawled['id']}?view={view}")
        _assert_payload_inert(page)


def test_raw_html_in_an_imported_markdown_policy_is_shown_as_text_and_never_runs(archive, server, page):
    [imported] = rows(archive, "select id from versions where variant_id = ? order by first_seen desc limit 1", [HOSTILE])
    page.goto(f"{server}/-/version/{imported['id']}")
    _assert_payload_inert(page)
    assert page.get_by_text('<img src=x onerror="window.pwned=1">').first.is_visible()
    assert page.get_by_text("<b>entity-encoded markup</b>").first.is_visible()
    assert page.locator("b", has_text="entity-encoded").count() == 0
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "hostile-version.png"), full_page=True)


def test_a_script_payload_in_a_diff_is_shown_as_text_and_never_runs(archive, server, page):
    [change] = rows(archive, "select from_version_id, to_version_id from changes where variant_id = ?", [HOSTILE])
    for layout in ("inline", "side"):
        page.goto(f"{server}/-/diff/{change['from_version_id']}/{change['to_version_id']}?layout={layout}")
        _assert_payload_inert(page)


def test_the_search_page_highlights_the_term_and_leads_to_the_version(archive, server, page):
    page.goto(f"{server}/")
    page.get_by_label("Search every version and change").fill("faceprints")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.locator("mark", has_text="faceprints").first.is_visible()
    assert page.locator(f'a[href="/-/variant/{EEA}"]').count() == 0
    page.locator(f'td a[href="/-/version/{us_change(archive)["to_version_id"]}"]').first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().endswith("US · en, version 2")


def test_a_reporter_finds_who_says_biometric_from_the_home_page_in_two_clicks(archive, server, page):
    page.goto(f"{server}/")
    page.get_by_role("link", name="biometric").first.click()
    page.wait_for_load_state()
    us = page.locator("tr.presence-yes")
    assert us.locator("td").first.inner_text() == "US · en"
    assert us.locator("mark", has_text="faceprints").is_visible()
    assert "between" in us.locator("td").nth(2).inner_text()
    assert page.locator("tr.presence-no").count() == 2
    page.get_by_label("Which variants say").fill("Irish Data Protection Commission")
    page.get_by_role("button", name="Ask").click()
    page.wait_for_load_state()
    assert page.locator("tr.presence-yes td").first.inner_text() == "EEA · en"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "who-says.png"), full_page=True)


def test_the_archive_pages_load_without_a_console_error(archive, server, page):
    change = us_change(archive)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    for path in ("/", f"/-/variant/{US}", "/-/document/acme/privacy-policy", "/-/search?q=faceprints",
                 f"/-/diff/{change['from_version_id']}/{change['to_version_id']}", f"/-/compare/acme/privacy-policy?a={EEA}&b={US}"):
        page.goto(f"{server}{path}")
        page.wait_for_load_state()
    assert errors == []


def test_datasette_own_pages_keep_their_menu_script(server, page):
    page.goto(f"{server}/archive")
    assert "details.open && details != detailsClickedWithin" in page.content()


def test_no_page_is_wider_than_a_phone(archive, server, browser):
    """At 390 px, a wide table scrolls inside its box and long words wrap: the page itself never scrolls sideways."""
    change = us_change(archive)
    [version] = rows(archive, "select id from versions where variant_id = ? order by first_seen limit 1", [US])
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    wide = {}
    for path in ("/", f"/-/variant/{US}", "/-/document/acme/privacy-policy?term=biometric", "/-/search?q=faceprints",
                 f"/-/version/{version['id']}", f"/-/diff/{change['from_version_id']}/{change['to_version_id']}",
                 f"/-/diff/{change['from_version_id']}/{change['to_version_id']}?layout=side",
                 f"/-/compare/acme/privacy-policy?a={EEA}&b={US}"):
        page.goto(f"{server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    page.screenshot(path=str(SCREENSHOTS / "compare-390.png"), full_page=True)
    context.close()
    assert wide == {}


def test_a_reporter_follows_a_phrase_from_who_says_to_what_the_change_did_to_it(server, page):
    page.goto(f"{server}/-/document/acme/privacy-policy")
    page.get_by_label("Which variants say").fill("User Content")
    page.get_by_role("button", name="Ask").click()
    page.locator("tr.presence-yes").get_by_role("link", name="the change").click()
    page.wait_for_load_state()
    asked = page.locator("nav.asked")
    assert asked.is_visible() and asked.inner_text().startswith("“User Content”: added by this change")
    asked.get_by_role("link", name="1").click()
    mark = page.locator("#term-user-content-1")
    assert mark.inner_text() == "User Content"
    assert mark.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    page.screenshot(path=str(SCREENSHOTS / "asked-phrase-diff.png"))


def test_at_a_phones_width_the_compare_page_stacks_what_only_one_side_says(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server}/-/compare/acme/privacy-policy?a={EEA}&b={US}")
    only_a, only_b = (page.locator(f".clause-gap .only-{side}").bounding_box() for side in "ab")
    context.close()
    assert only_b["y"] >= only_a["y"] + only_a["height"] and only_b["width"] > 300


def test_at_a_phones_width_a_search_hits_snippet_is_read_whole_not_a_column_a_word_wide(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server}/-/search?q=faceprints")
    snippet = page.locator("td.snippet").first
    box, table = snippet.bounding_box(), page.locator("table.cards").first
    inside = table.evaluate("t => t.scrollWidth <= t.clientWidth")
    page.screenshot(path=str(SCREENSHOTS / "search-390.png"), full_page=True)
    context.close()
    assert box["width"] > 300 and box["x"] + box["width"] <= 390 and inside


def test_the_variant_pages_choice_of_versions_to_diff_is_read_whole(server, page):
    page.goto(f"{server}/-/variant/{US}")
    for label in page.locator("form[action='/-/diff'] label").all():
        select, box = label.locator("select").bounding_box(), label.bounding_box()
        assert select["x"] + select["width"] <= box["x"] + box["width"] + 1
