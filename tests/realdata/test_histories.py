"""Real version histories published by Open Terms Archive, imported as Markdown: the seed story,
flip-flops, and texts filed under the wrong language."""

import re

import pytest

from helpers import policyarchive, rows

pytestmark = pytest.mark.realdata

HISTORIES = {
    "us-en": "ota-vlopses-us-versions/TikTok/Privacy Policy",
    "ie-en": "ota-vlopses-ie-versions/TikTok/Privacy Policy",
    "eea-en": "ota-contrib-versions/TikTok/Privacy Policy",
    "eea-fr": "ota-france-versions/TikTok/Privacy Policy",
}


@pytest.fixture(scope="module")
def seed(tmp_path_factory, realdata):
    db = tmp_path_factory.mktemp("seed") / "archive.db"
    for variant, folder in HISTORIES.items():
        result = policyarchive("import", str(realdata / folder), "--variant", f"tiktok/privacy-policy/{variant}", "--db", str(db))
        assert result.returncode == 0, result.stderr[-2000:]
    return db


def term_table(db, *args):
    result = policyarchive("term", "biometric", "--document", "tiktok/privacy-policy", "--db", str(db), *args)
    assert result.returncode == 0, result.stderr
    return {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}


def test_only_the_us_text_mentions_biometric_data_and_since_its_first_capture(seed):
    table = term_table(seed)
    assert table["tiktok/privacy-policy/us-en"][:2] == ["yes", "2025-09-13T00:31:19"]
    for variant in ("ie-en", "eea-en", "eea-fr"):
        assert table[f"tiktok/privacy-policy/{variant}"][:2] == ["no", "-"]


def test_the_us_clause_is_the_one_reporters_quoted(seed):
    [first] = rows(seed, "select text from versions where variant_id = 'tiktok/privacy-policy/us-en' order by first_seen limit 1")
    assert "biometric identifiers and biometric information as defined under U" in first["text"]
    assert "faceprints and voiceprints" in first["text"]


def test_the_2026_eea_banner_flip_flop_is_two_versions_and_one_alternation(seed):
    since_may = rows(seed, """select distinct v.id from captures c join versions v on v.id = c.version_id
                              where c.variant_id = 'tiktok/privacy-policy/eea-en' and c.fetched_at >= '2026-05-20'""")
    assert len(since_may) == 2
    result = policyarchive("history", "tiktok/privacy-policy/eea-en", "--db", str(seed))
    alternations = [line for line in result.stdout.splitlines() if "alternating" in line]
    assert len(alternations) == 1 and ": 46 changes from 2026-05-20 to 2026-08-17" in alternations[0]


def test_texts_filed_under_the_wrong_language_are_flagged_not_versioned(seed):
    flagged = rows(seed, "select variant_id, detected_language from captures where outcome = 'wrong-language'")
    assert {(r["variant_id"], r["detected_language"]) for r in flagged} == {
        ("tiktok/privacy-policy/eea-en", "fr"), ("tiktok/privacy-policy/eea-fr", "en")}
    assert len(flagged) == 8


@pytest.mark.asyncio
async def test_the_who_says_page_answers_the_seed_question_with_unknown_for_variants_never_captured(seed):
    from crawler.web.publish import datasette_app

    response = await datasette_app(seed).client.get("/-/document/tiktok/privacy-policy?term=biometric")
    rows_by_variant = {
        m.group(1): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(2))).strip()
        for m in re.finditer(r'<tr class="presence-\w+">\s*<td><a href="/-/variant/tiktok/privacy-policy/([\w-]+)">.*?</a></td>(.*?)</tr>',
                             response.text, re.DOTALL)}
    assert rows_by_variant["us-en"].startswith("yes as of 2026-07-15 since the first capture, 2025-09-13")
    assert "faceprints and voiceprints" in rows_by_variant["us-en"]
    for variant in ("ie-en", "eea-en", "eea-fr"):
        assert rows_by_variant[variant].startswith("no as of 2026-0")
    for never in ("eea-de", "uk-en", "row-en"):
        assert rows_by_variant[never].startswith("unknown never captured")


def test_real_versions_that_differ_only_in_markdown_are_not_versions(seed):
    """Open Terms Archive recorded links added around words and shortened link targets (US, 2026-02-10;
    Ireland, 2025-11-12) and a heading made bold (EEA, 2023-08-17) as versions; a reader sees the same words."""
    counts = {r["variant_id"].rsplit("/", 1)[1]: r["n"] for r in rows(seed, "select variant_id, count(*) as n from versions group by variant_id")}
    assert counts == {"us-en": 7, "ie-en": 10, "eea-en": 22, "eea-fr": 9}
    [us] = rows(seed, "select outcome from captures where source = 'import:2026-02-10T13-13-20+00-00.md'")
    assert us["outcome"] == "unchanged"


@pytest.mark.asyncio
async def test_comparing_the_us_with_ireland_lists_the_biometric_clause_as_only_in_the_us(seed):
    from crawler.web.publish import datasette_app

    response = await datasette_app(seed).client.get(
        "/-/compare/tiktok/privacy-policy?a=tiktok/privacy-policy/ie-en&b=tiktok/privacy-policy/us-en")
    only_us = response.text.split("Only in US · en")[1].split("Reworded")[0]
    only_ie = response.text.split("Only in IE · en")[1].split("Only in US · en")[0]
    assert "faceprints and voiceprints" in only_us and "faceprints" not in only_ie


def test_the_biometric_clause_first_appears_in_the_us_text_and_never_in_ireland_or_the_eea(seed):
    appeared = rows(seed, """SELECT versions.variant_id, min(versions.first_seen) AS first_seen FROM clauses_fts
        JOIN version_clauses ON version_clauses.clause_id = clauses_fts.rowid
        JOIN versions ON versions.id = version_clauses.version_id
        WHERE clauses_fts MATCH '"faceprints and voiceprints"' GROUP BY versions.variant_id""")
    assert [(r["variant_id"], r["first_seen"][:19]) for r in appeared] == [
        ("tiktok/privacy-policy/us-en", "2025-09-13T00:31:19")]
