"""The archive's pages for reporters, through Datasette's client, on an archive built by the real
pipeline: two crawls of a local site (the US policy gains a biometric clause, the German one moves
a paragraph) and a Markdown import carrying hostile markup; and, for what citations may claim, an
archive of captures policyarchive did not fetch (a saved file, a WARC, the Wayback Machine)."""

import hashlib
import re
import shutil
import sqlite3
from datetime import datetime, timezone
from xml.etree import ElementTree

import pytest

from fake_wayback import FakeWayback
from helpers import LOREM, PolicySite, crawl, policy_page, policyarchive, rows, write_declaration, write_warc
from crawler.archive.store import Archive
from crawler.declarations.catalog import Catalog, Document, Service, Variant
from crawler.text.classify import Analysis
from crawler.capture.items import Capture
from crawler.common.clock import between
from crawler.web.publish import datasette_app

US, EEA, DE, HOSTILE = ("acme/privacy-policy/us-en", "acme/privacy-policy/eea-en", "acme/privacy-policy/eea-de",
                        "hostile/privacy-policy/us-en")
CLAUSE = "We may collect biometric identifiers such as faceprints and voiceprints from your User Content."
SHARING = "We share information with service providers who help us run the service, such as hosting and payment providers."
GERMAN = [
    "Wir erheben die Daten, die Sie uns bei der Registrierung geben, etwa Ihren Namen, Ihre E-Mail-Adresse und Ihr Geburtsdatum.",
    "Außerdem erheben wir Daten darüber, wie Sie den Dienst nutzen, zum Beispiel welche Inhalte Sie ansehen und wie lange.",
]
CHOICES = [f"Choice {n}: you can change setting number {n} of your account at any time in the app." for n in range(1, 9)]
ATOM = "{http://www.w3.org/2005/Atom}"
PAYLOAD = ("<script>window.pwned=1</script>", '<img src=x onerror="window.pwned=1">', "[click](javascript:window.pwned=1)")
HOSTILE_HTML = (
    "<p>&lt;script&gt;window.pwned=1&lt;/script&gt; is what this service once printed, as text.</p>"
    "<script>window.pwned=1</script><p><img src=x onerror=\"window.pwned=1\" alt=\"a picture\"> "
    "<a href=\"javascript:window.pwned=1\">click</a> to read the rest of our policy.</p>"
)


def page(sections: list[tuple[str, list[str]]], title: str = "Privacy Policy") -> bytes:
    """A policy page with ``<h2>`` sections inside ``article.policy``, and site chrome around it."""
    body = "".join(f"<h2>{heading}</h2>" + "".join(f"<p>{p}</p>" for p in paragraphs) for heading, paragraphs in sections)
    return (f"<html><body><nav>Home · Help</nav><article class='policy'><h1>{title}</h1>{body}</article>"
            f"<footer>footer</footer></body></html>").encode()


def build_archive(folder):
    """archive.db under ``folder``, made by two real crawls of a local site and one real import."""
    site = PolicySite()
    try:
        write_declaration(folder / "policies", "Acme", [
            {"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]},
            {"region": "EEA", "language": "en", "url": site.url("/eea"), "select": ["article.policy"]},
            {"region": "EEA", "language": "de", "url": site.url("/de"), "select": ["article.policy"]},
        ])
        write_declaration(folder / "policies", "Hostile", [
            {"region": "US", "language": "en", "url": site.url("/hostile"), "select": ["article.policy"]},
        ])
        site.set("/us", page([("Information We Collect", [LOREM]), ("How We Share It", [SHARING]), ("Your Choices", CHOICES)]))
        site.set("/eea", page([("Information We Collect", [LOREM, "Our lead supervisory authority is the Irish Data Protection Commission."]),
                               ("How We Share It", [SHARING]), ("Your Choices", CHOICES)]))
        site.set("/de", page([("Welche Daten wir erheben", GERMAN), ("Weitergabe", ["Wir geben Daten an Dienstleister weiter, die uns beim Betrieb helfen."])],
                             title="Datenschutzrichtlinie"))
        site.set("/hostile", page([("Information We Collect", [LOREM]), ("Notice", [HOSTILE_HTML])]))
        crawl(folder / "archive.db", folder / "policies")
        site.set("/us", page([("Information We Collect", [LOREM, CLAUSE]), ("How We Share It", [SHARING]), ("Your Choices", CHOICES)]))
        site.set("/de", page([("Welche Daten wir erheben", GERMAN[::-1]), ("Weitergabe", ["Wir geben Daten an Dienstleister weiter, die uns beim Betrieb helfen."])],
                             title="Datenschutzrichtlinie"))
        crawl(folder / "archive.db", folder / "policies")
    finally:
        site.close()
    imported = folder / "imported"
    imported.mkdir()
    # Dated now, to the microsecond: after the crawls, so it is the variant's latest text, and not in
    # the future, which an import refuses.
    (imported / f"{datetime.now(timezone.utc):%Y-%m-%dT%H-%M-%S.%f}+00-00.md").write_text(
        f"# Privacy Policy\n\n## Information We Collect\n\n{LOREM}\n\n## Notice\n\n" + " ".join(PAYLOAD)
        + " &lt;b&gt;entity-encoded markup&lt;/b&gt; is shown as text too, as is the rest of our policy.\n")
    result = policyarchive("import", str(imported), "--variant", HOSTILE, "--db", str(folder / "archive.db"),
                           "--policies", str(folder / "policies"))
    assert result.returncode == 0, result.stderr
    return folder / "archive.db"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("pages"))


def one(archive, sql, params=()):
    [row] = rows(archive, sql, params)
    return row


@pytest.fixture(scope="module")
def us_change(archive):
    return one(archive, "select * from changes where variant_id = ?", [US])


async def get(archive, path, status=200):
    response = await datasette_app(archive).client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:1000])
    return response


def inside(tag: str, words: str, html: str) -> bool:
    """Whether ``words`` stand inside one ``<ins>`` or ``<del>`` of a diff, whatever Markdown tags wrap them."""
    marks = re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, re.DOTALL)
    return any(words in re.sub(r"<[^>]*>", "", m) for m in marks)


def cells(column: str, html: str) -> list[str]:
    """The cells of a side-by-side diff's ``old`` or ``new`` column."""
    return re.findall(rf'<div class="cell {column}[^"]*">(.*?)</div>', html, re.DOTALL)


def hrefs(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]


@pytest.mark.asyncio
async def test_home_says_what_the_archive_holds_and_has_a_search_box(archive):
    html = (await get(archive, "/")).text
    assert re.search(r"<b>2</b> services", html) and re.search(r"<b>4</b> variants", html)
    last_run = one(archive, "select id, trigger from runs order by id desc limit 1")
    assert 'action="/-/search"' in html and f"Last run #{last_run['id']} ({last_run['trigger']})" in html


@pytest.mark.asyncio
async def test_home_lists_the_latest_change_with_a_link_straight_to_its_diff(archive, us_change):
    html = (await get(archive, "/")).text
    diff = f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}"
    assert diff in hrefs(html)
    followed = (await get(archive, diff)).text
    assert inside("ins", "faceprints", followed)


@pytest.mark.asyncio
async def test_home_lists_every_canned_query_documented_in_metadata(archive):
    html = (await get(archive, "/")).text
    for name in ("recent_changes", "changes_matching", "term_gap", "clause_gap", "first_appearance", "clause_first_appearance", "clause_lineage", "changes_feed", "service_changes_feed"):
        assert f"/archive/{name}" in hrefs(html), name


@pytest.mark.asyncio
async def test_search_finds_the_variant_with_the_term_highlighted_and_links_its_version(archive, us_change):
    html = (await get(archive, "/-/search?q=faceprints")).text
    assert "<mark>faceprints</mark>" in html
    assert f"/-/version/{us_change['to_version_id']}" in hrefs(html)
    assert f"/-/variant/{US}" in hrefs(html) and f"/-/variant/{EEA}" not in hrefs(html)


