"""Where our archive records changes on real WhatsApp, Facebook and Google snapshots, against which
snapshots carry the same text and which a different one according to Open Terms Archive's reference
history (ota-contrib-versions): snapshots are aligned with the reference by CONTENT, not by date.

How the expectation is established, without our archive:

* Words. A text is compared as its sequence of words after this normalisation, which removes the
  noise OTA's history is known to carry:
  - Unicode NFKC (no-break spaces, typographic ligatures), and all whitespace and Markdown markup
    dropped: only runs of letters and digits count, so line wrapping, ``**``, ``_`` and ``#`` do not;
  - link targets dropped (``[words](url)`` keeps its words): a URL that moves is not a new wording;
  - case folded and in-word hyphens and apostrophes removed: Facebook's reference of 2020-12-04
    differs from that of 2020-11-19 only by "Tools"/"tools" and "plugins"/"plug-ins", and WhatsApp's
    of 2020-10-23 17:31 from 16:31 only by "service"/"Service"; the same words, typeset differently.
* The words of a snapshot are those of the text the import's extraction step reads from its HTML
  (``crawler.text.classify.analyse`` with the variant's selectors, as in test_reference_extraction.py),
  not the text our archive stored. So that this step cannot hide a change, the whole visible text of
  each Facebook and Google page (stdlib HTML parser, scripts and styles left out) is checked to be
  closest to the same reference text. WhatsApp's page carries all its legal documents (terms,
  privacy policy, cookies) in one page, so its whole text is not comparable.
* Closest reference. Each readable snapshot is compared with ALL reference versions of its service,
  whatever their dates, by word-sequence similarity 2M / (len(a) + len(b)), M the words in the
  longest matching blocks (``difflib.SequenceMatcher``, no autojunk). The closest is the reference
  text (the versions with its words) of the highest similarity; two different texts equally close
  fail the test. References are not all the same rendering, and the closest need not be the
  revision the snapshot carries: the reference holds no US rendering of Facebook's revision of
  21 August 2020, so its US snapshots of 2020-12 are closest to the US rendering of 11 January 2021
  (reference 2021-02-23 10:42), and its EEA snapshots in US spelling of 2021 to the EEA text in US
  spelling of 19 April 2018 (reference 2020-08-12 13:04) rather than to the same revision in UK
  spelling. What counts is only which snapshots share a closest text.
* Expectation. Time-ordered readable snapshots (UTC commit times in ``manifest.tsv``; file names
  carry local offsets) are cut into runs where the closest reference text's words differ. The
  archive must record a change exactly at those boundaries, keep one version per distinct closest
  text, and every change it records must be between versions whose own texts are closest to two
  different reference texts.

Our side is what ``policyarchive import`` records in a fresh archive. Snapshots our pipeline cannot
read are not in any run: five of the six WhatsApp snapshots are script-rendered shells without the
policy text, and are checked to be recorded as ``empty`` captures rather than dropped. That leaves
WhatsApp one readable snapshot; Facebook and Google have six each. They are imported into their US
variants, as in test_reference_extraction.py; every variant of each service has the same selectors,
so the variant does not change what is extracted.

A date-based alignment (each snapshot against the reference version latest committed at or before
it) disagrees with our archive at three of the ten pairs, for causes in the data, which the
``test_data_fact_*`` tests pin:

* Facebook 2020-12-04 -> 2021-02-08: the reference in effect is one EEA text at both dates, so
  dates say "no change", and we record one. Both snapshots carry "Date of Last Revision: August 21,
  2020", but the first is the US rendering (Facebook, Inc., California notice, TrustArc) and the
  second the EEA one in US spelling (Facebook Ireland, GDPR rights, "EU law" for "the laws of your
  country"): the page was fetched from another region, not revised. The reference, mostly the EEA
  rendering, never recorded the US one of that revision.
* Google 2020-11-26 -> 2021-02-08 (dates say no change, we record one) and 2021-02-08 ->
  2021-03-28 (dates say change, we record none): the snapshot of 2021-02-08 already has the revision
  "Effective 4 February 2021" ("telephony" -> "call and message", "sender and recipient email
  address"...), word for word the reference of 2021-03-04. OTA recorded that revision only on
  2021-02-15 (no reference version of any service here between 2021-01-01 and 2021-02-15): the
  reference lags. The first step also swaps the "California requirements" section of the snapshots
  of 2020-10/11 (the US region's page; every Google snapshot here is in en-GB spelling, as the
  references are from 2020-08-18 on) for the "European requirements" one, which the reference of
  2021-03-04 has and those of 2021-02-15 to 2021-03-03 lack. No reference has the California
  section, hence the lowest similarity here: 0.938 to the 30 September 2020 text, 0.936 to that of
  28 August.
"""

