"""Extraction: declared selections to Markdown, and normalisation that ignores all but wording."""

from crawler.declarations.catalog import Rules, Selector
from crawler.text.extract import SelectorMiss, comparable, decode, extract, normalize

PAGE = """<html><body><nav>Menu</nav>
<div id="all">
  <h1 id="us">US policy</h1><p>We collect faceprints.<span class="icon">*</span></p>
  <h1 id="eea">EEA policy</h1><p>We rely on legitimate interests.</p>
  <h1 id="row">Other policy</h1><p>We collect less.</p>
</div>
<script>var policy = "We collect faceprints."</script>
<footer>Footer</footer></body></html>"""


def test_a_range_keeps_only_what_lies_between_start_and_end():
    text = extract(PAGE, Rules(select=(Selector(start="#us", end="#eea"),)))
    assert text == "# US policy\n\nWe collect faceprints.\\*"


def test_a_range_without_end_runs_to_the_end_of_the_page():
    text = extract(PAGE, Rules(select=(Selector(start="#row"),)))
    assert text.startswith("# Other policy\n\nWe collect less.") and "EEA" not in text and "Footer" in text


def test_a_range_beside_other_selectors_leaves_their_text_whole():
    text = extract(PAGE, Rules(select=(Selector(css="#all"), Selector(start="#us", end="#eea"))))
    assert text.count("We collect faceprints.") == 2 and "We collect less." in text and "Menu" not in text


def test_images_count_by_their_alt_text_only():
    page = '<main><p>Tap <img src="https://cdn.example/x-123.png" alt="the share icon"> to share.</p><p><img src="y.png"></p></main>'
    assert extract(page, Rules(select=(Selector(css="main"),))) == "Tap the share icon to share."


def test_remove_drops_elements_inside_the_selection():
    text = extract(PAGE, Rules(select=(Selector(start="#us", end="#eea"),), remove=(".icon",)))
    assert text == "# US policy\n\nWe collect faceprints."


def test_scripts_never_reach_the_text():
    text = extract(PAGE, Rules(select=(Selector(css="body"),)))
    assert text.count("We collect faceprints.") == 1 and "var policy" not in text


def test_a_selector_that_matches_nothing_is_an_error_not_an_empty_policy():
    try:
        extract(PAGE, Rules(select=(Selector(css="#policy-card"),)))
    except SelectorMiss as exc:
        assert "#policy-card" in str(exc)
    else:
        raise AssertionError("expected SelectorMiss")


def test_without_selectors_trafilatura_finds_the_main_text():
    paragraphs = "".join(f"<p>Section {i}: we keep your data for {i} days and share it with processors.</p>" for i in range(12))
    html = f"<html><body><nav><a href='/'>Home</a> <a href='/x'>Help</a></nav><main><h1>Privacy</h1>{paragraphs}</main><footer>© Acme</footer></body></html>"
    text = extract(html, Rules())
    assert "Section 11: we keep your data for 11 days" in text and "© Acme" not in text


def test_normalize_ignores_unicode_forms_invisible_characters_and_spacing():
    a = "Privacy\u00a0Policy\u200b  applies.\r\n\r\n\r\n  Next\u00ad paragraph.  "
    b = "Privacy Policy applies.\n\n  Next paragraph."
    assert normalize(a) == normalize(b)


def test_link_targets_do_not_tell_versions_apart_but_words_do():
    assert comparable("[opt out](http://a.example/x)") == comparable("[opt out](https://a.example/y?utm=1)")
    assert comparable("[opt out](http://a.example/x)") != comparable("[opt in](http://a.example/x)")


def test_decode_honours_a_declared_legacy_charset():
    body = "<html><head><meta charset='windows-1252'></head><body>Résumé “quoted”</body></html>".encode("cp1252")
    assert "Résumé “quoted”" in decode(body)


def test_a_horizontal_rule_is_not_a_new_wording():
    before = "# Privacy\n\nWe collect data.\n\n## Sharing\n\nWe share it."
    after = "# Privacy\n\nWe collect data.\n\n- - -\n\n## Sharing\n\nWe share it.\n\n* * *"
    assert comparable(after) == comparable(before)
    assert comparable(after.replace("share it", "sell it")) != comparable(before)