@pytest.mark.asyncio
async def test_search_lists_changes_that_added_the_term_each_linked_to_its_diff_judging_it(archive, us_change):
    html = (await get(archive, "/-/search?q=voiceprints")).text
    assert f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}?term=voiceprints#asked" in hrefs(html)


@pytest.mark.asyncio
async def test_search_facets_count_variants_and_narrow_the_results(archive):
    html = (await get(archive, "/-/search?q=collect")).text
    assert "/-/search?q=collect&region=EEA" in hrefs(html) and "/-/search?q=collect&language=de" not in hrefs(html)
    narrowed = (await get(archive, "/-/search?q=collect&region=EEA")).text
    assert f"/-/variant/{EEA}" in hrefs(narrowed) and f"/-/variant/{US}" not in hrefs(narrowed)


@pytest.mark.asyncio
async def test_a_search_facet_lists_its_most_common_values_and_says_how_many_more(archive, monkeypatch):
    from crawler.web.plugins import policy_home

    monkeypatch.setattr(policy_home, "FACET_VALUES", 1)
    html = (await get(archive, "/-/search?q=providers")).text  # two US variants, one EEA
    assert 'region=US">US</a> <span class="muted">2</span></li><li class="muted">and 1 more</li>' in html
    assert "region=EEA" not in html


@pytest.mark.asyncio
async def test_search_shows_each_variants_latest_matching_version_and_counts_variants_in_facets(archive, us_change):
    html = (await get(archive, "/-/search?q=providers")).text  # the sharing paragraph: both US versions, the EEA one
    hits = {re.search(r'/-/variant/([^"]+)"', row).group(1): row for row in html.split("<tr>") if "/-/variant/" in row}
    assert f'/-/version/{us_change["to_version_id"]}"' in hits[US] and "2 versions match" in hits[US]
    assert "1 version match" in hits[EEA] and DE not in hits
    assert 'region=US">US</a> <span class="muted">2</span>' in html and 'language=en">en</a> <span class="muted">3</span>' in html


@pytest.mark.asyncio
async def test_a_search_snippet_is_the_clause_that_matches_not_its_neighbours(archive):
    """The snippet is cut from the clause index's paragraph, not from the whole version around it."""
    row = next(r for r in (await get(archive, "/-/search?q=faceprints")).text.split("<tr>") if f"/-/variant/{US}" in r)
    snippet = re.search(r'class="snippet">(.*?)</td>', row, re.DOTALL)[1]
    assert "<mark>faceprints</mark>" in snippet and re.sub(r"<[^>]*>", "", snippet).strip() == CLAUSE


def words(html: str) -> list[str]:
    return re.findall(r"\w+", re.sub(r"<[^>]*>", "", html))


@pytest.mark.asyncio
async def test_a_search_snippet_is_a_sentence_rather_than_the_heading_that_also_has_the_word(archive):
    row = next(r for r in (await get(archive, "/-/search?q=collect")).text.split("<tr>") if f"/-/variant/{US}" in r)
    snippet = re.search(r'class="snippet">(.*?)</td>', row, re.DOTALL)[1]  # "## Information We Collect" comes first
    assert "<mark>collect</mark> information you provide" in snippet and "Information We" not in snippet


@pytest.mark.asyncio
async def test_a_search_whose_words_no_one_clause_holds_shows_a_clause_with_one_of_them(archive, us_change):
    html = (await get(archive, "/-/search?q=faceprints%20providers")).text  # two paragraphs of the new US version
    row = next(r for r in html.split("<tr>") if f"/-/variant/{US}" in r)
    snippet = re.search(r'class="snippet">(.*?)</td>', row, re.DOTALL)[1]
    clauses = [" ".join(words(row["text"])) for row in rows(archive, """select clauses.text from version_clauses
        join clauses on clauses.id = version_clauses.clause_id where version_id = ?""", [us_change["to_version_id"]])]
    assert "<mark>" in snippet and any(" ".join(words(snippet)) in clause for clause in clauses)


@pytest.mark.asyncio
async def test_a_search_for_a_phrase_across_two_clauses_shows_it_from_the_whole_text(archive):
    html = (await get(archive, '/-/search?q="User Content How We Share"')).text  # the end of one clause, a heading
    row = next(r for r in html.split("<tr>") if f"/-/variant/{US}" in r)
    assert re.search(r'class="snippet">.*<mark>User Content\. <strong>How We Share</mark>', row, re.DOTALL)


@pytest.mark.asyncio
async def test_search_pages_through_the_variants_it_found(archive, monkeypatch):
    from crawler.web.plugins import policy_home

    def variants(html):
        return [re.search(r'/-/variant/([^"]+)"', row)[1] for row in html.split("<tr>") if "/-/variant/" in row]

    everyone = variants((await get(archive, "/-/search?q=collect")).text)
    monkeypatch.setattr(policy_home, "HITS", 1)
    seen, path = [], "/-/search?q=collect"
    while path:
        html = (await get(archive, path)).text
        seen += variants(html)
        assert f"Variants {len(seen)}–{len(seen)} of {len(everyone)}" in text_of(html)
        later = re.search(r'<a href="([^"]+)" rel="next">next 1</a>', html)
        path = later and later[1].replace("&amp;", "&")
    assert len(everyone) > 1 and seen == everyone
    assert '/-/search?q=collect&amp;start=1" rel="prev">previous 1</a>' in (await get(archive, "/-/search?q=collect&start=2")).text
    assert f"No variant this far: {len(everyone)} variants match." in (await get(archive, "/-/search?q=collect&start=99")).text
    assert "No variant this far: 1 variant matches." in (await get(archive, "/-/search?q=faceprints&start=99")).text
    assert variants((await get(archive, "/-/search?q=collect&start=x")).text) == everyone[:1]


@pytest.mark.asyncio
async def test_search_says_when_it_shows_only_the_newest_changes_and_where_the_rest_are(archive, us_change, monkeypatch):
    from crawler.web.plugins import policy_home

    assert "Older ones" not in (await get(archive, "/-/search?q=voiceprints")).text
    monkeypatch.setattr(policy_home, "CHANGES", 1)
    table = "/archive/changes_browse?_search=voiceprints&_sort_desc=detected_at"
    assert table in hrefs((await get(archive, "/-/search?q=voiceprints")).text)
    listed = (await get(archive, table.replace("changes_browse", "changes_browse.json") + "&_shape=array")).json()
    assert us_change["id"] in [row["id"] for row in listed]


@pytest.mark.asyncio
async def test_search_looks_at_the_newest_matches_only_and_a_facet_narrows_those(archive, monkeypatch):
    """The bound that keeps a common word as cheap as a rare one holds with a facet chosen too: a
    facet narrows the MATCHES newest matching versions its count counted, and the page says so."""
    from crawler.web.plugins import policy_home

    regions = set(re.findall(r"/-/search\?q=collect&amp;region=(\w+)", (await get(archive, "/-/search?q=collect")).text))
    monkeypatch.setattr(policy_home, "MATCHES", 1)
    html = (await get(archive, "/-/search?q=collect")).text
    counted = set(re.findall(r"/-/search\?q=collect&amp;region=(\w+)", html))
    assert len(counted) == 1 and "1 versions or more match" in text_of(html)
    other = (regions - counted).pop()
    narrowed = (await get(archive, f"/-/search?q=collect&region={other}")).text
    assert "/-/variant/" not in narrowed.split("Changes that added")[0] and "narrowed" in text_of(narrowed)


@pytest.mark.asyncio
async def test_search_escapes_the_text_around_its_highlights(archive):
    html = (await get(archive, "/-/search?q=pwned")).text
    assert "<mark>pwned</mark>" in html
    assert "<script>window" not in html and "&lt;script&gt;window.<mark>pwned</mark>" in html


