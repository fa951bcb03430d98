"""Declarations: loaded into typed objects, and every error named by file, line and field."""

import pytest
import yaml

from helpers import PROJECT, policyarchive, write_declaration
from crawler.declarations.catalog import CatalogError, Selector, load_catalog

GOOD = """\
service: Acme Cloud
documents:
  - type: privacy-policy
    variants:
      - region: US
        language: en
        url: https://acme.example.com/privacy
        select: ["main article", {start: "#us", end: "#eea"}]
        remove: [".icon"]
        history:
          - until: 2021-07-15
            select: [{start: "#privacy-us", end: "#privacy-eea"}]
      - region: EEA
        language: de
        url: https://acme.example.com/de/privacy
        fetch: browser
"""


def errors_of(tmp_path, text: str) -> list[str]:
    path = tmp_path / "acme.yml"
    path.write_text(text)
    with pytest.raises(CatalogError) as exc:
        load_catalog(path)
    return [str(e) for e in exc.value.errors]


def test_a_valid_declaration_loads_into_ids_and_rules(tmp_path):
    (tmp_path / "acme.yml").write_text(GOOD)
    catalog = load_catalog(tmp_path)

    us, de = catalog.variants
    assert us.id == "acme-cloud/privacy-policy/us-en" and de.id == "acme-cloud/privacy-policy/eea-de"
    assert us.document_id == "acme-cloud/privacy-policy"
    assert us.rules.select == (Selector(css="main article"), Selector(start="#us", end="#eea"))
    assert de.fetch == "browser" and us.fetch == "http"


def test_past_selectors_apply_to_captures_before_their_date(tmp_path):
    from datetime import datetime, timezone

    (tmp_path / "acme.yml").write_text(GOOD)
    us = load_catalog(tmp_path).variants[0]

    assert us.rules_at(datetime(2020, 8, 1, tzinfo=timezone.utc)).select == (Selector(start="#privacy-us", end="#privacy-eea"),)
    assert us.rules_at(datetime(2022, 1, 1, tzinfo=timezone.utc)) == us.rules


def test_a_declaration_edited_in_the_same_process_is_read_again(tmp_path):
    """Catalogs are kept per process (a crawl asks three times); an edit must still be seen."""
    path = tmp_path / "acme.yml"
    path.write_text(GOOD)
    assert load_catalog(tmp_path) is load_catalog(tmp_path)

    path.write_text(GOOD.replace("https://acme.example.com/privacy", "https://acme.example.com/legal/privacy"))

    assert load_catalog(tmp_path).variants[0].url == "https://acme.example.com/legal/privacy"


def test_a_private_host_allowed_later_in_the_process_is_accepted(tmp_path, monkeypatch):
    (tmp_path / "acme.yml").write_text(GOOD.replace("acme.example.com", "10.1.2.3"))
    monkeypatch.delenv("POLICYARCHIVE_ALLOW_PRIVATE_HOSTS")
    with pytest.raises(CatalogError):
        load_catalog(tmp_path)

    monkeypatch.setenv("POLICYARCHIVE_ALLOW_PRIVATE_HOSTS", "10.1.2.3")

    assert load_catalog(tmp_path).variants[0].url.startswith("https://10.1.2.3/")


def test_a_schedule_cron_cannot_read_is_refused_by_validate(tmp_path):
    [error] = errors_of(tmp_path, 'schedule: "61 * * * *"\n' + GOOD)
    assert error.startswith(f"{tmp_path / 'acme.yml'}:1: schedule: ") and "61" in error


def test_bad_yaml_names_the_line(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace('remove: [".icon"]', 'remove: [".icon"'))
    assert error.startswith(f"{tmp_path / 'acme.yml'}:10: (yaml):")


def test_a_missing_url_names_the_variant_and_field(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace("        url: https://acme.example.com/de/privacy\n", ""))
    assert error == f"{tmp_path / 'acme.yml'}:13: documents[0].variants[1].url: is required (or pages: the URLs of a multi-page document)"


def test_an_unknown_fetch_mode_is_refused(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace("fetch: browser", "fetch: selenium"))
    assert error == f"{tmp_path / 'acme.yml'}:16: documents[0].variants[1].fetch: 'selenium' is not one of http, browser"


def test_an_invalid_css_selector_is_refused(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace('end: "#eea"', 'end: "##eea"'))
    assert error.startswith(f"{tmp_path / 'acme.yml'}:8: documents[0].variants[0].select[1].end: invalid CSS selector '##eea'")