import collections
import csv
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from fractions import Fraction
from html.parser import HTMLParser

import pytest

from crawler.declarations.catalog import load_catalog
from crawler.text.classify import analyse
from crawler.intake.importer import time_from_name
from helpers import PROJECT, policyarchive, rows

pytestmark = pytest.mark.realdata

CATALOG = load_catalog(PROJECT / "policies")
VARIANTS = {"WhatsApp": "whatsapp/privacy-policy/row-en", "Facebook": "facebook/privacy-policy/us-en",
            "Google": "google/privacy-policy/us-en"}
SHELLS = {  # WhatsApp's script-rendered shells (see test_reference_extraction.py)
    "2020-11-26T06-38-34-05-00.html", "2020-12-31T07-52-28-05-00.html", "2021-01-01T07-52-28-05-00.html",
    "2021-04-05T18-04-44+02-00.html", "2021-04-30T14-48-48+02-00.html",
}
WHOLE_PAGE_IS_THE_POLICY = ["Facebook", "Google"]  # WhatsApp's page carries all its legal documents
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(?:https?|mailto):[^>]*>")
_IN_WORD_JOINER = re.compile(r"(?<=[^\W_])[-\u2010\u2011'\u2019](?=[^\W_])")
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> tuple[str, ...]:
    """The word sequence of a text (reference Markdown or extracted text), as the module docstring defines it."""
    text = unicodedata.normalize("NFKC", text)
    text = _AUTOLINK.sub(" ", _LINK_TARGET.sub("] ", text)).casefold()
    return tuple(_WORD.findall(_IN_WORD_JOINER.sub("", text)))


@functools.cache
def manifest_times(realdata) -> dict[str, datetime]:
    """local_path -> UTC commit time, from manifest.tsv."""
    with (realdata / "manifest.tsv").open(encoding="utf-8", newline="") as f:
        return {r["local_path"]: datetime.fromisoformat(r["date"]).astimezone(timezone.utc)
                for r in csv.DictReader(f, delimiter="\t")}


def timeline(realdata, folder: str, suffix: str) -> list[tuple[datetime, str]]:
    """(UTC time, file name) of the files directly in ``folder``, oldest first."""
    times = manifest_times(realdata)
    names = [p.name for p in (realdata / folder).iterdir() if p.is_file() and p.suffix == suffix]
    assert names and all(f"{folder}/{n}" in times for n in names), f"{folder}: files missing from manifest.tsv"
    return sorted((times[f"{folder}/{n}"], n) for n in names)


def snapshot_folder(service: str) -> str:
    return f"dkg-tosback-snapshots/{service}/Privacy Policy"


def reference_folder(service: str) -> str:
    return f"ota-contrib-versions/{service}/Privacy Policy"


def readable_snapshots(realdata, service: str) -> list[tuple[datetime, str]]:
    """(UTC time, file name) of the snapshots our pipeline can read, oldest first; the shells are left out."""
    return [s for s in timeline(realdata, snapshot_folder(service), ".html") if s[1] not in SHELLS]


def snapshot_time(realdata, service: str, name: str) -> datetime:
    return manifest_times(realdata)[f"{snapshot_folder(service)}/{name}"]


