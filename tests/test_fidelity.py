"""What must never become a version: bot walls, sign-in redirects, wrong languages, collapsed texts;
and what a change must say: the watched terms it touches."""

import pytest

from crawler.archive.store import Archive
from crawler.declarations.catalog import Rules
from crawler.text.classify import SAMPLE, Analysis, analyse, detect_language
from helpers import GERMAN, LOREM, Route, crawl, policy_page, rows, write_declaration
from test_archive import CATALOG, capture

CHALLENGE = b"""<html><head><title>Just a moment...</title></head><body>
<div id="challenge-platform"><p>Checking your browser before accessing the site.</p></div></body></html>"""
CONSENT = b"""<html><head><title>Before you continue</title></head><body><form action="https://consent.google.com/save">
<p>We use cookies and data to deliver and maintain services.</p><button>Accept all</button></form></body></html>"""


def crawl_once(tmp_path, site, route, language="en"):
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": language, "url": site.url("/p"), "select": ["article.policy"]}])
    site.set("/p", route)
    crawl(tmp_path / "a.db", tmp_path / "policies")
    return rows(tmp_path / "a.db", "select outcome, detail, detected_language from captures order by id")


@pytest.mark.parametrize("route", [Route(status=503, body=CHALLENGE), Route(body=CHALLENGE), Route(body=CONSENT)],
                         ids=["challenge-503", "challenge-200", "consent-wall"])
def test_bot_and_consent_walls_are_blocked_not_versions(tmp_path, site, route):
    [capture_row] = crawl_once(tmp_path, site, route)
    assert capture_row["outcome"] == "blocked"
    assert rows(tmp_path / "a.db", "select * from versions") == []


def test_a_redirect_to_a_sign_in_page_is_blocked(tmp_path, site):
    site.set("/login", policy_page(LOREM, title="Log in to continue"))
    [capture_row] = crawl_once(tmp_path, site, Route(status=302, headers={"Location": "/login?next=/p"}))
    assert capture_row["outcome"] == "blocked" and "sign-in or consent page" in capture_row["detail"]


def test_a_page_in_another_language_than_declared_is_flagged_and_not_versioned(tmp_path, site):
    [capture_row] = crawl_once(tmp_path, site, Route(body=policy_page(GERMAN)), language="en")
    assert capture_row["outcome"] == "wrong-language" and capture_row["detected_language"] == "de"
    assert rows(tmp_path / "a.db", "select * from versions") == []