def test_an_unknown_field_is_refused_rather_than_ignored(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace("        fetch: browser", "        fetch: browser\n        selct: [main]"))
    assert error == f"{tmp_path / 'acme.yml'}:17: documents[0].variants[1].selct: unknown field; did you mean 'select'?"


def test_a_field_like_none_allowed_lists_the_fields_there(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace("        fetch: browser", "        fetch: browser\n        colour: blue"))
    assert "documents[0].variants[1].colour: unknown field (fields here: " in error and "language" in error


def test_a_url_without_its_scheme_says_what_a_url_needs(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace("url: https://acme.example.com/privacy", "url: acme.example.com/privacy"))
    assert error.endswith("url: 'acme.example.com/privacy' is not a valid url (an http:// or https:// address)")


def test_two_variants_for_the_same_region_and_language_are_refused(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace("region: EEA\n        language: de", "region: US\n        language: en"))
    assert "duplicate variant us-en" in error


def test_every_file_in_a_folder_is_checked_and_all_errors_reported(tmp_path):
    (tmp_path / "a.yml").write_text(GOOD.replace("fetch: browser", "fetch: curl"))
    (tmp_path / "b.yml").write_text("service: B\ndocuments: []\n")
    with pytest.raises(CatalogError) as exc:
        load_catalog(tmp_path)
    assert [e.path.rsplit("/", 1)[1] for e in exc.value.errors] == ["a.yml", "b.yml"]


def test_validate_exits_1_and_prints_file_line_field(tmp_path):
    (tmp_path / "acme.yml").write_text(GOOD.replace("fetch: browser", "fetch: selenium"))
    result = policyarchive("validate", "--policies", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path / 'acme.yml'}:16: documents[0].variants[1].fetch:" in result.stderr


def test_crawl_refuses_a_broken_catalog_and_fetches_nothing(tmp_path, site):
    write_declaration(tmp_path / "policies", "Good", [{"region": "US", "language": "en", "url": site.url("/us")}])
    (tmp_path / "policies" / "broken.yml").write_text("service: Broken\ndocuments:\n  - type: privacy-policy\n    variants:\n      - region: US\n        language: en\n")
    result = policyarchive("crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"))

    assert result.returncode == 1
    assert "broken.yml:5: documents[0].variants[0].url: is required" in result.stderr
    assert site.hits == [] and not (tmp_path / "a.db").exists()


def test_the_bundled_catalogs_validate():
    for folder in ("policies", "crawler/demo/policies"):
        result = policyarchive("validate", "--policies", str(PROJECT / folder))
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("url, why", [("http://acme.example.com:80800/privacy", "Port out of range"),
                                       ("http://acme.example.com:http/privacy", "Port could not be cast"),
                                       ("http://[::1/privacy", "Invalid IPv6 URL"),
                                       ("http://acme^example.com/privacy", "not a valid host name"),
                                       ("http://acme%2fexample.com/privacy", "not a valid host name")])
def test_a_url_whose_port_or_host_cannot_be_read_fails_validate(tmp_path, url, why):
    write_declaration(tmp_path, "Acme", [{"region": "US", "language": "en", "url": url}])
    result = policyarchive("validate", "--policies", str(tmp_path))
    assert result.returncode == 1
    assert "acme.yml:7: documents[0].variants[0].url: " in result.stderr and why in result.stderr, result.stderr


@pytest.mark.parametrize("field, value, why", [("region", "XX", "'XX' is not an ISO 3166 country code or a known zone (EEA, EU, ROW, UK)"),
                                               ("region", "Narnia", "'Narnia' is not an ISO 3166 country code or a known zone (EEA, EU, ROW, UK)"),
                                               ("language", "xx", "'xx' is not an ISO 639 language code"),
                                               ("language", "en-ZZ", "'ZZ' is not an ISO 3166 country code"),
                                               ("timezone", "Mars/Olympus", "'Mars/Olympus' is not an IANA time zone such as Europe/Berlin or UTC"),
                                               ("timezone", "CET+1", "'CET+1' is not an IANA time zone such as Europe/Berlin or UTC"),
                                               ("locale", "en_US", "'en_US' is not a language tag such as en, de-CH or zh-Hant-TW"),
                                               ("locale", "xx-US", "'xx' is not an ISO 639 language code")])
def test_an_unknown_region_language_timezone_or_locale_fails_validate(tmp_path, field, value, why):
    variant = {"region": "US", "language": "en", "url": "https://acme.example.com/privacy", field: value}
    errors = errors_of(tmp_path, yaml.safe_dump({"service": "Acme", "documents": [{"type": "privacy-policy", "variants": [variant]}]}))
    assert any(e.endswith(f"documents[0].variants[0].{field}: {why}") for e in errors), errors