@functools.cache
def references(realdata, service: str) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each distinct reference text of ``service`` (its words) -> the reference files with those words, oldest first."""
    texts = collections.defaultdict(list)
    for _, name in timeline(realdata, reference_folder(service), ".md"):
        texts[words((realdata / reference_folder(service) / name).read_text(encoding="utf-8"))].append(name)
    return {text: tuple(names) for text, names in texts.items()}


def reference_in_effect(realdata, service: str, when: datetime) -> tuple[str, ...]:
    """The words of the reference version latest committed at or before ``when`` (the date-based alignment)."""
    recorded = [n for t, n in timeline(realdata, reference_folder(service), ".md") if t <= when]
    assert recorded, f"{service}: no reference version recorded before {when}"
    return words((realdata / reference_folder(service) / recorded[-1]).read_text(encoding="utf-8"))


@functools.cache
def snapshot_words(realdata, service: str, name: str) -> tuple[str, ...]:
    """The words of what the import's extraction step reads from a snapshot (not what the archive stored)."""
    rules = CATALOG.variant(VARIANTS[service]).rules_at(time_from_name(name))
    analysis = analyse(None, (realdata / snapshot_folder(service) / name).read_bytes(), None, None, rules, language="en")
    assert analysis.outcome == "ok", (service, name, analysis.outcome, analysis.detail)
    return words(analysis.text)


class _VisibleText(HTMLParser):
    HIDDEN = {"script", "style", "noscript", "template"}

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.HIDDEN

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def page_words(realdata, service: str, name: str) -> tuple[str, ...]:
    """The words of a snapshot's whole visible text, read without any of our code."""
    parser = _VisibleText()
    parser.feed((realdata / snapshot_folder(service) / name).read_bytes().decode("utf-8", "replace"))
    return words(" ".join(parser.parts))


@dataclass(frozen=True)
class Closest:
    words: tuple[str, ...]  # the closest reference text
    names: tuple[str, ...]  # the reference versions with those words, oldest first
    similarity: float


@functools.cache
def closest(realdata, service: str, text: tuple[str, ...]) -> Closest:
    """The reference text of ``service`` nearest to ``text`` by word-sequence similarity, among all its versions.

    The bag-of-words similarity (``SequenceMatcher.quick_ratio``) bounds the sequence one from above,
    so references are tried in decreasing bag similarity until the bound falls below the best found.
    """
    bag, total = collections.Counter(text), len(text)
    bounds = sorted(((Fraction(2 * sum((bag & collections.Counter(ref)).values()), len(ref) + total), ref)
                     for ref in references(realdata, service)), key=lambda b: b[0], reverse=True)
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(text)
    best, found = Fraction(-1), []
    for bound, ref in bounds:
        if bound < best:
            break
        matcher.set_seq1(ref)
        similarity = Fraction(2 * sum(b.size for b in matcher.get_matching_blocks()), len(ref) + total)
        if similarity > best:
            best, found = similarity, [ref]
        elif similarity == best:
            found.append(ref)
    assert len(found) == 1, f"{service}: {len(found)} different reference texts are equally close: " \
                            f"{[references(realdata, service)[f] for f in found]}"
    return Closest(found[0], references(realdata, service)[found[0]], float(best))


def closest_to_snapshot(realdata, service: str, name: str) -> Closest:
    return closest(realdata, service, snapshot_words(realdata, service, name))


def word_changes(old: tuple[str, ...], new: tuple[str, ...], limit: int = 6) -> list[str]:
    ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    return [f"{' '.join(old[i1:i2])[:60]!r} -> {' '.join(new[j1:j2])[:60]!r}"
            for tag, i1, i2, j1, j2 in ops if tag != "equal"][:limit]


def expected_changes(realdata, service: str) -> dict[tuple[str, str], bool]:
    """(earlier, later) consecutive readable snapshots -> whether their closest reference texts differ."""
    names = [n for _, n in readable_snapshots(realdata, service)]
    return {(a, b): closest_to_snapshot(realdata, service, a).words != closest_to_snapshot(realdata, service, b).words
            for a, b in zip(names, names[1:])}


def describe_expected(realdata, service: str, a: str, b: str) -> str:
    ra, rb = closest_to_snapshot(realdata, service, a), closest_to_snapshot(realdata, service, b)
    return f"closest references {ra.names[0]} -> {rb.names[0]}: {word_changes(ra.words, rb.words) or 'same words'}"


@pytest.fixture(scope="module")
def archive(tmp_path_factory, realdata):
    db = tmp_path_factory.mktemp("reference-changes") / "archive.db"
    for service, variant in VARIANTS.items():
        result = policyarchive("import", str(realdata / snapshot_folder(service)), "--variant", variant, "--db", str(db))
        assert result.returncode == 0, result.stderr[-2000:]
    return db