def _english_but_where_the_short_samples_look() -> str:
    """English, with German over most of each short sample's window (start, middle, end): a third of
    each longer sample."""
    size, german = 12 * SAMPLE, SAMPLE * 4 // 5
    text = list(((LOREM + " ") * (size // len(LOREM) + 1))[:size])
    for at in (0, size // 2 - german // 2, size - german):
        text[at:at + german] = ((GERMAN + " ") * (german // len(GERMAN) + 1))[:german]
    return "".join(text)


def test_a_text_is_refused_as_another_language_only_on_the_longer_samples():
    text = _english_but_where_the_short_samples_look()
    assert detect_language(text) == "de"  # the short look alone
    assert detect_language(text, "en") == "en"
    assert analyse(None, text.encode(), "text/plain", None, Rules(), is_text=True, language="en").outcome == "ok"


def test_the_declared_language_is_recorded_as_detected(tmp_path, site):
    [capture_row] = crawl_once(tmp_path, site, Route(body=policy_page(GERMAN)), language="de")
    assert capture_row["outcome"] == "new" and capture_row["detected_language"] == "de"


def test_a_collapsed_text_is_suspect_until_repeated_captures_confirm_it(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(CATALOG)
    archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", " ".join(["word"] * 300)))
    outcomes = [archive.record(capture(f"2021-01-0{d}T00:00:00Z"), Analysis("ok", "Page moved. " * 20)).outcome for d in (2, 3, 4)]

    assert outcomes == ["suspect", "suspect", "changed"]
    assert archive.db["versions"].count == 2
    archive.close()


SOFT_404 = ("Sorry, this page is not available right now. The link you followed may be broken, or the page may have "
            "been moved or removed while we update our help centre. ") * 4 + "Go back to the home page or search the help centre."


def test_a_soft_404_or_consent_wall_in_place_of_the_policy_is_suspect_and_makes_no_change(tmp_path, site):
    policy = policy_page(*[f"{LOREM} Section {n}." for n in range(1, 11)])
    for body in (policy, policy_page(SOFT_404), policy):
        crawl_once(tmp_path, site, Route(body=body))
    outcomes = [r["outcome"] for r in rows(tmp_path / "a.db", "select outcome from captures order by id")]
    words = [r["words"] for r in rows(tmp_path / "a.db", "select words from versions")]

    assert 120 <= len(SOFT_404.split()) <= 140 and 300 <= words[0] < 3 * len(SOFT_404.split())  # more than a third
    assert outcomes == ["new", "suspect", "unchanged"]
    assert rows(tmp_path / "a.db", "select id from changes") == []


def test_a_change_records_the_watched_terms_it_adds(tmp_path, site):
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": site.url("/p"), "select": ["article.policy"]}])
    site.set("/p", policy_page(LOREM))
    crawl(tmp_path / "a.db", tmp_path / "policies")
    site.set("/p", policy_page(LOREM, "We may collect biometric identifiers, such as faceprints and voiceprints."))
    crawl(tmp_path / "a.db", tmp_path / "policies")

    [term] = rows(tmp_path / "a.db", "select term, side, matches from change_terms")
    assert term == {"term": "biometric", "side": "added", "matches": '["biometric", "faceprints", "voiceprints"]'}


def test_a_page_whose_words_stay_but_whose_markup_and_invisible_characters_change_is_unchanged(tmp_path, site):
    """Issue 16 item 9 and issue 15 item 1: each of these made a new version before."""
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": site.url("/p"), "select": ["article.policy"]}])
    clause = "See <a href='/eu'>the European Commission website</a> for “details”."
    editions = [
        policy_page(LOREM, clause),
        policy_page(LOREM.replace("information", "infor\u2063mation").replace("name", "na\u200dme\ufe0f"),
                    "See the <a href='https://ec.europa.eu/'>European Commission website</a> for \"details\"."),
        policy_page(f"<b>{LOREM}</b>", clause.replace("website", "web\u2066site\u2069"), title="Privacy Policy\u00ad"),
    ]
    for edition in editions:
        site.set("/p", Route(body=edition))
        crawl(tmp_path / "a.db", tmp_path / "policies")
    assert [r["outcome"] for r in rows(tmp_path / "a.db", "select outcome from captures order by id")] == ["new", "unchanged", "unchanged"]


def test_a_text_keeping_much_less_of_its_page_than_the_variants_captures_do_is_suspect(tmp_path):
    """The selection halved while the page grew fivefold: not a collapse by words (150 of 300), but the
    capture keeps 7.5% of what its page shows where the variant's keep 75%."""
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(CATALOG)
    archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", " ".join(["word"] * 300), words=300, page_words=400))
    recorded = archive.record(capture("2021-01-02T00:00:00Z"), Analysis("ok", " ".join(["other"] * 150), words=150, page_words=2000))
    [row] = archive.db.execute("select outcome, detail, words, page_words from captures where id = ?", [recorded.capture_id]).fetchall()
    archive.close()
    assert row == ("suspect", "keeps 150 of the 2000 words its page shows (8%), where the variant's captures keep 75%; "
                              "a version once 3 captures agree", 150, 2000)


def test_a_text_keeping_its_usual_share_of_a_bigger_page_is_a_version(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(CATALOG)
    archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", " ".join(["word"] * 300), words=300, page_words=400))
    recorded = archive.record(capture("2021-01-02T00:00:00Z"), Analysis("ok", " ".join(["other"] * 900), words=900, page_words=1200))
    archive.close()
    assert recorded.outcome == "changed"


# What a page with a stray </body> in a table kept under libxml2's parser (the first section only),
# and the whole policy, as another archive's import or an old capture brings them.
CUT = " ".join(f"Section {n}: we keep your data and share it with processors." for n in range(1, 4))
WHOLE = " ".join(f"Section {n}: we keep your data and share it with processors." for n in range(1, 11))


def cut_short(archive):
    return [r[0] for r in archive.db.execute("select cut_short from captures order by fetched_at")]


def test_a_short_first_version_is_flagged_cut_short_when_a_far_longer_one_arrives(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(CATALOG)
    first = archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", CUT))
    archive.record(capture("2021-01-02T00:00:00Z"), Analysis("ok", CUT))
    archive.record(capture("2021-01-03T00:00:00Z"), Analysis("ok", WHOLE))

    assert first.outcome == "new"
    assert cut_short(archive) == ["cut short? 33 words where a later version, seen 2021-01-03T00:00:00Z, has 110: "
                                  "a partial page, or a policy that grew this much"] * 2 + [None]
    assert [r[0] for r in archive.db.execute("select outcome from captures order by fetched_at")] == ["new", "unchanged", "changed"]
    archive.close()


def test_a_short_capture_arriving_after_a_later_longer_one_is_flagged_cut_short(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(CATALOG)
    archive.record(capture("2021-01-03T00:00:00Z"), Analysis("ok", WHOLE))
    archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", CUT))

    assert cut_short(archive)[0].startswith("cut short? 33 words where a later version") and cut_short(archive)[1] is None
    archive.close()


def test_a_version_more_than_half_as_long_as_the_next_is_not_cut_short(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.sync_catalog(CATALOG)
    archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", " ".join(WHOLE.split()[:56])))
    archive.record(capture("2021-01-03T00:00:00Z"), Analysis("ok", WHOLE))

    assert cut_short(archive) == [None, None]
    archive.close()
