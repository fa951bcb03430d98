"""Who has a clause, and since when: the window a term appeared in, told from the captures."""

from __future__ import annotations

import pytest

from crawler.archive import open_read_only
from crawler.archive.history import NO, UNKNOWN, YES, Window, term_presence
from crawler.archive.store import Archive
from crawler.capture.items import Capture
from crawler.declarations.catalog import Catalog, Document, Service, Variant
from crawler.text.classify import Analysis

PLAIN = "We collect your name and email address.\n\nWe keep it for two years."
BIOMETRIC = PLAIN + "\n\nWe may collect biometric identifiers such as faceprints and voiceprints."


def variant(region: str) -> Variant:
    return Variant(id=f"acme/privacy-policy/{region.lower()}-en", document_id="acme/privacy-policy", service="Acme",
                   document_type="privacy-policy", region=region, language="en", url=f"https://acme.example/{region}")


US, EEA, UK = variant("US"), variant("EEA"), variant("UK")
CATALOG = Catalog(services=(Service("Acme", "acme", "acme.yml", (
    Document("acme/privacy-policy", "Acme", "privacy-policy", "Acme privacy", (US, EEA, UK)),)),))


@pytest.fixture
def archive(tmp_path):
    a = Archive(tmp_path / "archive.db")
    a.sync_catalog(CATALOG)
    yield a
    a.close()


def record(archive: Archive, v: Variant, day: str, text: str | None) -> None:
    """A capture of ``v`` on ``day``: readable with ``text``, or a failure when None."""
    capture = Capture(variant_id=v.id, requested_url=v.url, fetched_at=f"2021-06-{day}T00:00:00.000000Z", status=200,
                      body=(text or "").encode() or b"x")
    archive.record(capture, Analysis("ok", text) if text else Analysis("http-error", detail="HTTP 500"))


def presence(archive: Archive, term: str = "biometric") -> dict:
    return {p.variant_id: p for p in term_presence(open_read_only(archive.path), term, "acme/privacy-policy")}


def test_a_term_that_came_in_is_dated_by_the_last_capture_without_it_and_the_first_with_it(archive):
    for day, text in (("01", PLAIN), ("02", PLAIN), ("05", BIOMETRIC), ("06", BIOMETRIC)):
        record(archive, US, day, text)
    us = presence(archive)[US.id]
    assert us.status == YES
    assert (us.appeared.before, us.appeared.after) == ("2021-06-02T00:00:00.000000Z", "2021-06-05T00:00:00.000000Z")
    assert us.removed is None


def test_a_failed_capture_does_not_narrow_the_window(archive):
    for day, text in (("01", PLAIN), ("03", None), ("05", BIOMETRIC)):
        record(archive, US, day, text)
    assert presence(archive)[US.id].appeared.before == "2021-06-01T00:00:00.000000Z"


def test_a_term_there_from_the_first_capture_has_no_window_start(archive):
    record(archive, US, "01", BIOMETRIC)
    assert presence(archive)[US.id].appeared == Window(None, "2021-06-01T00:00:00.000000Z")


def test_a_removed_term_says_no_and_when_it_went(archive):
    for day, text in (("01", BIOMETRIC), ("04", PLAIN)):
        record(archive, US, day, text)
    us = presence(archive)[US.id]
    assert us.status == NO and us.clauses == []
    assert (us.removed.before, us.removed.after) == ("2021-06-01T00:00:00.000000Z", "2021-06-04T00:00:00.000000Z")


def test_the_clause_that_carries_the_term_is_given_whole(archive):
    record(archive, US, "01", BIOMETRIC)
    assert presence(archive)[US.id].clauses == ["We may collect biometric identifiers such as faceprints and voiceprints."]


def test_a_declared_variant_never_captured_is_unknown_not_no(archive):
    record(archive, US, "01", BIOMETRIC)
    record(archive, EEA, "01", PLAIN)
    record(archive, UK, "01", None)
    found = presence(archive)
    assert (found[US.id].status, found[EEA.id].status, found[UK.id].status) == (YES, NO, UNKNOWN)


def test_any_phrase_is_a_term(archive):
    record(archive, US, "01", BIOMETRIC)
    assert presence(archive, "two years")[US.id].status == YES


def test_a_list_item_is_a_clause_of_its_own(archive):
    record(archive, US, "01", "What we collect:\n\n* Your name and email address.\n* Faceprints and voiceprints,\n  from your videos.\n* Your contacts.")
    assert presence(archive)[US.id].clauses == ["* Faceprints and voiceprints,\n  from your videos."]


def test_a_term_in_emphasis_marked_with_underscores_is_found_without_them():
    from crawler.text.terms import find

    assert find("biometric", "We keep _biometric data_ and __faceprints__.") == ["biometric", "faceprints"]
    assert find("children", "**_For Children_**") == ["children"]


def test_find_finds_what_the_pattern_finds_scanning_the_whole_text(realdata):
    """``find`` runs the pattern from the first place one of the term's phrases occurs: on real
    policies, and where that place is inside a word (the look-behind must see the letter before it),
    it finds what a scan of the whole text finds."""
    from crawler.text.terms import WATCHED, _fold, find, pattern

    texts = [p.read_text(encoding="utf-8") for p in sorted(realdata.glob("ota-*-versions/*/*/*.md"))[::5]]
    texts += ["Xbiometric, then biometric.", "abiometrisch", "no such term here"]
    for term in [*WATCHED, "data controller"]:
        for text in texts:
            assert find(term, text) == list(dict.fromkeys(m.group(0) for m in pattern(term).finditer(_fold(text)))), term
    assert find("biometric", "Xbiometric, then biometric.") == ["biometric"]