def capture(db, service: str, name: str) -> dict:
    [row] = rows(db, "select * from captures where variant_id = ? and source = ?", [VARIANTS[service], f"import:{name}"])
    return row


def recorded_changes(db, realdata, service: str) -> dict[tuple[str, str], dict | None]:
    """(earlier, later) consecutive readable snapshots -> the change our archive recorded between them, or None."""
    names = [n for _, n in readable_snapshots(realdata, service)]
    recorded = {}
    for a, b in zip(names, names[1:]):
        earlier, later = capture(db, service, a), capture(db, service, b)
        found = rows(db, """select c.words_added, c.words_removed, c.from_version_id, c.to_version_id
                            from changes c where c.capture_id = ? and c.superseded_by is null""", [later["id"]])
        assert len(found) <= 1, (a, b, found)
        assert (later["version_id"] != earlier["version_id"]) == bool(found), (a, b, earlier, later, found)
        assert all((c["from_version_id"], c["to_version_id"]) == (earlier["version_id"], later["version_id"])
                   for c in found), (a, b, found)
        recorded[(a, b)] = found[0] if found else None
    return recorded


def test_each_readable_snapshot_is_closest_to_the_reference_text_read_by_hand(realdata):
    """The expectation, checked by hand against the texts (revision line, region, spelling)."""
    mapping = {service: {name: closest_to_snapshot(realdata, service, name).names
                         for _, name in readable_snapshots(realdata, service)} for service in VARIANTS}
    eea_uk_2018 = ("2020-07-29T13-32-26+00-00.md", "2020-08-12T14-30-24+00-00.md")  # EEA, UK spelling, 19 April 2018
    us_2021 = ("2021-02-23T10-42-36+00-00.md", "2021-02-24T07-27-55+00-00.md")  # US rendering, January 11, 2021
    eea_us_2018 = ("2020-08-12T13-04-07+00-00.md",)  # EEA in US spelling, April 19, 2018
    google_2020_08 = ("2020-08-28T16-30-21+00-00.md",)  # Effective 28 August 2020
    google_2020_09 = (  # Effective 30 September 2020; the snapshots add a California section no reference has
        "2020-09-30T13-30-22+00-00.md", "2020-10-12T08-30-21+00-00.md", "2020-11-19T13-30-42+00-00.md")
    google_2021_02 = ("2021-03-04T12-18-02+00-00.md",)  # Effective 4 February 2021, European requirements
    assert mapping == {
        "WhatsApp": {"2020-10-06T09-05-16-04-00.html": ("2020-07-29T13-32-36+00-00.md",)},
        "Facebook": {"2020-08-25T23-30-13+00-00.html": eea_uk_2018, "2020-08-26T00-30-08+00-00.html": eea_uk_2018,
                     "2020-12-03T07-48-27-05-00.html": us_2021, "2020-12-04T07-48-25-05-00.html": us_2021,
                     "2021-02-08T01-04-35+01-00.html": eea_us_2018, "2021-03-28T19-18-05+02-00.html": eea_us_2018},
        "Google": {"2020-09-29T23-30-22+00-00.html": google_2020_08, "2020-09-30T00-30-24+00-00.html": google_2020_08,
                   "2020-10-06T09-04-18-04-00.html": google_2020_09, "2020-11-26T06-35-14-05-00.html": google_2020_09,
                   "2021-02-08T01-05-06+01-00.html": google_2021_02, "2021-03-28T20-01-55+02-00.html": google_2021_02},
    }


@pytest.mark.parametrize("service", WHOLE_PAGE_IS_THE_POLICY)
def test_the_whole_page_text_is_closest_to_the_same_reference_text_as_the_extracted_one(realdata, service):
    """Our extraction step does not decide the expectation: without it, each page finds the same reference text."""
    differ = {name: (closest(realdata, service, page_words(realdata, service, name)).names,
                     closest_to_snapshot(realdata, service, name).names)
              for _, name in readable_snapshots(realdata, service)
              if closest(realdata, service, page_words(realdata, service, name)).words
              != closest_to_snapshot(realdata, service, name).words}
    assert not differ, f"{service}: whole page -> extracted text closest to other references: {differ}"