@pytest.mark.asyncio
async def test_document_page_compares_us_and_eea_in_one_click(archive):
    html = (await get(archive, "/-/document/acme/privacy-policy")).text
    compare = f"/-/compare/acme/privacy-policy?a={EEA}&b={US}"
    assert compare in hrefs(html)
    followed = (await get(archive, compare)).text
    assert any(inside("ins", "faceprints", cell) for cell in cells("new", followed))


@pytest.mark.asyncio
async def test_document_page_s_compare_form_starts_on_its_first_one_click_comparison(archive):
    """Not on the first two variants in order (EEA · de and EEA · en here, and in a real catalog
    often a variant never captured), which a reporter's first click would compare."""
    html = (await get(archive, "/-/document/acme/privacy-policy")).text
    form = html.split('<form class="inline" action="/-/compare/acme/privacy-policy"')[1].split("</form>")[0]
    chosen = re.findall(r'<select name="(\w)">.*?<option value="([^"]+)" selected', form, re.S)
    assert chosen == [("a", EEA), ("b", US)]
    assert f"/-/compare/acme/privacy-policy?a={EEA}&b={US}" in hrefs(html)


@pytest.mark.asyncio
async def test_document_page_lists_its_variants_with_their_current_version(archive, us_change):
    html = (await get(archive, "/-/document/acme/privacy-policy")).text
    for variant in (US, EEA, DE):
        assert f"/-/variant/{variant}" in hrefs(html)
    assert f"/-/version/{us_change['to_version_id']}" in hrefs(html)


@pytest.mark.asyncio
async def test_chart_draws_a_row_per_variant_and_a_mark_per_change(archive):
    response = await get(archive, "/-/document/acme/privacy-policy/chart.svg")
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text
    assert [label for label in ("EEA · de", "EEA · en", "US · en") if label in svg] == ["EEA · de", "EEA · en", "US · en"]
    assert svg.count('class="change"') == 2  # the US clause and the German paragraphs swapped
    html = (await get(archive, "/-/document/acme/privacy-policy")).text
    assert 'src="/-/document/acme/privacy-policy/chart.svg"' in html


@pytest.mark.asyncio
async def test_variant_history_shows_each_change_with_words_terms_and_diff(archive, us_change):
    html = (await get(archive, f"/-/variant/{US}")).text
    assert f"+{us_change['words_added']}" in html and "biometric" in html
    assert f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}" in hrefs(html)
    assert f"/-/version/{us_change['from_version_id']}" in hrefs(html)


@pytest.mark.asyncio
async def test_variant_history_lists_its_captures_and_their_outcomes(archive):
    html = (await get(archive, f"/-/variant/{US}")).text
    captures = rows(archive, "select id, outcome from captures where variant_id = ?", [US])
    assert [c["outcome"] for c in captures] == ["new", "changed"]
    assert re.search(r'outcome-new">new</span> 1', html) and re.search(r'outcome-changed">changed</span> 1', html)


@pytest.mark.asyncio
async def test_variant_history_says_how_much_of_its_page_the_latest_capture_kept(archive):
    html = (await get(archive, f"/-/variant/{US}")).text
    latest = one(archive, "select words, page_words from captures where variant_id = ? order by fetched_at desc limit 1", [US])
    share = round(100 * latest["words"] / latest["page_words"])
    assert f"kept {latest['words']:,} of the {latest['page_words']:,} words the page shows ({share}%)" in html
    assert 0 < share < 100 and f'>{share}%</span>' in html


@pytest.mark.asyncio
async def test_the_diff_form_sends_the_reader_to_the_diffs_permalink(archive, us_change):
    response = await get(archive, f"/-/diff?from={us_change['to_version_id']}&to={us_change['from_version_id']}", status=302)
    assert response.headers["location"] == f"/-/diff/{us_change['to_version_id']}/{us_change['from_version_id']}"


@pytest.mark.asyncio
async def test_version_page_has_permalink_hashes_and_the_captures_provenance(archive, us_change):
    version = one(archive, "select * from versions where id = ?", [us_change["to_version_id"]])
    capture = one(archive, "select * from captures where id = ?", [version["capture_id"]])
    html = (await get(archive, f"/-/version/{version['id']}")).text
    assert f"http://localhost/-/version/{version['id']}" in html
    for value in (version["text_sha256"], capture["body_sha256"], capture["final_url"], capture["renderer"]):
        assert value in html
    assert "Region / egress</dt><dd>US" in html


@pytest.mark.asyncio
async def test_version_page_has_a_citation_block_to_paste(archive, us_change):
    version = one(archive, "select * from versions where id = ?", [us_change["to_version_id"]])
    capture = one(archive, "select * from captures where id = ?", [version["capture_id"]])
    html = (await get(archive, f"/-/version/{version['id']}")).text
    [citation] = re.findall(r'<div class="citation"><pre>(.*?)</pre>', html, re.S)
    when = capture["fetched_at"][:19].replace("T", " ") + " UTC"
    assert f"Captured {when} from {capture['requested_url']}, HTTP 200." in citation
    assert f"SHA-256 of the bytes received: {capture['body_sha256']}" in citation
    assert "Region: US; egress: direct, no proxy; renderer: http." in citation


@pytest.mark.asyncio
async def test_raw_capture_is_a_download_never_a_page(archive, us_change):
    capture = one(archive, "select c.* from captures c join versions v on v.capture_id = c.id where v.id = ?", [us_change["to_version_id"]])
    response = await get(archive, f"/-/capture/{capture['id']}/body")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(response.content).hexdigest() == capture["body_sha256"]