@pytest.mark.parametrize("region, language", [("US", "en"), ("EEA", "de"), ("ROW", "en"), ("UK", "en-GB"), ("CH", "fr-CH"),
                                              ("BR", "pt-BR"), ("EU", "es"), ("TW", "zh-Hant-TW")])
def test_known_regions_zones_and_languages_validate(tmp_path, region, language):
    variant = {"region": region, "language": language, "url": "https://acme.example.com/privacy"}
    (tmp_path / "acme.yml").write_text(yaml.safe_dump({"service": "Acme", "documents": [{"type": "privacy-policy", "variants": [variant]}]}))
    assert load_catalog(tmp_path).variants[0].region == region


@pytest.mark.parametrize("timezone, locale", [("America/New_York", "en-US"), ("UTC", "de"), ("Europe/Berlin", "de-DE")])
def test_known_timezones_and_locales_validate(tmp_path, timezone, locale):
    variant = {"region": "US", "language": "en", "url": "https://acme.example.com/privacy", "timezone": timezone, "locale": locale}
    (tmp_path / "acme.yml").write_text(yaml.safe_dump({"service": "Acme", "documents": [{"type": "privacy-policy", "variants": [variant]}]}))
    assert (load_catalog(tmp_path).variants[0].timezone, load_catalog(tmp_path).variants[0].locale) == (timezone, locale)


def test_two_documents_of_one_type_in_one_file_fail_validate(tmp_path):
    errors = errors_of(tmp_path, GOOD + """  - type: privacy-policy
    variants:
      - region: UK
        language: en
        url: https://acme.example.com/uk/privacy
""")
    assert errors == [f"{tmp_path / 'acme.yml'}:{GOOD.count(chr(10)) + 1}: documents[1].type: duplicate document type 'privacy-policy' "
                      f"(also documents[0]): its variants would share the ids acme-cloud/privacy-policy/..."]


def test_a_yaml_alias_is_read_as_the_value_it_names(tmp_path):
    (tmp_path / "acme.yml").write_text(GOOD.replace('select: ["main article", {start: "#us", end: "#eea"}]', 'select: &s ["main article"]')
                                       .replace("fetch: browser", "fetch: browser\n        select: *s"))
    us, de = load_catalog(tmp_path).variants
    assert us.rules.select == de.rules.select == (Selector(css="main article"),)