def test_shell_snapshots_are_recorded_as_empty_captures_not_dropped(archive):
    """They are left out of the runs because they are unreadable, not because the import lost them."""
    recorded = {r["source"].removeprefix("import:"): r for r in
                rows(archive, "select source, outcome, version_id from captures where variant_id = ?", [VARIANTS["WhatsApp"]])}
    assert SHELLS <= recorded.keys()
    assert {name: (recorded[name]["outcome"], recorded[name]["version_id"]) for name in SHELLS} == {
        name: ("empty", None) for name in SHELLS}


def test_whatsapp_shells_make_no_version_and_no_change(archive):
    """The readable snapshot of 2020-10-06 is WhatsApp's only version; the shells after it change nothing."""
    assert len(rows(archive, "select id from versions where variant_id = ?", [VARIANTS["WhatsApp"]])) == 1
    assert rows(archive, "select id from changes where variant_id = ?", [VARIANTS["WhatsApp"]]) == []


@pytest.mark.parametrize("service", ["Facebook", "Google"])
def test_the_archive_records_a_change_exactly_where_the_closest_reference_text_changes(archive, realdata, service):
    expected, recorded = expected_changes(realdata, service), recorded_changes(archive, realdata, service)
    wrong = {pair: f"expected {'a change' if real else 'none'}, recorded "
                   f"{'+{words_added}/-{words_removed} words'.format(**recorded[pair]) if recorded[pair] else 'none'}; "
                   f"{describe_expected(realdata, service, *pair)}"
             for pair, real in expected.items() if real != (recorded[pair] is not None)}
    assert not wrong, f"{service}: {wrong}"


@pytest.mark.parametrize("service", list(VARIANTS))
def test_the_archive_keeps_one_version_per_distinct_closest_reference_text(archive, realdata, service):
    texts = {closest_to_snapshot(realdata, service, name).names for _, name in readable_snapshots(realdata, service)}
    versions = rows(archive, "select id from versions where variant_id = ?", [VARIANTS[service]])
    assert len(versions) == len(texts), (service, sorted(texts))


@pytest.mark.parametrize("service", ["Facebook", "Google"])
def test_every_change_we_record_is_between_texts_closest_to_different_reference_texts(archive, realdata, service):
    """Read from the archive's own stored texts, each change maps to a real difference in the reference's words."""
    changes = rows(archive, """select c.id, old.text as old_text, new.text as new_text from changes c
                               join versions old on old.id = c.from_version_id join versions new on new.id = c.to_version_id
                               where c.variant_id = ? and c.superseded_by is null""", [VARIANTS[service]])
    assert changes
    same = {c["id"]: closest(realdata, service, words(c["old_text"])).names for c in changes
            if closest(realdata, service, words(c["old_text"])).words == closest(realdata, service, words(c["new_text"])).words}
    assert not same, f"{service}: changes whose two versions are closest to one reference text: {same}"


def test_data_fact_google_2021_02_08_has_word_for_word_a_text_the_reference_records_only_later(realdata):
    """The reference lags: the revision of 4 February 2021 is in the snapshot of 2021-02-08, not yet in OTA's history."""
    name = "2021-02-08T01-05-06+01-00.html"
    when = snapshot_time(realdata, "Google", name)
    equal = references(realdata, "Google").get(snapshot_words(realdata, "Google", name), ())
    times = manifest_times(realdata)
    assert equal and all(times[f"{reference_folder('Google')}/{n}"] > when for n in equal), (when, equal)


def test_data_fact_facebook_2021_02_08_is_the_eea_rendering_where_2020_12_04_is_the_us_one(realdata):
    """A region switch, not a revision: the snapshot of 2021-02-08 is closest to an EEA text of the reference
    (Facebook Ireland), that of 2020-12-04 to a US one; the reference in effect is one EEA text at both dates."""
    us, eea = "2020-12-04T07-48-25-05-00.html", "2021-02-08T01-04-35+01-00.html"
    assert [("ireland" in snapshot_words(realdata, "Facebook", n), "ireland" in closest_to_snapshot(realdata, "Facebook", n).words)
            for n in (us, eea)] == [(False, False), (True, True)]
    in_effect = {reference_in_effect(realdata, "Facebook", snapshot_time(realdata, "Facebook", n)) for n in (us, eea)}
    assert len(in_effect) == 1 and all("ireland" in text for text in in_effect)