@pytest.mark.asyncio
async def test_diff_marks_added_text_and_folds_what_did_not_change(archive, us_change):
    html = (await get(archive, f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}")).text
    assert inside("ins", "We may collect biometric identifiers", html)
    assert '<details class="folded"><summary>' in html


@pytest.mark.asyncio
async def test_diff_side_by_side_puts_old_and_new_in_their_columns(archive, us_change):
    html = (await get(archive, f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}?layout=side")).text
    assert any(inside("ins", "faceprints", cell) for cell in cells("new", html))
    assert not any("faceprints" in cell for cell in cells("old", html))


@pytest.mark.asyncio
async def test_diff_between_versions_with_no_stored_change_is_computed(archive, us_change):
    html = (await get(archive, f"/-/diff/{us_change['to_version_id']}/{us_change['from_version_id']}")).text
    assert inside("del", "faceprints", html)


@pytest.mark.asyncio
async def test_diff_shows_paragraphs_that_only_moved_as_moved(archive):
    change = one(archive, "select * from changes where variant_id = ?", [DE])
    html = (await get(archive, f"/-/diff/{change['from_version_id']}/{change['to_version_id']}")).text
    assert re.search(r'<ins class="block moved" title="moved, not changed"><p>Außerdem erheben wir', html)
    assert re.search(r'<del class="block moved" title="moved, not changed"><p>Außerdem erheben wir', html)


@pytest.mark.asyncio
async def test_diff_refuses_versions_of_two_variants(archive, us_change):
    eea = one(archive, "select id from versions where variant_id = ?", [EEA])
    await get(archive, f"/-/diff/{eea['id']}/{us_change['to_version_id']}", status=400)


@pytest.mark.asyncio
async def test_compare_shows_the_clause_in_the_us_and_not_in_the_eea(archive):
    html = (await get(archive, f"/-/compare/acme/privacy-policy?a={EEA}&b={US}")).text
    assert any(inside("ins", "faceprints", cell) for cell in cells("new", html))
    assert not any("faceprints" in cell for cell in cells("old", html))
    assert re.search(r"<td>biometric</td><td><span class=\"muted\">absent</span></td>\s*<td>biometric, faceprints, voiceprints</td>", html)


@pytest.mark.asyncio
async def test_compare_at_a_date_uses_the_versions_of_that_date(archive, us_change):
    first = one(archive, "select fetched_at from captures where variant_id = ? order by fetched_at limit 1", [US])["fetched_at"]
    html = (await get(archive, f"/-/compare/acme/privacy-policy?a={EEA}&b={US}&at={first}")).text
    first_us = us_change["from_version_id"]
    assert "faceprints" not in html and f'href="/-/version/{first_us}" title="version {first_us} of the archive">v1</a>' in html
    before = (await get(archive, f"/-/compare/acme/privacy-policy?a={EEA}&b={US}&at=2000-01-01")).text
    assert before.count("no version captured by then") == 2


@pytest.mark.asyncio
async def test_compare_across_languages_aligns_the_texts_by_section(archive):
    html = (await get(archive, f"/-/compare/acme/privacy-policy?a={EEA}&b={DE}")).text
    assert "Side by side, by section" in html
    assert re.search(r'<div class="cell old text"><h4>How We Share It</h4>.*?</div><div class="cell new text"><h4>Weitergabe</h4>', html, re.S)


@pytest.mark.asyncio
async def test_compare_refuses_a_variant_of_another_document(archive):
    await get(archive, f"/-/compare/acme/privacy-policy?a={EEA}&b={HOSTILE}", status=404)


@pytest.mark.asyncio
async def test_recent_changes_query_links_each_change_to_its_diff(archive, us_change):
    changes = (await get(archive, "/archive/recent_changes.json?_shape=array")).json()
    [us] = [c for c in changes if c["region"] == "US" and c["service"] == "Acme"]
    assert us["diff_page"] == f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}"
    html = (await get(archive, "/archive/recent_changes")).text
    assert f'<a href="/-/diff/{us_change["from_version_id"]}/{us_change["to_version_id"]}">' in html


@pytest.mark.asyncio
async def test_changes_matching_query_finds_changes_that_added_a_term(archive):
    found = (await get(archive, "/archive/changes_matching.json?term=biometric&_shape=array")).json()
    assert [(c["region"], "[biometric]" in c["added"]) for c in found] == [("US", True)]
    assert (await get(archive, "/archive/changes_matching.json?term=supervisory&_shape=array")).json() == []


@pytest.mark.asyncio
async def test_term_gap_query_names_the_variants_lacking_a_term_another_has(archive):
    gaps = (await get(archive, "/archive/term_gap.json?term=faceprints&_shape=array")).json()
    assert [(g["lacking_it"], g["present_in"]) for g in gaps] == [(EEA, US)]
    assert gaps[0]["compare_page"] == f"/-/compare/acme/privacy-policy?a={EEA}&b={US}"


@pytest.mark.asyncio
async def test_first_appearance_query_gives_when_a_phrase_first_appeared_per_variant(archive, us_change):
    found = (await get(archive, "/archive/first_appearance.json?phrase=Data+Protection+Commission&_shape=array")).json()
    assert [(f["variant_id"], f["source"]) for f in found] == [(EEA, "crawl")]
    clause = (await get(archive, "/archive/first_appearance.json?phrase=faceprints&_shape=array")).json()
    version = one(archive, "select first_seen from versions where id = ?", [us_change["to_version_id"]])
    assert [(f["variant_id"], f["first_seen"]) for f in clause] == [(US, version["first_seen"])]


@pytest.mark.asyncio
async def test_clause_queries_give_the_clause_holding_a_phrase_and_its_lineage(archive, us_change):
    [found] = (await get(archive, "/archive/clause_first_appearance.json?phrase=faceprints&_shape=array")).json()
    version = one(archive, "select first_seen, last_seen from versions where id = ?", [us_change["to_version_id"]])
    assert (found["variant_id"], found["first_seen"]) == (US, version["first_seen"]) and "faceprints" in found["clause"]
    assert found["lineage"] == f"/archive/clause_lineage?clause={found['clause_id']}"
    lineage = (await get(archive, f"/archive/clause_lineage.json?clause={found['clause_id']}&_shape=array")).json()
    assert [(f["variant_id"], f["first_appeared"]) for f in lineage] == [(US, version["first_seen"])]

@pytest.mark.asyncio
async def test_clause_page_says_when_the_clause_appeared_in_each_variant_with_the_change_that_brought_it(archive, us_change):
    [found] = (await get(archive, "/archive/clause_first_appearance.json?phrase=faceprints&_shape=array")).json()
    html = (await get(archive, f"/-/clause/{found['clause_id']}")).text
    assert f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}" in hrefs(html)
    assert f"/-/variant/{US}" in hrefs(html) and f"/-/variant/{EEA}" not in hrefs(html)
    assert "faceprints" in html


@pytest.mark.asyncio
async def test_compare_page_links_each_clause_only_one_variant_has_to_its_lineage(archive):
    [found] = (await get(archive, "/archive/clause_first_appearance.json?phrase=faceprints&_shape=array")).json()
    html = (await get(archive, f"/-/compare/acme/privacy-policy?a={EEA}&b={US}")).text
    assert f"/-/clause/{found['clause_id']}" in hrefs(html)

@pytest.mark.asyncio
async def test_who_has_it_page_links_each_clause_carrying_the_term_to_its_lineage(archive):
    [found] = (await get(archive, "/archive/clause_first_appearance.json?phrase=faceprints&_shape=array")).json()
    html = (await get(archive, "/-/document/acme/privacy-policy?term=faceprints")).text
    assert f"/-/clause/{found['clause_id']}" in hrefs(html)

@pytest.mark.asyncio
async def test_clause_page_of_an_unknown_clause_is_not_found(archive):
    await get(archive, "/-/clause/999999", status=404)

@pytest.mark.asyncio
async def test_atom_feed_holds_each_change_with_its_added_text(archive, us_change):
    feed = (await get(archive, "/archive/changes_feed.atom")).text
    assert feed.count("<entry>") == 3  # the US clause, the German move, the hostile import
    assert "We may collect biometric identifiers such as faceprints" in feed
    assert f'<link href="/-/diff/{us_change["from_version_id"]}/{us_change["to_version_id"]}"/>' in feed


@pytest.mark.asyncio
async def test_atom_feed_per_service_and_per_watched_term(archive):
    acme = (await get(archive, "/archive/service_changes_feed.atom?service=Acme")).text
    assert acme.count("<entry>") == 2 and "Hostile" not in acme
    biometric = (await get(archive, "/archive/changes_feed.atom?term=biometric")).text
    assert biometric.count("<entry>") == 1 and "faceprints" in biometric


@pytest.mark.asyncio
async def test_atom_feed_with_no_change_is_a_valid_empty_feed(archive, tmp_path):
    empty = tmp_path / "archive.db"
    Archive(empty).close()
    for db, path in ((archive, "/archive/changes_feed.atom?term=nosuchterm"), (empty, "/archive/changes_feed.atom"),
                     (empty, "/archive/service_changes_feed.atom?service=Acme")):
        response = await get(db, path)
        feed = ElementTree.fromstring(response.content)
        assert response.headers["content-type"].startswith("application/xml"), path
        assert feed.findall(f"{ATOM}entry") == [] and feed.find(f"{ATOM}updated").text, path
        assert feed.find(f"{ATOM}title").text.startswith("policyarchive changes"), path


@pytest.mark.asyncio
async def test_browse_views_search_and_facet_on_service_type_region_and_language(archive):
    data = (await get(archive, "/archive/versions_browse.json?_search=faceprints&_facet=region&_facet=document_type")).json()
    assert [r[data["columns"].index("variant_id")] for r in data["rows"]] == [US]
    assert {f["value"] for f in data["facet_results"]["region"]["results"]} == {"US"}
    changes = (await get(archive, "/archive/changes_browse.json?_search=faceprints&_shape=array")).json()
    assert [(c["service"], c["region"], c["language"]) for c in changes] == [("Acme", "US", "en")]


