"""Two variants compared clause by clause from the clause index: what only one says, and what the
other says in other words (crawler/web/gap.py and the clause_gap canned query)."""

import sqlite3

import pytest
from helpers import LOREM, policy_page, two_region_archive

from crawler.text.clauses import clauses
from crawler.web.gap import regional_gap
from crawler.web.publish import datasette_app

US = "acme/privacy-policy/us-en"
EEA = "acme/privacy-policy/eea-en"
# LOREM in other words: the EEA page holds LOREM itself.
REWORDED = ("We collect the information you provide when you create an account, such as your name, email address "
            "and birth date, and information about how you use our service, such as the content you watch.")
BIOMETRIC = "We may collect biometric identifiers such as faceprints and voiceprints from your videos."
IRISH = "Our lead supervisory authority is the Irish Data Protection Commission."


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return two_region_archive(tmp_path_factory.mktemp("gap"), policy_page(REWORDED, BIOMETRIC))


def gap(archive, at=""):
    conn = sqlite3.connect(archive)
    try:
        return regional_gap(conn, US, EEA, at)
    finally:
        conn.close()


def test_a_list_item_is_a_clause_and_a_paragraph_is_one():
    text = "We collect your name.\n\n* Your phone contacts.\n* Your faceprints.\n\nThat is all."
    assert clauses(text) == ["We collect your name.", "* Your phone contacts.", "* Your faceprints.", "That is all."]


def test_what_only_one_variant_says_is_listed_with_the_watched_terms_it_carries(archive):
    found = gap(archive)
    assert [(c.text, c.terms) for c in found.only_a] == [(BIOMETRIC, ("biometric",))]
    assert [c.text for c in found.only_b] == [IRISH]


def test_a_clause_in_other_words_is_paired_with_its_similarity_not_listed_twice(archive):
    [pair] = gap(archive).reworded
    assert (pair.a.text, pair.b.text) == (REWORDED, LOREM) and pair.similarity >= 80


def test_before_either_variant_was_captured_there_is_no_gap(archive):
    found = gap(archive, "2000-01-01")
    assert (found.only_a, found.only_b, found.reworded) == ([], [], [])


@pytest.mark.asyncio
async def test_the_canned_query_gives_what_the_function_gives(archive):
    response = await datasette_app(archive).client.get(f"/archive/clause_gap.json?a={US}&b={EEA}&at=&_shape=array")
    rows = response.json()
    found = gap(archive)
    assert [(r["kind"], r["a_clause_id"], r["b_clause_id"], r["similarity"]) for r in rows] == (
        [("only in A", c.id, None, None) for c in found.only_a] + [("only in B", None, c.id, None) for c in found.only_b]
        + [("reworded", p.a.id, p.b.id, p.similarity) for p in found.reworded])
    assert rows[0]["a_lineage_page"] == f"/-/clause/{found.only_a[0].id}"
