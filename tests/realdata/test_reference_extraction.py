"""Our extraction of real WhatsApp, Facebook and Google pages against the Markdown that Open Terms
Archive published for the same period (ota-contrib-versions), by token-level F1.

A snapshot is compared with the references recorded within 150 days of it, and scored against the
closest: the reference history itself alternates between regional renderings (Facebook's US and
EEA texts, Google's en-US and en-GB), so "the version in effect" is not always the same rendering.
"""

import collections
import re
from datetime import timedelta

import pytest

from crawler.declarations.catalog import Rules, load_catalog
from crawler.text.classify import analyse
from crawler.text.extract import comparable, decode
from crawler.text.parse import parse
from crawler.intake.importer import time_from_name
from helpers import PROJECT

pytestmark = pytest.mark.realdata

CATALOG = load_catalog(PROJECT / "policies")
VARIANTS = {"WhatsApp": "whatsapp/privacy-policy/row-en", "Facebook": "facebook/privacy-policy/us-en", "Google": "google/privacy-policy/us-en"}
# Snapshots that are not the policy page as the reference saw it, and what they are instead.
SHELLS = {  # WhatsApp served a script-rendered shell: the policy text is not in the HTML
    ("WhatsApp", "2020-11-26T06-38-34-05-00.html"), ("WhatsApp", "2020-12-31T07-52-28-05-00.html"),
    ("WhatsApp", "2021-01-01T07-52-28-05-00.html"), ("WhatsApp", "2021-04-05T18-04-44+02-00.html"),
    ("WhatsApp", "2021-04-30T14-48-48+02-00.html"),
}
EN_GB = {("Google", "2020-10-06T09-04-18-04-00.html"), ("Google", "2020-11-26T06-35-14-05-00.html")}


def tokens(text: str) -> collections.Counter:
    return collections.Counter(re.findall(r"\w+", comparable(text).lower()))