@pytest.mark.asyncio
async def test_hostile_markup_in_a_version_is_shown_as_text(archive):
    imported = one(archive, "select id, text from versions where variant_id = ? order by first_seen desc limit 1", [HOSTILE])
    assert all(p in imported["text"] for p in PAYLOAD)
    for view in ("markdown", "text"):
        html = (await get(archive, f"/-/version/{imported['id']}?view={view}")).text
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html
        assert "<script>window" not in html and "<img src=x" not in html and 'href="javascript:' not in html


@pytest.mark.asyncio
async def test_hostile_markup_in_a_diff_is_shown_as_text(archive):
    change = one(archive, "select * from changes where variant_id = ?", [HOSTILE])
    for layout in ("inline", "side"):
        html = (await get(archive, f"/-/diff/{change['from_version_id']}/{change['to_version_id']}?layout={layout}")).text
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html and "<script>window" not in html and "<img src=x" not in html


@pytest.mark.asyncio
async def test_archive_pages_forbid_scripts_by_content_security_policy(archive, us_change):
    for path in ("/", f"/-/version/{us_change['to_version_id']}", f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}"):
        response = await get(archive, path)
        assert "default-src 'none'" in response.headers["content-security-policy"], path


@pytest.mark.asyncio
async def test_unknown_pages_are_not_found(archive):
    for path in ("/-/version/999999", "/-/variant/acme/privacy-policy/xx-en", "/-/document/acme/terms", "/-/capture/999999/body"):
        await get(archive, path, status=404)


SAVED_URL, EEA_URL, ROW_URL = ("https://acme.example.com/privacy", "https://acme.example.com/eea/privacy",
                               "https://acme.example.com/row/privacy")
ROW = "acme/privacy-policy/row-en"
SAVED_NAME = "2020-08-12T14-41-08+02-00.html"


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory):
    """An archive of captures policyarchive did not fetch: the US policy from a saved file, the EEA
    one from the Wayback Machine, the rest-of-world one from another tool's WARC."""
    tmp = tmp_path_factory.mktemp("elsewhere")
    write_declaration(tmp / "policies", "Acme", [
        {"region": region, "language": "en", "url": url, "select": ["article.policy"]}
        for region, url in (("US", SAVED_URL), ("EEA", EEA_URL), ("ROW", ROW_URL))])
    (tmp / SAVED_NAME).write_bytes(policy_page(LOREM))
    write_warc(tmp / "row.warc.gz", [(ROW_URL, "2021-06-01T00:00:00Z", 200, policy_page(LOREM))])
    db = ("--db", str(tmp / "archive.db"), "--policies", str(tmp / "policies"))
    for path, variant in ((tmp / SAVED_NAME, US), (tmp / "row.warc.gz", ROW)):
        assert policyarchive("import", str(path), "--variant", variant, *db).returncode == 0
    wayback = FakeWayback()
    try:
        wayback.add("20200101000000", EEA_URL, policy_page(LOREM))
        result = policyarchive("backfill", "--variant", EEA, "--wayback-url", wayback.url, "--delay", "0.01", *db)
        assert result.returncode == 0, result.stderr
    finally:
        wayback.close()
    return tmp / "archive.db"


async def citation(db, variant):
    version = one(db, "select id from versions where variant_id = ?", [variant])
    html = (await get(db, f"/-/version/{version['id']}")).text
    [text] = re.findall(r'<div class="citation"><pre>(.*?)</pre>', html, re.S)
    return text


@pytest.mark.asyncio
async def test_a_saved_files_citation_says_it_was_imported_and_claims_no_url_region_or_egress(elsewhere):
    text = await citation(elsewhere, US)
    assert (f"Imported from a saved file ({SAVED_NAME}), dated 2020-08-12 12:41:08 UTC by its name; "
            "not fetched by policyarchive; original URL not recorded.") in text
    assert SAVED_URL not in text and "egress: direct" not in text and "Region: US" not in text


@pytest.mark.asyncio
async def test_a_wayback_captures_citation_names_the_memento_and_the_original_url_and_no_egress(elsewhere):
    capture = one(elsewhere, "select memento_url from captures where variant_id = ?", [EEA])
    text = await citation(elsewhere, EEA)
    assert (f"From the Wayback Machine: {capture['memento_url']}, its capture of {EEA_URL} at 2020-01-01 00:00:00 UTC, "
            "HTTP 200; not fetched by policyarchive.") in text
    assert "egress: direct" not in text


@pytest.mark.asyncio
async def test_a_warc_records_citation_names_the_file_and_the_records_own_url(elsewhere):
    text = await citation(elsewhere, ROW)
    assert (f"Imported from a WARC file (row.warc.gz): its record of {ROW_URL}, dated 2021-06-01 00:00:00 UTC, HTTP 200; "
            "not fetched by policyarchive.") in text
    assert "egress: direct" not in text and "Region: ROW" not in text


@pytest.mark.asyncio
async def test_an_import_recorded_before_with_the_declared_url_region_and_language_is_cited_from_its_source(elsewhere, tmp_path):
    shutil.copy(elsewhere, tmp_path / "old.db")
    with sqlite3.connect(tmp_path / "old.db") as db:  # as imports wrote saved files before
        db.execute("update captures set requested_url = ?, region = 'US', language = 'en' where variant_id = ?", [SAVED_URL, US])
    text = await citation(tmp_path / "old.db", US)
    assert f"Imported from a saved file ({SAVED_NAME})" in text and "original URL not recorded" in text
    assert SAVED_URL not in text and "Region: US" not in text and "egress: direct" not in text


@pytest.mark.asyncio
async def test_variant_pages_give_captures_policyarchive_did_not_fetch_no_region_or_egress(elsewhere):
    for variant, said in ((US, "none (imported)"), (ROW, "none (imported)"), (EEA, "none (Wayback Machine)")):
        html = (await get(elsewhere, f"/-/variant/{variant}")).text
        assert f"<td>{said}</td>" in html and " / direct" not in html, variant


# An archive where a banner makes the EEA policy flip between two texts, as TikTok's did in 2026.
FLIP_EEA, FLIP_US = (Variant(id=f"flip/privacy-policy/{region.lower()}-en", document_id="flip/privacy-policy", service="Flip",
                             document_type="privacy-policy", region=region, language="en", url=f"https://flip.example.com/{region}")
                     for region in ("EEA", "US"))
FLIP_CATALOG = Catalog(services=(Service("Flip", "flip", "flip.yml", (
    Document("flip/privacy-policy", "Flip", "privacy-policy", "Flip privacy", (FLIP_EEA, FLIP_US)),)),))
BANNER = "You are visiting from the European Economic Area: read the notice for your region."


@pytest.fixture(scope="module")
def flipping(tmp_path_factory):
    """The EEA variant: a first text, a real change (a new clause), then five flips as a banner comes and goes,
    with a change of the US variant recorded in the middle of them."""
    path = tmp_path_factory.mktemp("flipping") / "archive.db"
    archive = Archive(path)
    archive.sync_catalog(FLIP_CATALOG)

    def record(variant, day, text):
        archive.record(Capture(variant_id=variant.id, requested_url=variant.url, fetched_at=f"2026-05-{day:02}T00:00:00Z",
                               status=200, body=text.encode()), Analysis("ok", text))

    record(FLIP_US, 1, LOREM)
    record(FLIP_EEA, 1, LOREM)
    record(FLIP_EEA, 2, f"{LOREM} {CLAUSE}")
    for day in range(3, 8):
        record(FLIP_EEA, day, f"{LOREM} {CLAUSE}" + (f" {BANNER}" if day % 2 else ""))
        if day == 5:
            record(FLIP_US, day, f"{LOREM} {SHARING}")
    archive.close()
    return path


def version_of(db, variant, text_end):
    return one(db, "select id from versions where variant_id = ? and text like ?", [variant.id, f"%{text_end}"])["id"]


