"""Imports of real captured pages through the project's own declarations (policies/*.yml).

Expected counts come from ../shared/realdata/MANIFEST.md and are re-derived here by an independent
method (the raw HTML between the section anchors, tags stripped, whitespace and Unicode normalised).
"""

import re
import unicodedata

import lxml.html
import pytest

from helpers import policyarchive, rows

pytestmark = pytest.mark.realdata

TIKTOK = "dkg-tosback-snapshots/TikTok/Privacy Policy"
SECTIONS = {"us-en": ("privacy-us", "privacy-eea"), "eea-en": ("privacy-eea", "privacy-row")}


def section_texts(folder, start: str, end: str) -> set[str]:
    """Distinct plain texts between two anchors of the raw pages, without our extraction code."""
    texts = set()
    for path in folder.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        i = html.index(f'id="{start}"')
        j = html.index(f'id="{end}"', i)
        fragment = html[html.rindex("<", 0, i):html.rindex("<", 0, j)]
        text = lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()
        texts.add(re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip())
    return texts


def import_into(db, folder, variant):
    result = policyarchive("import", str(folder), "--variant", variant, "--db", str(db))
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def tiktok(tmp_path_factory, realdata):
    db = tmp_path_factory.mktemp("tiktok") / "archive.db"
    for variant in ("us-en", "eea-en", "row-en"):
        import_into(db, realdata / TIKTOK, f"tiktok/privacy-policy/{variant}")
    return db


@pytest.mark.parametrize("variant, expected", [("us-en", 6), ("eea-en", 4), ("row-en", 8)])
def test_each_tiktok_section_gives_as_many_versions_as_distinct_texts(tiktok, realdata, variant, expected):
    versions = rows(tiktok, "select id from versions where variant_id = ?", [f"tiktok/privacy-policy/{variant}"])
    assert len(versions) == expected
    if variant in SECTIONS:
        assert len(section_texts(realdata / TIKTOK, *SECTIONS[variant])) == expected


def test_the_us_variant_keeps_only_the_us_section(tiktok):
    texts = [r["text"] for r in rows(tiktok, "select text from versions where variant_id = 'tiktok/privacy-policy/us-en'")]
    for text in texts:
        assert "(If you are a user having your usual residence in the US)" in text
        assert "European Economic Area" not in text[:400]
        assert "usual residence in the European Economic Area" not in text
        assert "TikTok Pte. Ltd." not in text  # the rest-of-world controller
        assert text.count("Welcome to TikTok") == 1  # not doubled by the __NEXT_DATA__ copy


def test_the_eea_and_rest_of_world_variants_keep_only_their_sections(tiktok):
    eea = rows(tiktok, "select text from versions where variant_id = 'tiktok/privacy-policy/eea-en'")
    row = rows(tiktok, "select text from versions where variant_id = 'tiktok/privacy-policy/row-en'")
    assert all("usual residence in the US)" not in r["text"] and "TikTok Inc." not in r["text"][:600] for r in eea)
    assert all("usual residence in the US)" not in r["text"] and "usual residence in the European Economic Area" not in r["text"] for r in row)
    assert all("Newsroom" not in r["text"] and "Creator Portal" not in r["text"] for r in row)  # no page footer


def test_no_version_of_2020_2021_mentions_biometric_data(tiktok):
    assert rows(tiktok, "select id from versions where text like '%biometric%'") == []


def test_the_whatsapp_noise_set_gives_exactly_one_version(tmp_path, realdata):
    db = tmp_path / "archive.db"
    import_into(db, realdata / "dkg-tosback-snapshots/WhatsApp/Privacy Policy/noise-set-2020-08-13", "whatsapp/privacy-policy/row-en")
    assert [r["outcome"] for r in rows(db, "select outcome from captures order by fetched_at")] == ["new"] + ["unchanged"] * 23
    assert len(rows(db, "select * from bodies")) == 24


@pytest.mark.parametrize("variant", ["us-en", "eea-en", "row-en"])
def test_each_tiktok_capture_records_the_share_of_the_page_its_section_keeps(tiktok, variant):
    """The 2020-2021 page holds three regional policies, its navigation and its footer: each section is
    a fifth to a half of the words the page shows, on every capture."""
    captured = rows(tiktok, "select words, page_words from captures where variant_id = ?", [f"tiktok/privacy-policy/{variant}"])
    assert len(captured) == 69
    shares = [c["words"] / c["page_words"] for c in captured]
    assert 0.2 < min(shares) and max(shares) < 0.5, (min(shares), max(shares))


PAGE = "2020-08-12T14-30-30+00-00.html"


def validate_against(realdata, variant, *options):
    return policyarchive("validate", "--against", str(realdata / TIKTOK / PAGE), "--variant", f"tiktok/privacy-policy/{variant}",
                         *options)


def test_validate_against_a_saved_page_says_how_much_of_it_the_selection_keeps(realdata):
    result = validate_against(realdata, "us-en")
    assert result.returncode == 0, result.stderr
    said = re.search(r"tiktok/privacy-policy/us-en: its selection keeps (\d+) of the (\d+) words the page shows \((\d+)%\)", result.stdout)
    assert said and 0.2 < int(said[1]) / int(said[2]) < 0.5


def test_validate_against_fails_a_selection_under_the_required_share(realdata):
    result = validate_against(realdata, "us-en", "--min-coverage", "0.5")
    assert result.returncode == 1
    assert "under the 50% required (--min-coverage)" in result.stderr


def test_validate_against_fails_a_selector_that_matches_nothing_on_the_page(realdata):
    result = validate_against(realdata, "ie-en")  # its selector is that of the pages of 2025-2026
    assert result.returncode == 1 and "no element matches select" in result.stderr