def f1(ours: collections.Counter, reference: collections.Counter) -> float:
    overlap = sum((ours & reference).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(ours.values()), overlap / sum(reference.values())
    return 2 * precision * recall / (precision + recall)


def snapshots(realdata):
    for service in VARIANTS:
        for path in sorted((realdata / "dkg-tosback-snapshots" / service / "Privacy Policy").glob("*.html")):
            yield service, path


def score(realdata, service, path):
    variant = CATALOG.variant(VARIANTS[service])
    when = time_from_name(path.name)
    analysis = analyse(None, path.read_bytes(), None, None, variant.rules_at(when), language="en")
    references = [p for p in (realdata / "ota-contrib-versions" / service / "Privacy Policy").glob("*.md")
                  if abs(time_from_name(p.name) - when) <= timedelta(days=150)]
    ours = tokens(analysis.text or "")
    return analysis, max(f1(ours, tokens(p.read_text())) for p in references)


def test_every_policy_snapshot_scores_at_least_097(realdata):
    scores = {}
    for service, path in snapshots(realdata):
        if (service, path.name) in SHELLS | EN_GB:
            continue
        analysis, best = score(realdata, service, path)
        assert analysis.outcome == "ok", (path.name, analysis.detail)
        scores[(service, path.name)] = round(best, 4)
    assert len(scores) == 11
    assert min(scores.values()) >= 0.97, scores


def test_script_rendered_shells_are_recorded_as_empty_not_as_versions(realdata):
    for service, name in SHELLS:
        analysis, _ = score(realdata, service, realdata / "dkg-tosback-snapshots" / service / "Privacy Policy" / name)
        assert analysis.outcome == "empty", (name, analysis.detail)


def test_the_en_gb_renderings_differ_from_the_en_us_reference_by_spelling(realdata):
    for service, name in EN_GB:
        analysis, best = score(realdata, service, realdata / "dkg-tosback-snapshots" / service / "Privacy Policy" / name)
        assert analysis.outcome == "ok" and 0.9 < best < 0.97
        words = comparable(analysis.text)
        assert "customise" in words and "customize" not in words and "hl=en-GB" in analysis.text


ALL_DOCUMENTS = {("WhatsApp", "2020-10-06T09-05-16-04-00.html")}


def recall_precision(realdata, service, path, rules):
    """Token (recall, precision) of ``analyse`` with ``rules`` against the reference of highest F1."""
    when = time_from_name(path.name)
    ours = tokens(analyse(None, path.read_bytes(), None, None, rules, language="en").text)
    references = [tokens(p.read_text()) for p in (realdata / "ota-contrib-versions" / service / "Privacy Policy").glob("*.md")
                  if abs(time_from_name(p.name) - when) <= timedelta(days=150)]
    best = max(references, key=lambda reference: f1(ours, reference))
    overlap = sum((ours & best).values())
    return overlap / sum(best.values()), overlap / sum(ours.values())


# Snapshots that no extraction can score 0.98 recall and 0.95 precision on, against any reference
# within 150 days, because no reference of the period is the rendering the page shows.
OTHER_RENDERING = {
    ("Facebook", "2021-02-08T01-04-35+01-00.html"): "en-US text, the period's references are en-GB (recall at most 0.977)",
    ("Facebook", "2021-03-28T19-18-05+02-00.html"): "en-US text, the period's references are en-GB (recall at most 0.977)",
    ("Google", "2020-10-06T09-04-18-04-00.html"): "holds a California section no reference of the period has",
    ("Google", "2020-11-26T06-35-14-05-00.html"): "holds a California section no reference of the period has",
}
RECALL, PRECISION = 0.98, 0.95


def test_the_fallback_keeps_the_policy_and_little_else_on_every_readable_snapshot(realdata):
    """Recall >= 0.98 and precision >= 0.95 (issue 15) without a selector, on every readable snapshot
    but the page of all legal documents (below) and those of ``OTHER_RENDERING``; and no more than
    0.015 of precision below the declared selectors: the page's chrome (headers, footers, tables of
    contents, columns of links) is gone, not only outweighed. What is left is Google's introduction
    box, inside its article, which the references leave out (precision 0.990 against 1.000)."""
    below = {}
    for service, path in snapshots(realdata):
        if (service, path.name) in SHELLS | ALL_DOCUMENTS | OTHER_RENDERING.keys():
            continue
        declared = CATALOG.variant(VARIANTS[service]).rules_at(time_from_name(path.name))
        recall, precision = recall_precision(realdata, service, path, Rules())
        if recall < RECALL or precision < max(PRECISION, recall_precision(realdata, service, path, declared)[1] - 0.015):
            below[(service, path.name)] = (round(recall, 3), round(precision, 3))
    assert below == {}


def page_tokens(path) -> collections.Counter:
    return tokens(" ".join(parse(decode(path.read_bytes())).root.find("body").itertext()))


def test_no_extraction_reaches_the_targets_on_another_rendering_and_the_fallback_scores_as_the_selectors(realdata):
    """Against every reference within 150 days, either the page's every word recalls less than 0.98
    of it, or the declared selection (exactly the policy) has less than 0.95 precision: the targets
    cannot be met there. The fallback then loses at most 0.005 recall and no precision against the
    selectors (Facebook 2021: 0.976 and 0.987 both; Google en-GB: 0.972 and 0.922 against 0.971 and 0.929,
    the fallback keeping the introduction that the references leave out)."""
    for (service, name), why in OTHER_RENDERING.items():
        path = realdata / "dkg-tosback-snapshots" / service / "Privacy Policy" / name
        when = time_from_name(name)
        declared = CATALOG.variant(VARIANTS[service]).rules_at(when)
        page, selected = page_tokens(path), tokens(analyse(None, path.read_bytes(), None, None, declared, language="en").text)
        for reference_path in (realdata / "ota-contrib-versions" / service / "Privacy Policy").glob("*.md"):
            if abs(time_from_name(reference_path.name) - when) > timedelta(days=150):
                continue
            reference = tokens(reference_path.read_text())
            ceiling = sum((page & reference).values()) / sum(reference.values())
            precision = sum((selected & reference).values()) / sum(selected.values())
            assert ceiling < RECALL or precision < PRECISION, (name, why, reference_path.name, ceiling, precision)
        recall, precision = recall_precision(realdata, service, path, Rules())
        selected_recall, selected_precision = recall_precision(realdata, service, path, declared)
        assert recall >= selected_recall - 0.005 and precision >= selected_precision - 0.01, (name, why, recall, precision)


# The 2020 WhatsApp page held all of WhatsApp's legal documents, one after another (Terms of Service,
# Privacy Policy, Privacy Shield, IP policy, Cookies), and its address (/legal/?eea=1) names none of
# them: nothing in its structure tells which is the policy, so the fallback keeps them all (every
# word of the policy, and the others' words besides: precision 0.455). Only a selector can pick it.
def test_a_page_of_all_legal_documents_keeps_the_whole_policy_and_the_other_documents(realdata):
    for service, name in ALL_DOCUMENTS:
        path = realdata / "dkg-tosback-snapshots" / service / "Privacy Policy" / name
        recall, precision = recall_precision(realdata, service, path, Rules())
        text = comparable(analyse(None, path.read_bytes(), None, None, Rules(), language="en").text)
        assert recall >= RECALL and precision < 0.5
        assert "WhatsApp Terms Of Service" in text and "WhatsApp Privacy Policy" in text and "arbitration" in text


def test_a_page_of_three_regional_policies_keeps_all_three(realdata):
    """TikTok's 2020-2021 page holds its US, EEA and rest-of-world policies one after another, and
    the reference is the EEA one: which region a reader wants is the variant's declaration (a range
    of selectors), not the page's structure, so without selectors all three are kept: every word of
    the EEA policy (recall >= 0.98) at about a third of the text (precision 0.306, 0.327 and 0.343 on
    the first, middle and last snapshots)."""
    for path in sorted((realdata / "dkg-tosback-snapshots" / "TikTok" / "Privacy Policy").glob("*.html")):
        recall, precision = recall_precision(realdata, "TikTok", path, Rules())
        assert recall >= RECALL and precision < 0.4, (path.name, recall, precision)