def number_of(db, version_id):
    """A version's number in its variant: its place among the variant's versions by first seen."""
    return one(db, """select count(*) as n from versions v, versions this where this.id = ? and v.variant_id = this.variant_id
                      and (v.first_seen < this.first_seen or (v.first_seen = this.first_seen and v.id <= this.id))""",
               [version_id])["n"]


def folded_row(db):
    """What the alternation's one row says, and the links it must carry: the two versions and their diff."""
    without, with_banner = version_of(db, FLIP_EEA, CLAUSE), version_of(db, FLIP_EEA, BANNER)
    older, newer = sorted((without, with_banner))
    said = (f"alternating between v{number_of(db, older)} and v{number_of(db, newer)}: 5 changes from 2026-05-03 to 2026-05-07 "
            "(a region-dependent banner, or similar)")
    return said, [f"/-/version/{older}", f"/-/version/{newer}", f"/-/diff/{older}/{newer}"]


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


async def assert_folded_once_beside_real_changes(db, path, real=((FLIP_EEA, 2), (FLIP_US, 5))):
    """The page shows the alternation once, no flip of it on its own, and each real change (variant, day) linked to its diff."""
    html = (await get(db, path)).text
    said, links = folded_row(db)
    assert text_of(html).count(said) == 1
    assert set(links) <= set(hrefs(html))
    assert "back to an earlier text" not in html
    for variant, day in real:
        change = one(db, "select from_version_id, to_version_id from changes where variant_id = ? and detected_at like ?",
                     [variant.id, f"2026-05-{day:02}%"])
        assert f"/-/diff/{change['from_version_id']}/{change['to_version_id']}" in hrefs(html)
    return html


@pytest.mark.asyncio
async def test_home_shows_a_flip_flop_between_two_versions_as_one_row_and_other_changes_as_before(flipping):
    html = await assert_folded_once_beside_real_changes(flipping, "/")
    assert len(re.findall(r"<li>", html.split("<h2>Recent changes</h2>")[1].split("</ul>")[0])) == 3


@pytest.mark.asyncio
async def test_document_page_shows_a_flip_flop_between_two_versions_as_one_row_and_other_changes_as_before(flipping):
    await assert_folded_once_beside_real_changes(flipping, "/-/document/flip/privacy-policy")


@pytest.mark.asyncio
async def test_variant_page_shows_a_flip_flop_as_one_row_and_still_counts_every_change(flipping):
    html = await assert_folded_once_beside_real_changes(flipping, f"/-/variant/{FLIP_EEA.id}", real=[(FLIP_EEA, 2)])
    assert "6 changes." in text_of(html)


def first_capture(archive, variant):
    return one(archive, "select min(fetched_at) as t from captures where variant_id = ?", [variant])["t"]


@pytest.mark.asyncio
async def test_who_says_a_term_answers_per_declared_variant_with_its_window_and_clause(archive, us_change):
    html = text_of((await get(archive, "/-/document/acme/privacy-policy?term=biometric")).text)
    first_with = one(archive, "select detected_at from changes where id = ?", [us_change["id"]])["detected_at"]
    window = between(first_capture(archive, US), first_with)
    assert f"US · en yes as of {first_with[:10]} {window} · the change — {CLAUSE}" in html
    assert "EEA · en no as of" in html and "EEA · de no as of" in html


@pytest.mark.asyncio
async def test_a_phrase_typed_in_is_judged_on_the_change_its_who_says_row_leads_to(archive, us_change):
    """"the change" keeps the reader's phrase: the diff says what the change did to it, and its jump links reach its marks."""
    who = (await get(archive, "/-/document/acme/privacy-policy?term=User%20Content")).text
    link = f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}?term=User%20Content#asked"
    assert link in hrefs(who)
    html = (await get(archive, link.split("#")[0])).text
    asked = text_of(re.search(r'<nav class="jump asked".*?</nav>', html, re.DOTALL)[0]).strip()
    assert asked == "“User Content”: added by this change · jump to 1"
    assert re.search(r'<mark class="term" id="term-user-content-1" title="the phrase asked about: User Content">User Content</mark>', html)


@pytest.mark.asyncio
async def test_who_says_a_term_never_reads_a_variant_without_captures_as_no(tmp_path):
    db = tmp_path / "archive.db"
    archive = Archive(db)
    us = Variant(id=US, document_id="acme/privacy-policy", service="Acme", document_type="privacy-policy",
                 region="US", language="en", url="https://acme.example/us")
    uk = Variant(id="acme/privacy-policy/uk-en", document_id="acme/privacy-policy", service="Acme",
                 document_type="privacy-policy", region="UK", language="en", url="https://acme.example/uk")
    archive.sync_catalog(Catalog(services=(Service("Acme", "acme", "acme.yml", (
        Document("acme/privacy-policy", "Acme", "privacy-policy", "Acme privacy", (us, uk)),)),)))
    archive.record(Capture(variant_id=US, requested_url=us.url, fetched_at="2021-06-02T00:00:00.000000Z", status=200, body=b"x"),
                   Analysis("ok", f"{LOREM}\n\n{CLAUSE}"))
    archive.close()
    html = text_of((await get(db, "/-/document/acme/privacy-policy?term=faceprints")).text)
    assert "UK · en unknown never captured" in html
    assert "US · en yes as of 2021-06-02 since the first capture, 2021-06-02" in html


@pytest.mark.asyncio
async def test_the_document_page_offers_no_comparison_with_a_variant_never_captured(tmp_path):
    db = tmp_path / "archive.db"
    archive = Archive(db)
    variants = tuple(Variant(id=f"acme/privacy-policy/{region.lower()}-en", document_id="acme/privacy-policy", service="Acme",
                             document_type="privacy-policy", region=region, language="en", url=f"https://acme.example/{region}")
                     for region in ("EEA", "UK", "US"))
    archive.sync_catalog(Catalog(services=(Service("Acme", "acme", "acme.yml", (
        Document("acme/privacy-policy", "Acme", "privacy-policy", "Acme privacy", variants),)),)))
    for variant in (EEA, US):
        archive.record(Capture(variant_id=variant, requested_url="https://acme.example/", fetched_at="2021-06-02T00:00:00.000000Z",
                               status=200, body=variant.encode()), Analysis("ok", f"{LOREM}\n\n{variant}"))
    archive.close()
    compare = [h for h in hrefs((await get(db, "/-/document/acme/privacy-policy")).text) if h.startswith("/-/compare/")]
    assert compare == [f"/-/compare/acme/privacy-policy?a={EEA}&b={US}"]


@pytest.mark.asyncio
async def test_the_captures_table_leaves_out_the_columns_no_capture_fills(archive, tmp_path):
    def headers(html):
        return re.findall(r"<th[^>]*>([^<]+)</th>", html.split("<h2>Captures</h2>")[1])

    imported = us_history(tmp_path, {"2021-05-30T00:00:00.000000Z": LOREM})
    assert headers((await get(imported, f"/-/variant/{US}")).text) == [
        "Fetched (UTC)", "Outcome", "Status", "Version", "Region / egress", "Renderer", "Source"]
    assert "Kept" in headers((await get(archive, f"/-/variant/{US}")).text)


@pytest.mark.asyncio
async def test_a_variant_never_captured_says_so_instead_of_showing_empty_tables(tmp_path):
    db = us_history(tmp_path, {})
    html = (await get(db, f"/-/variant/{US}")).text
    assert "Never captured" in text_of(html) and "unknown" in text_of(html)
    assert "<table" not in html


@pytest.mark.asyncio
async def test_the_document_variant_home_and_search_pages_lead_to_who_says_it(archive):
    who = "/-/document/acme/privacy-policy"
    assert f'action="{who}"' in (await get(archive, "/-/document/acme/privacy-policy")).text
    assert f'action="{who}"' in (await get(archive, f"/-/variant/{US}")).text
    assert f"{who}?term=biometric#who-has" in hrefs((await get(archive, "/")).text)
    assert f"{who}?term=faceprints#who-has" in hrefs((await get(archive, "/-/search?q=faceprints")).text)