def test_a_yaml_alias_bomb_is_refused_without_being_expanded(tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    errors = errors_of(tmp_path, "\n".join(levels) + "\nservice: Bomb\ndocuments: *a9\n")
    assert len(errors) == 1 and errors[0].startswith(f"{tmp_path / 'acme.yml'}:")
    assert errors[0].endswith(": (yaml): aliases (*name) expand this declaration past 10 times its 33 values: write the values out")


@pytest.mark.parametrize("name", ["微信", "Яндекс", "!!!"])
def test_a_service_name_that_gives_no_id_fails_validate(tmp_path, name):
    errors = errors_of(tmp_path, GOOD.replace("service: Acme Cloud", f"service: {name!r}"))
    assert errors == [f"{tmp_path / 'acme.yml'}:1: service: {name!r} gives an empty id (ids are made of the Latin letters "
                      f"and digits in the name): write the name in Latin letters, as WeChat for 微信"]


def test_page_actions_load_in_order(tmp_path):
    (tmp_path / "acme.yml").write_text(GOOD + "        actions: [{click: '#accept', optional: true}, {wait_for: main}, {scroll: bottom}]\n")
    [eea] = [v for v in load_catalog(tmp_path).variants if v.region == "EEA"]
    assert [(a.kind, a.target, a.optional) for a in eea.actions] == [
        ("click", "#accept", True), ("wait_for", "main", False), ("scroll", "bottom", False)]


def test_a_page_action_with_an_invalid_selector_is_named_by_line_and_field(tmp_path):
    [error] = errors_of(tmp_path, GOOD + "        actions:\n          - click: '##accept'\n")
    assert error.startswith(f"{tmp_path / 'acme.yml'}:18: documents[0].variants[1].actions[0].click: invalid CSS selector '##accept'")


def test_page_actions_on_a_variant_fetched_without_a_browser_are_refused(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace('        remove: [".icon"]', '        remove: [".icon"]\n        actions: [{scroll: bottom}]'))
    assert error == f"{tmp_path / 'acme.yml'}:10: documents[0].variants[0].actions: actions run in a browser: declare fetch: browser"


def test_an_unknown_page_action_is_refused(tmp_path):
    [error] = errors_of(tmp_path, GOOD + "        actions: [{hover: '#menu'}]\n")
    assert "documents[0].variants[1].actions[0]" in error


@pytest.mark.parametrize("twice, line", [
    ('service: Acme Cloud\nservice: Other\n', 2),
    ('        url: https://acme.example.com/privacy\n        url: https://acme.example.com/other\n', 8),
    ('        select: ["main article", {start: "#us", end: "#eea"}]\n        select: ["article"]\n', 9),
])
def test_a_field_written_twice_is_refused_not_silently_replaced(tmp_path, twice, line):
    first = twice.splitlines(keepends=True)[0]
    [error] = errors_of(tmp_path, GOOD.replace(first, twice, 1))
    name = first.split(":")[0].strip()
    assert error == (f"{tmp_path / 'acme.yml'}:{line}: (yaml): {name!r} is written twice here (first on line {line - 1}): "
                     f"YAML would keep only the last one; remove one")


def test_the_same_field_in_two_mappings_is_no_duplicate(tmp_path):
    (tmp_path / "acme.yml").write_text(GOOD)  # select: in a variant and in its history; region: in each variant
    assert len(load_catalog(tmp_path).variants) == 2


@pytest.mark.parametrize("action, field, message", [
    ("{click: '#accept', wait: 3}", "actions[0].wait", "unknown field"),
    ("{scroll: top}", "actions[0].scroll", "'top' is not one of bottom"),
    ("{click: '#accept', optional: 'yes'}", "actions[0].optional", "'yes' is not of type 'boolean'"),
    ("{hover: '#menu'}", "actions[0]", "{'hover': '#menu'} is none of the forms allowed here: {click: ...}, {wait_for: ...}, {scroll: ...}"),
])
def test_a_wrong_page_action_names_the_field_at_fault(tmp_path, action, field, message):
    [error] = errors_of(tmp_path, GOOD + f"        actions: [{action}]\n")
    assert error.startswith(f"{tmp_path / 'acme.yml'}:17: documents[0].variants[1].{field}: {message}"), error


def test_a_selector_neither_css_nor_a_range_names_the_field_at_fault(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace('{start: "#us", end: "#eea"}', '{start: "#us", until: "#eea"}'))
    assert error.startswith(f"{tmp_path / 'acme.yml'}:8: documents[0].variants[0].select[1].until: unknown field"), error


def test_a_file_not_in_utf8_names_the_line_of_the_first_byte_that_is_not(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_bytes(GOOD.replace("Acme.example.com/de", "acme.example.com/dé").replace("/de/", "/dé/").encode("latin-1"))
    with pytest.raises(CatalogError) as exc:
        load_catalog(path)
    assert [str(e) for e in exc.value.errors] == [
        f"{path}:15: (file): byte 0xe9 is not UTF-8 (invalid continuation byte): save the file as UTF-8"]


def test_a_file_with_a_utf8_byte_order_mark_loads(tmp_path):
    (tmp_path / "acme.yml").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert len(load_catalog(tmp_path).variants) == 2


@pytest.mark.parametrize("character", ["\x00", "\x07"])
def test_a_control_character_names_its_line(tmp_path, character):
    [error] = errors_of(tmp_path, GOOD.replace("fetch: browser", f"fetch: brow{character}ser"))
    assert error == f"{tmp_path / 'acme.yml'}:16: (yaml): character #x{ord(character):04x}: control characters are not allowed"


def test_a_tab_used_for_indentation_is_named_as_a_tab(tmp_path):
    [error] = errors_of(tmp_path, GOOD.replace("      - region: EEA", "\t- region: EEA"))
    assert error == f"{tmp_path / 'acme.yml'}:13: (yaml): found character that cannot start any token: a tab; YAML indents with spaces"


@pytest.mark.parametrize("value, line, why", [
    ("1" * 5000, 6, "cannot be read as int: Exceeds the limit (4300 digits)"),
    ("!!timestamp 2021-13-45", 6, "'2021-13-45' cannot be read as timestamp: month must be in 1..12"),
    ("!!timestamp soon", 6, "'soon' cannot be read as timestamp: "),
    ("!!float abc", 6, "'abc' cannot be read as float: could not convert string to float: 'abc'"),
])
def test_a_value_yaml_cannot_build_names_its_line_not_a_traceback(tmp_path, value, line, why):
    [error] = errors_of(tmp_path, GOOD.replace("language: en", f"language: {value}"))
    assert error.startswith(f"{tmp_path / 'acme.yml'}:{line}: (yaml): ") and why in error, error


@pytest.mark.parametrize("key, kind", [("1", "int"), ("yes", "bool"), ("~", "null"), (".inf", "float")])
def test_a_key_yaml_reads_as_no_text_is_refused_not_ignored(tmp_path, key, kind):
    [error] = errors_of(tmp_path, GOOD.replace("        fetch: browser", f"        fetch: browser\n        {key}: x"))
    assert error == (f"{tmp_path / 'acme.yml'}:17: (yaml): the key {key!r} is read as {kind}, not as a field name: "
                     f"write it in quotes ('{key}') or correct it")


def test_a_quoted_key_that_looks_like_a_number_is_a_field_name(tmp_path):
    (tmp_path / "acme.yml").write_text(GOOD.replace("        fetch: browser", "        fetch: browser\n        headers: {'1': x}"))
    assert load_catalog(tmp_path).variants[1].headers == {"1": "x"}


@pytest.mark.parametrize("written, read_as", [
    ("region: NO", "is read as the boolean false (YAML reads unquoted yes, no, on, off, true and false so): "
                   "write the value in quotes, as 'NO' for Norway"),
    ("region: 123", "is read as the number 123: write the value in quotes"),
    ("region:", "is empty: write a value"),
])
def test_a_value_yaml_reads_as_no_text_says_how_it_was_read(tmp_path, written, read_as):
    [error] = errors_of(tmp_path, GOOD.replace("region: US", written))
    assert error == f"{tmp_path / 'acme.yml'}:5: documents[0].variants[0].region: {read_as}"


@pytest.mark.parametrize("header, name, why", [
    ('"Bad Name": x', "Bad Name", "'Bad Name' is not a header name (letters, digits and !#$%&'*+-.^_`|~; no spaces or colons)"),
    ('"X-A:": x', "X-A:", "'X-A:' is not a header name (letters, digits and !#$%&'*+-.^_`|~; no spaces or colons)"),
    ('X-A: "a\\r\\nInjected: b"', "X-A", "'a\\r\\nInjected: b' holds a line break or a control character: a header is one line"),
    ('X-A: "a\\0b"', "X-A", "'a\\x00b' holds a line break or a control character: a header is one line"),
])
def test_a_header_that_cannot_be_sent_fails_validate(tmp_path, header, name, why):
    [error] = errors_of(tmp_path, GOOD.replace("        fetch: browser", f"        fetch: browser\n        headers:\n          {header}"))
    assert error == f"{tmp_path / 'acme.yml'}:18: documents[0].variants[1].headers.{name}: {why}"


@pytest.mark.parametrize("character, name", [
    ("\u200b", "U+200B ZERO WIDTH SPACE"), ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u00ad", "U+00AD SOFT HYPHEN"), ("\x7f", "U+007F a control character"),
])
def test_a_url_holding_an_invisible_character_fails_validate(tmp_path, character, name):
    escaped = character.encode("unicode_escape").decode()
    [error] = errors_of(tmp_path, GOOD.replace("url: https://acme.example.com/privacy", f'url: "https://acme.example.com/priv{escaped}acy"'))
    assert error == (f"{tmp_path / 'acme.yml'}:7: documents[0].variants[0].url: holds an invisible character, {name}, "
                     f"after 'https://acme.example.com/priv': delete it")


def test_a_selector_that_translates_but_cannot_run_fails_validate(tmp_path):
    """``svg|rect`` is CSS, but its namespace prefix is one the extraction's engine does not know:
    every capture of the variant would fail at extraction."""
    [error] = errors_of(tmp_path, GOOD.replace('remove: [".icon"]', 'remove: ["svg|rect"]'))
    assert error.startswith(f"{tmp_path / 'acme.yml'}:9: documents[0].variants[0].remove[0]: invalid CSS selector 'svg|rect': "), error


@pytest.mark.parametrize("field, line", [("wait_for", 17), ("proxy", 17)])
def test_an_empty_value_that_would_be_silently_ignored_fails_validate(tmp_path, field, line):
    [error] = errors_of(tmp_path, GOOD.replace("        fetch: browser", f"        fetch: browser\n        {field}: ''"))
    assert error == f"{tmp_path / 'acme.yml'}:{line}: documents[0].variants[1].{field}: '' should be non-empty"
