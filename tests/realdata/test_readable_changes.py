"""Readable changes on TikTok's real US privacy policy history: its rewrite of 2025-09 typeset,
its moved-and-reworded clauses paired, its watched terms judged and reachable from the top."""

import re

import pytest
from playwright.sync_api import sync_playwright

from helpers import PROJECT, policyarchive, rows, serving
from crawler.web.publish import datasette_app

pytestmark = pytest.mark.realdata
US = "tiktok/privacy-policy/us-en"


@pytest.fixture(scope="module")
def us(tmp_path_factory, realdata):
    db = tmp_path_factory.mktemp("readable") / "archive.db"
    result = policyarchive("import", str(realdata / "ota-vlopses-us-versions/TikTok/Privacy Policy"), "--variant", US,
                           "--db", str(db), "--no-screenshots")
    assert result.returncode == 0, result.stderr[-2000:]
    return db


def biometric_change(db) -> str:
    """The largest change of the US text that touches the biometric clauses (2025-09, a rewrite)."""
    [change] = rows(db, """select from_version_id, to_version_id from changes where variant_id = ?
                           and id in (select change_id from change_terms where term = 'biometric')
                           order by words_added desc limit 1""", [US])
    return f"/-/diff/{change['from_version_id']}/{change['to_version_id']}"


async def diff_html(db, layout="inline") -> str:
    response = await datasette_app(db).client.get(f"{biometric_change(db)}?layout={layout}")
    assert response.status_code == 200
    return response.text


def typeset(html: str) -> str:
    """The page's diff as a reader sees it, without the lines shown as Markdown source on purpose."""
    body = re.search(r'<div class="(?:diff|sbs)">(.*)</div>\s*</div>', html, re.DOTALL)[1]
    return re.sub(r"<[^>]*>", "", re.sub(r'<p class="source".*?</p>', "", body, flags=re.DOTALL))


@pytest.mark.asyncio
@pytest.mark.parametrize("layout", ["inline", "side"])
async def test_the_diff_shows_no_raw_heading_or_emphasis_markup(us, layout):
    text = typeset(await diff_html(us, layout))
    assert "###" not in text and "**" not in text


@pytest.mark.asyncio
async def test_each_watched_term_is_judged_and_its_jump_links_reach_marks_that_exist(us):
    html = await diff_html(us)
    jump = re.search(r'<nav class="jump".*?</nav>', html, re.DOTALL)[0]
    assert "biometric: reworded" in jump
    targets = re.findall(r'href="#([^"]+)"', jump)
    assert targets and set(targets) <= set(re.findall(r'id="([^"]+)"', html))
    assert all(re.search(rf'<mark class="term" id="{t}"', html) for t in targets)


@pytest.mark.asyncio
async def test_a_clause_moved_and_reworded_is_shown_with_its_old_wording_and_both_places_linked(us):
    html = await diff_html(us)
    pairs = re.findall(r'<section class="pair" id="(moved-to-\d+)">(.*?)</section>', html, re.DOTALL)
    assert pairs
    ids = set(re.findall(r'id="([^"]+)"', html))
    for anchor, body in pairs:
        assert re.search(r"<(ins|del)>", body)
        assert re.search(r'href="#(moved-from-\d+)"', body)[1] in ids
        assert f'href="#{anchor}"' in html


@pytest.mark.browser
def test_a_reader_jumps_from_the_top_of_a_real_diff_to_the_biometric_change(us):
    with serving(us) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + biometric_change(us))
        (PROJECT / "tests" / "screenshots").mkdir(exist_ok=True)
        page.screenshot(path=str(PROJECT / "tests" / "screenshots" / "readable-diff.png"))
        page.locator(".jump a[href='#term-biometric-1']").click()
        mark = page.locator("#term-biometric-1")
        mark.wait_for(state="visible")
        assert mark.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
        assert page.locator(".diff h4, .diff h5").count() > 0
        assert page.locator(".pair").first.is_visible()
        browser.close()


@pytest.mark.asyncio
async def test_no_real_diff_typesets_a_link_or_a_drawn_rule_as_markdown(us):
    """Every change of the US history: links (in-page anchors too) and rules drawn with asterisks are typeset,
    a changed target written out; only the lines shown as their source on purpose show ``[words](target)``."""
    client = datasette_app(us).client
    targets_written = 0
    for change in rows(us, "select from_version_id, to_version_id from changes where variant_id = ?", [US]):
        response = await client.get(f"/-/diff/{change['from_version_id']}/{change['to_version_id']}")
        text = typeset(response.text)
        assert "](" not in text and "*****" not in text, change
        assert not re.search(r'href="#(?!term-|moved-|terms\b)', response.text), change
        targets_written += response.text.count('<code class="link-target"')
    assert targets_written >= 5