@pytest.mark.asyncio
async def test_a_change_is_dated_by_its_window_on_the_variant_document_home_and_diff_pages(archive, us_change):
    window = between(first_capture(archive, US), us_change["detected_at"])
    for path in (f"/-/variant/{US}", "/-/document/acme/privacy-policy", "/",
                 f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}"):
        assert window in text_of((await get(archive, path)).text), path


def us_history(tmp_path, texts: dict[str, str]):
    """An archive of one US variant whose captures, at the given times, read the given texts."""
    db = tmp_path / "archive.db"
    archive = Archive(db)
    archive.sync_catalog(Catalog(services=(Service("Acme", "acme", "acme.yml", (Document(
        "acme/privacy-policy", "Acme", "privacy-policy", "Acme privacy", (Variant(
            id=US, document_id="acme/privacy-policy", service="Acme", document_type="privacy-policy", region="US",
            language="en", url="https://acme.example/us"),)),)),)))
    for when, text in texts.items():
        archive.record(Capture(variant_id=US, requested_url="https://acme.example/us", fetched_at=when,
                               status=200, body=when.encode()), Analysis("ok", text))
    archive.close()
    return db


@pytest.mark.asyncio
async def test_a_window_within_one_day_is_told_by_its_hours(tmp_path):
    db = us_history(tmp_path, {"2021-06-02T09:12:00.000000Z": LOREM, "2021-06-02T14:30:00.000000Z": f"{LOREM}\n\n{CLAUSE}"})
    for path in (f"/-/variant/{US}", "/", "/archive/changes_feed.atom"):
        html = text_of((await get(db, path)).text)
        assert "on 2021-06-02, between 09:12 and 14:30 UTC" in html, path
        assert "between 2021-06-02 and 2021-06-02" not in html, path


@pytest.mark.asyncio
async def test_a_window_within_one_minute_is_told_by_its_seconds(tmp_path):
    """Two crawls a few seconds apart (the demo's) are not dated "between 03:08 and 03:08 UTC"."""
    db = us_history(tmp_path, {"2026-12-06T03:08:20.000000Z": LOREM, "2026-12-06T03:08:33.000000Z": f"{LOREM}\n\n{CLAUSE}"})
    for path in (f"/-/variant/{US}", "/"):
        html = text_of((await get(db, path)).text)
        assert "on 2026-12-06, between 03:08:20 and 03:08:33 UTC" in html, path


def fail_latest(db, when: str) -> None:
    """A crawl run at ``when`` whose one capture of the US variant is an HTTP 404."""
    archive = Archive(db)
    run = archive.start_run("cli")
    archive.record(Capture(variant_id=US, requested_url="https://acme.example/us", fetched_at=when, status=404, body=b"gone"),
                   Analysis("http-error", detail="HTTP 404"), run_id=run)
    archive.end_run(run, "finished", exit_code=3)
    archive.close()


@pytest.mark.asyncio
async def test_a_variant_whose_latest_capture_failed_says_so_and_since_when_its_text_is_unknown(tmp_path):
    db = us_history(tmp_path, {"2021-05-01T00:00:00.000000Z": LOREM, "2021-05-30T14:04:40.000000Z": LOREM})
    fail_latest(db, "2026-12-06T03:10:33.000000Z")
    html = text_of((await get(db, f"/-/variant/{US}")).text)
    assert ("The latest capture failed: 2026-12-06 03:10:33 UTC, http-error (HTTP 404). The last readable capture "
            "was 2021-05-30 14:04:40 UTC: what the page has said since is unknown.") in html


@pytest.mark.asyncio
async def test_a_variant_whose_latest_capture_was_read_says_nothing_failed(tmp_path):
    db = us_history(tmp_path, {"2021-05-01T00:00:00.000000Z": LOREM})
    fail_latest(db, "2021-05-02T00:00:00.000000Z")
    archive = Archive(db)
    archive.record(Capture(variant_id=US, requested_url="https://acme.example/us", fetched_at="2021-05-03T00:00:00.000000Z",
                           status=200, body=b"again"), Analysis("ok", LOREM))
    archive.close()
    assert "The latest capture failed" not in (await get(db, f"/-/variant/{US}")).text


@pytest.mark.asyncio
async def test_a_variant_only_ever_captured_in_failure_is_unknown_but_not_never_captured(tmp_path):
    db = us_history(tmp_path, {})
    fail_latest(db, "2026-12-06T03:10:33.000000Z")
    who_says = text_of((await get(db, "/-/document/acme/privacy-policy?term=biometric")).text.split('id="who-has"')[1])
    assert "US · en unknown never captured successfully" in who_says
    variant = text_of((await get(db, f"/-/variant/{US}")).text)
    assert "The latest capture failed: 2026-12-06 03:10:33 UTC, http-error (HTTP 404). No capture has been readable yet" in variant


@pytest.mark.asyncio
async def test_compare_with_a_variant_never_captured_says_none_yet_or_none_by_the_date_asked(tmp_path):
    db = us_history(tmp_path, {"2021-05-01T00:00:00.000000Z": LOREM})
    archive = Archive(db)
    archive.sync_catalog(Catalog(services=(Service("Acme", "acme", "acme.yml", (Document(
        "acme/privacy-policy", "Acme", "privacy-policy", "Acme privacy", tuple(Variant(
            id=variant, document_id="acme/privacy-policy", service="Acme", document_type="privacy-policy", region=region,
            language="en", url=f"https://acme.example/{region.lower()}") for variant, region in ((US, "US"), (EEA, "EEA")))),)),)))
    archive.close()
    latest = text_of((await get(db, f"/-/compare/acme/privacy-policy?a={US}&b={EEA}")).text)
    assert "EEA · en: no version captured yet" in latest
    dated = text_of((await get(db, f"/-/compare/acme/privacy-policy?a={US}&b={EEA}&at=2021-06-03")).text)
    assert "EEA · en: no version captured by then" in dated


@pytest.mark.asyncio
async def test_home_counts_the_last_runs_failures_not_only_what_it_read(tmp_path):
    db = us_history(tmp_path, {"2021-05-01T00:00:00.000000Z": LOREM})
    fail_latest(db, "2026-12-06T03:10:33.000000Z")
    html = text_of((await get(db, "/")).text)
    assert "finished; 1 attempted: 1 http-error." in html and "0 new" not in html


@pytest.mark.asyncio
async def test_a_window_of_more_than_a_week_says_the_archive_did_not_look(tmp_path):
    db = us_history(tmp_path, {"2021-05-30T00:00:00.000000Z": LOREM, "2025-09-13T00:00:00.000000Z": f"{LOREM}\n\n{CLAUSE}"})
    timeline = text_of((await get(db, f"/-/variant/{US}")).text)
    who_says = text_of((await get(db, "/-/document/acme/privacy-policy?term=biometric")).text.split('id="who-has"')[1].split("</section>")[0])
    for html in (timeline, who_says):
        assert "between 2021-05-30 and 2025-09-13 no capture for 1567 days before it" in html


@pytest.mark.asyncio
async def test_a_text_the_variant_came_back_to_is_never_cited_as_seen_unchanged_across_the_other(tmp_path):
    db = us_history(tmp_path, {"2026-01-23T01:00:00.000000Z": LOREM, "2026-01-25T13:00:00.000000Z": f"{LOREM}\n\n{CLAUSE}",
                               "2026-01-26T01:00:00.000000Z": LOREM})
    [first] = rows(db, "select id from versions order by first_seen limit 1")
    html = text_of((await get(db, f"/-/version/{first['id']}")).text)
    assert "Seen from 2026-01-23 01:00:00 UTC to 2026-01-26 01:00:00 UTC, not throughout: the variant read v2 on 2026-01-25" in html
    assert "other texts were captured between (v2 on 2026-01-25)" in html and "seen unchanged" not in html


