"""Open Terms Archive's declarations converted: the real sample in ../shared/ota-declarations (a copy
of OTA's contrib collection, EUPL v1.2) validates after conversion, and what cannot be converted is
said, per declaration, never dropped."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers import policyarchive

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def sample(realdata):
    folder = realdata.parent / "ota-declarations" / "declarations"
    if not folder.is_dir():
        pytest.fail(f"no OTA declarations at {folder}")
    return folder


@pytest.fixture(scope="module")
def converted(sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("ota") / "policies"
    result = policyarchive("catalog", "from-ota", str(sample), "--out", str(out), "--region", "EEA", "--language", "en")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_the_whole_sample_converts_into_a_catalog_that_validates(converted, sample):
    out, result = converted
    services = len([p for p in sample.glob("*.json") if not p.name.endswith(".history.json")])
    written = len(list(out.glob("*.yml")))
    assert written > 0.95 * services and f"{written} declarations written to {out}" in result.stdout
    assert policyarchive("validate", "--policies", str(out)).returncode == 0


def test_a_service_keeps_its_url_selectors_selector_history_and_source(converted):
    out, _ = converted
    askfm = yaml.safe_load((out / "askfm.yml").read_text())
    terms = askfm["documents"][0]["variants"][0]
    assert askfm["service"] == "ASKfm" and askfm["documents"][0]["type"] == "terms-of-service"
    assert terms == {"region": "EEA", "language": "en", "url": "https://about.ask.fm/legal/en/terms.html",
                     "select": ["section.container"], "history": [{"until": "2023-05-11T12:31:28Z", "select": ["section.container"]}],
                     "ota": "contrib/ASKfm/Terms of Service"}


def test_each_file_credits_open_terms_archive_and_lists_what_it_could_not_convert(converted):
    out, result = converted
    header = (out / "asus.yml").read_text().split("\nservice:")[0]
    assert "converted from Open Terms Archive's contrib declarations (ASUS.json)" in header
    assert "European Union Public Licence v1.2" in header
    assert 'JavaScript filters (["removeSecurityUpdates"]) are OTA code and are not run' in header
    assert "only startBefore/endBefore ranges convert" in header
    assert "ASUS.json: Vulnerability Disclosure Policy: JavaScript filters" in result.stderr


def test_a_document_of_several_pages_becomes_a_variants_pages_with_their_own_selectors(converted):
    out, _ = converted
    steam = yaml.safe_load((out / "steam.yml").read_text())
    [sale] = [d for d in steam["documents"] if d["type"] == "general-conditions-of-sale"]
    [variant] = sale["variants"]
    assert [p["url"] for p in variant["pages"]] == ["https://store.steampowered.com/steam_refunds/",
                                                    "https://store.steampowered.com/hardware_order_terms",
                                                    "https://help.steampowered.com/en/faqs/view/369C-3E9F-76FD-DEDA"]
    assert variant["pages"][2] == {"url": "https://help.steampowered.com/en/faqs/view/369C-3E9F-76FD-DEDA",
                                   "select": [".faqbbcode_FAQContainer_1BWX4"], "remove": [".faqbbcode_FAQImage_1sKwB"]}
    assert variant["fetch"] == "browser" and "url" not in variant


def test_a_declaration_already_in_the_folder_is_left_alone(sample, tmp_path):
    out = tmp_path / "policies"
    out.mkdir()
    mine = "# my own ASKfm declaration\nservice: ASKfm\ndocuments:\n  - type: privacy-policy\n    variants:\n" \
           "      - {region: US, language: en, url: 'https://ask.fm/privacy'}\n"
    (out / "askfm.yml").write_text(mine)
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(sample / "ASKfm.json", one)
    result = policyarchive("catalog", "from-ota", str(one), "--out", str(out), "--region", "EEA", "--language", "en")
    assert (out / "askfm.yml").read_text() == mine
    assert f"ASKfm.json: {out / 'askfm.yml'} exists; left alone" in result.stderr


def test_a_collection_of_several_languages_asks_which_one(sample, tmp_path):
    result = policyarchive("catalog", "from-ota", str(sample), "--out", str(tmp_path / "p"), "--region", "EEA")
    assert result.returncode == 1 and "the collection names languages en, fr: choose one with --language" in result.stderr
    assert not (tmp_path / "p").exists()


def test_converted_selectors_extract_the_text_ota_recorded_for_the_same_date(sample, realdata, tmp_path):
    """Facebook's and Google's privacy policies of 2020-2021, as dkg/tosback saved them, extracted with the
    converted declarations (the selectors of each snapshot's date): token F1 against OTA's own Markdown of
    that period is at least 0.97 (Google's en-GB renderings aside: OTA recorded the en-US text)."""
    from realdata.test_reference_extraction import EN_GB, SHELLS, f1, tokens

    from crawler.declarations.catalog import load_catalog
    from crawler.intake.importer import time_from_name
    from crawler.text.classify import analyse

    one = tmp_path / "one"
    one.mkdir()
    for service in ("Facebook", "Google", "WhatsApp"):
        for suffix in (".json", ".history.json"):
            if (sample / f"{service}{suffix}").exists():
                shutil.copy(sample / f"{service}{suffix}", one)
    assert policyarchive("catalog", "from-ota", str(one), "--out", str(tmp_path / "p"), "--region", "EEA", "--language", "en").returncode == 0
    catalog = load_catalog(tmp_path / "p")
    scores = {}
    for service in ("Facebook", "Google", "WhatsApp"):
        variant = catalog.variant(f"{service.lower()}/privacy-policy/eea-en")
        for path in sorted((realdata / "dkg-tosback-snapshots" / service / "Privacy Policy").glob("*.html")):
            if (service, path.name) in SHELLS | EN_GB:
                continue
            when = time_from_name(path.name)
            text = analyse(None, path.read_bytes(), None, None, variant.rules_at(when), language="en").text or ""
            references = (realdata / "ota-contrib-versions" / service / "Privacy Policy").glob("*.md")
            nearby = [p for p in references if abs((time_from_name(p.name) - when).days) <= 150]
            scores[(service, path.name)] = max(f1(tokens(text), tokens(p.read_text())) for p in nearby)
    assert len(scores) == 11 and min(scores.values()) >= 0.97, scores


@pytest.mark.parametrize("name, content, why", [
    ("production.fetcher.json", '{"waitForElementsTimeout": 10000}', "not an Open Terms Archive declaration (it has no name): left out"),
    ("Broken.json", '{"name": "Broken", "terms": ', "not JSON (Expecting value: line 1 column 29 (char 28)): left out"),
    ("List.json", '["name"]', "not an Open Terms Archive declaration (it has no name): left out"),
    ("NoUrl.json", '{"name": "NoUrl", "terms": {"Privacy Policy": {"select": "main"}}}',
     "Privacy Policy: no fetch URL: the document is left out"),
])
def test_a_file_that_is_no_declaration_is_named_and_the_others_are_converted(sample, tmp_path, name, content, why):
    folder = tmp_path / "declarations"
    folder.mkdir()
    shutil.copy(sample / "ASKfm.json", folder)
    (folder / name).write_text(content)
    result = policyarchive("catalog", "from-ota", str(folder), "--out", str(tmp_path / "p"), "--region", "EEA", "--language", "en")
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"{name}: {why}" in result.stderr
    assert [p.name for p in (tmp_path / "p").glob("*.yml")] == ["askfm.yml"]