@pytest.mark.asyncio
async def test_a_clause_page_says_whether_the_clause_still_stands_and_counts_its_words_in_english(tmp_path):
    gone = "We sold your data to brokers until this year."
    db = us_history(tmp_path, {"2026-01-23T01:00:00.000000Z": f"Hello\n\n{gone}\n\n{LOREM}", "2026-02-23T01:00:00.000000Z": f"Hello\n\n{LOREM}"})
    ids = {r["text"]: r["id"] for r in rows(db, "select id, text from clauses")}
    hello = text_of((await get(db, f"/-/clause/{ids['Hello']}")).text)
    assert "1 word ·" in hello and "still there at the latest capture, 2026-02-23 01:00:00 UTC" in hello
    assert "still there" not in text_of((await get(db, f"/-/clause/{ids[gone]}")).text)


@pytest.mark.asyncio
async def test_versions_are_numbered_within_their_variant(archive, us_change):
    html = (await get(archive, f"/-/variant/{US}")).text
    new = us_change["to_version_id"]
    assert f'href="/-/version/{new}" title="version {new} of the archive">v2</a>' in html
    version = text_of((await get(archive, f"/-/version/{new}")).text)
    assert f"version 2 of this variant (archive version {new})" in version


@pytest.mark.asyncio
async def test_permalinks_and_citations_use_the_public_address_the_archive_is_published_at(archive, us_change):
    app = datasette_app(archive, base_url="https://archive.example.org/")
    html = (await app.client.get(f"/-/version/{us_change['to_version_id']}")).text
    assert f"Permalink: https://archive.example.org/-/version/{us_change['to_version_id']}" in html
    assert "http://localhost" not in html


@pytest.mark.asyncio
async def test_feed_entries_link_to_the_public_address_the_archive_is_published_at(archive, us_change):
    client = datasette_app(archive, base_url="https://archive.example.org/").client
    diff = f"https://archive.example.org/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}"
    for feed, link in (("changes_feed.atom?term=biometric", f"{diff}?term=biometric#asked"), ("service_changes_feed.atom?service=Acme", diff)):
        atom = ElementTree.fromstring((await client.get(f"/archive/{feed}")).text)
        assert link in [e.find(f"{ATOM}link").get("href") for e in atom.iter(f"{ATOM}entry")], feed


@pytest.mark.asyncio
async def test_a_document_and_a_variant_have_feeds_whose_entries_say_what_changed_and_when(archive, us_change):
    window = between(first_capture(archive, US), us_change["detected_at"])
    for page_path, feed in (("/-/document/acme/privacy-policy", "document=acme%2Fprivacy-policy"), (f"/-/variant/{US}", f"variant={US.replace('/', '%2F')}")):
        html = (await get(archive, page_path)).text
        assert '<link rel="alternate" type="application/atom+xml"' in html and f"/archive/changes_feed.atom?{feed}" in html
        atom = ElementTree.fromstring((await get(archive, f"/archive/changes_feed.atom?{feed}")).text)
        titles = [e.findtext(f"{ATOM}title") for e in atom.iter(f"{ATOM}entry")]
        assert f"Acme privacy-policy (US, en): 'biometric' added, {window}" in titles, page_path
        assert len(titles) == (2 if "document" in feed else 1)  # the document's German text changed too
        assert atom.findtext(f"{ATOM}title") == f"policyarchive changes: {feed.split('=')[0]} '{feed.split('=')[1].replace('%2F', '/')}'"


@pytest.mark.asyncio
async def test_the_feed_of_the_whole_archive_keeps_its_name_and_a_terms_feed_is_named_by_its_term(archive):
    whole = ElementTree.fromstring((await get(archive, "/archive/changes_feed.atom")).text)
    assert whole.findtext(f"{ATOM}title") == "policyarchive changes"
    term = ElementTree.fromstring((await get(archive, "/archive/changes_feed.atom?term=biometric&service=Acme")).text)
    assert term.findtext(f"{ATOM}title") == "policyarchive changes: term 'biometric' and service 'Acme'"
    assert len(list(term.iter(f"{ATOM}entry"))) == 1


@pytest.mark.asyncio
async def test_a_feed_for_a_phrase_says_what_each_change_did_to_it_and_links_to_its_diff_judging_it(archive, us_change):
    window = between(first_capture(archive, US), us_change["detected_at"])
    atom = ElementTree.fromstring((await get(archive, "/archive/changes_feed.atom?term=User%20Content")).text)
    [entry] = atom.iter(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == f"Acme privacy-policy (US, en): 'User Content' added, {window}"
    assert entry.find(f"{ATOM}link").get("href") == (
        f"/-/diff/{us_change['from_version_id']}/{us_change['to_version_id']}?term=User%20Content#asked")


@pytest.mark.asyncio
async def test_a_feed_for_a_term_no_change_matches_says_so(archive):
    atom = ElementTree.fromstring((await get(archive, "/archive/changes_feed.atom?term=zeppelin")).text)
    assert atom.findtext(f"{ATOM}title") == "policyarchive changes: no change matches term 'zeppelin' yet"
    assert list(atom.iter(f"{ATOM}entry")) == []


@pytest.mark.asyncio
async def test_compare_says_first_which_clauses_one_variant_has_and_the_other_lacks(archive):
    html = (await get(archive, f"/-/compare/acme/privacy-policy?a={EEA}&b={US}")).text
    only_eea, only_us = html.split("Only in US · en")[0].split("Only in EEA · en")[1], html.split("Only in US · en")[1].split("Watched terms")[0]
    assert "Irish Data Protection Commission" in only_eea and "faceprints" not in only_eea
    assert "faceprints and voiceprints" in only_us and '<span title="watched term">biometric</span>' in only_us
    assert html.index("What one says and the other does not") < html.index("Word by word")


def snippets(html: str) -> list[str]:
    return re.findall(r'class="snippet">(.*?)</(?:td|span)>', html, re.DOTALL)


@pytest.mark.asyncio
async def test_a_search_snippet_shows_the_words_not_the_markdown(archive):
    html = (await get(archive, "/-/search?q=notice")).text
    found = [s for s in snippets(html) if "<mark>" in s]
    assert found and all("Notice" in re.sub(r"<[^>]*>", "", s) for s in found)
    assert not any(re.search(r"#|\*\*|\]\(", re.sub(r"<[^>]*>", "", s)) for s in found)


def test_the_words_a_change_added_show_no_emphasis_markup_its_cuts_left_behind():
    """A change's added text is pieces of Markdown cut anywhere (TikTok's "_Last updated: January 22,\n2026_"):
    the home page's line and the feed entry show the words, not the underscores and asterisks cut off."""
    from crawler.web.plugins.policy_filters import fragment_markdown, plain

    pieces = "January 22\n\n2026_\n\n** Children_**\n\nwho use the user_id field"
    assert plain(pieces) == "January 22 2026 Children who use the user_id field"
    assert re.sub(r"<[^>]*>", "", str(fragment_markdown(pieces))).split() == plain(pieces).split()


@pytest.mark.asyncio
async def test_a_feed_entry_holds_its_change_typeset_with_hostile_markup_as_text(archive):
    feed = ElementTree.fromstring((await get(archive, "/archive/changes_feed.atom")).content)
    contents = [e.find(f"{ATOM}content") for e in feed.iter(f"{ATOM}entry")]
    assert all(c.get("type") == "html" for c in contents)
    html = "".join(c.text for c in contents)
    assert "<p>We may collect biometric identifiers such as faceprints" in html
    assert "<h3>Added</h3>" in html and "<script" not in html and 'href="javascript' not in html
    assert not re.search(r"##|\]\(https?:", re.sub(r"<[^>]*>", "", html))
