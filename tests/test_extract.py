"""Extraction: declared selections to Markdown, and normalisation that ignores all but wording."""

import pytest

from crawler.declarations.catalog import Rules, Selector
from crawler.text.extract import SelectorMiss, comparable, comparable_normalized, decode, extract, extract_counted, normalize

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


@pytest.mark.parametrize("end", ["#gone", "nav"], ids=["end-missing", "end-before-start"])
def test_a_range_whose_end_is_not_after_its_start_is_a_miss_not_the_rest_of_the_page(end):
    with pytest.raises(SelectorMiss, match=f"matches its end '{end}'"):
        extract(PAGE, Rules(select=(Selector(start="#eea", end=end),)))


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


def test_without_selectors_the_main_content_is_the_policy():
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


@pytest.mark.parametrize("label", ["base64", "hex", "rot13", "idna", "punycode", "undefined"])
@pytest.mark.parametrize("where", ["header", "meta"])
def test_a_charset_label_that_names_no_text_encoding_is_ignored_as_a_browser_ignores_it(label, where):
    body = "<html><head><meta charset='{}'></head><body><p>Café policy</p></body></html>".format(label if where == "meta" else "utf-8")
    header = f"text/html; charset={label}" if where == "header" else "text/html"
    assert "<p>Café policy</p>" in decode(body.encode(), header)


def test_decode_honours_a_declared_legacy_charset():
    body = "<html><head><meta charset='windows-1252'></head><body>Résumé “quoted”</body></html>".encode("cp1252")
    assert "Résumé “quoted”" in decode(body)


def test_a_horizontal_rule_is_not_a_new_wording():
    before = "# Privacy\n\nWe collect data.\n\n## Sharing\n\nWe share it."
    after = "# Privacy\n\nWe collect data.\n\n- - -\n\n## Sharing\n\nWe share it.\n\n* * *"
    assert comparable(after) == comparable(before)
    assert comparable(after.replace("share it", "sell it")) != comparable(before)


# Pages as browsers repair them (the WHATWG parsing algorithm): what a reader sees is what is kept.
CLAUSE = "We collect your name and email address when you sign up, and keep them for a year."
ARTICLE, RANGE, FALLBACK = Rules(select=(Selector(css="article"),)), Rules(select=(Selector(start="article", end="footer"),)), Rules()


def page(inner: str) -> str:
    """A policy page whose article holds ``inner`` after an ordinary paragraph, with a footer after it."""
    return f"<html><body><nav><a href='/'>Home</a></nav><article><h1>Privacy</h1><p>{CLAUSE}</p>{inner}</article><footer>Footer</footer></body></html>"


@pytest.mark.parametrize("rules", [ARTICLE, RANGE], ids=["css", "range"])
def test_a_stray_body_end_tag_inside_a_table_keeps_the_text_after_it(rules):
    text = extract(page("<table><tr><td>Cell one</td></body><td>Cell two</td></tr></table><p>After the table we share data.</p>"), rules)
    assert "Cell two" in text and "After the table we share data." in text


@pytest.mark.parametrize("rules", [ARTICLE, RANGE, FALLBACK], ids=["css", "range", "fallback"])
def test_a_stray_html_end_tag_inside_a_table_keeps_the_text_after_it(rules):
    text = extract(page("<table><tr><td>Cell one</td></html><td>Cell two</td></tr></table><p>After the table we share data with processors.</p>"), rules)
    assert "Cell two" in text and "After the table we share data with processors." in text


@pytest.mark.parametrize("rules", [ARTICLE, RANGE], ids=["css", "range"])
def test_a_form_nested_in_a_form_keeps_its_text_as_a_browser_shows_it(rules):
    text = extract(page("<form><table><tr><td><form>Inner words.</form>Kept text here.</td></tr></table></form><p>After forms.</p>"), rules)
    assert "Inner words." in text and "Kept text here." in text


@pytest.mark.parametrize("rules", [ARTICLE, RANGE, FALLBACK], ids=["css", "range", "fallback"])
def test_an_element_nested_300_deep_keeps_the_text_after_it(rules):
    deep = "<div>" * 300 + "<span></span>" + "</div>" * 300
    text = extract(page(f"{deep}<p>After the deep element we share data with processors and advertisers.</p>"), rules)
    assert "After the deep element we share data with processors and advertisers." in text


def test_misnested_emphasis_is_repaired_as_a_browser_repairs_it():
    text = extract(page("<p><b>Bold <i>both</b> italic</i> plain.</p>"), ARTICLE)
    assert "**Bold *both*** *italic* plain." in text


def test_control_characters_in_the_page_do_not_stop_the_parse():
    text = extract(page("<p>Data\x00 is \x01kept\x0b here.</p><p title='a\x02b'>And here.</p>"), ARTICLE)
    assert "Data is kept here." in text and "And here." in text


def test_prefixed_tags_and_odd_attribute_names_keep_their_text():
    text = extract(page('<p>Word <o:p>exports</o:p> <x y:z="1" "q=2>keep</x> this.</p>'), ARTICLE)
    assert "Word exports keep this." in text


@pytest.mark.parametrize("rules", [ARTICLE, FALLBACK], ids=["css", "fallback"])
def test_words_nested_3000_deep_are_kept_where_a_browser_caps_the_depth(rules):
    deep = "<div>" * 3000 + "<span>Deeply nested words stay.</span>" + "</div>" * 3000
    text = extract(page(f"{deep}<p>After the deep element we share data with processors and advertisers.</p>"), rules)
    assert "Deeply nested words stay.\n\nAfter the deep element" in text


# The comparison key is the visible words in order: what Markdown only typesets does not make a version.
POLICY_MD = "# Privacy\n\nSee this article on [the European Commission website](https://ec.europa.eu/a) for details.\n\n## Sharing\n\nWe share data with processors."


@pytest.mark.parametrize("restyled", [
    "# Privacy\n\nSee this article on the [European Commission website](https://ec.europa.eu/b) for details.\n\n## Sharing\n\nWe share data with processors.",
    "## Privacy\n\nSee this article on [the European Commission website](https://ec.europa.eu/a) for details.\n\n### Sharing\n\nWe share data with processors.",
    "Privacy\n=======\n\nSee this article on [the European Commission website](https://ec.europa.eu/a) for details.\n\nSharing\n-------\n\nWe share data with processors.",
    "# Privacy\n\nSee this article on **the European Commission website** for details.\n\n## Sharing\n\nWe share *data* with _processors_.",
    "# Privacy\n\n- See this article on [the European Commission website](https://ec.europa.eu/a) for details.\n\n## Sharing\n\n1. We share data with processors.",
    "# Privacy\n\n> See this article on [the European Commission website](https://ec.europa.eu/a) for details.\n\n## Sharing\n\n* We share data with processors.",
    "# Privacy\n\nSee this   article on [the European Commission\nwebsite](https://ec.europa.eu/a) for details.\n\n\n\n## Sharing\n\nWe share data with processors.  ",
], ids=["link-span", "heading-level", "setext-heading", "emphasis", "list-markers", "blockquote-bullets", "whitespace"])
def test_markdown_typesetting_is_not_a_new_wording(restyled):
    assert comparable(restyled) == comparable(POLICY_MD)


def test_table_borders_and_cell_pipes_are_not_a_new_wording():
    table = "| Data | Purpose |\n| --- | --- |\n| Email | Sign-in |"
    assert comparable(table) == comparable("|Data|Purpose|\n|:-:|:-|\n|Email|Sign-in|") == comparable("Data Purpose\n\nEmail Sign-in")


def test_curly_and_straight_quotes_and_dashes_are_not_a_new_wording():
    assert comparable("We don’t sell “personal data” – ever — see ‘Rights’ ‑ and «Choices».") == \
        comparable("We don't sell \"personal data\" - ever - see 'Rights' - and \"Choices\".")


@pytest.mark.parametrize("invisible", ["\x00", "\x01", "\u2061", "\u2062", "\u2063", "\u2064", "\u180e", "\u034f", "\u061c", "\u3164",
                                       "\ufe0f", "\ufe00", "\U000e0100", "\u2066", "\u2067", "\u2068", "\u2069", "\u202a", "\u202e",
                                       "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad", "\u115f", "\uffa0"])
def test_invisible_characters_inside_a_word_are_not_a_new_wording(invisible):
    assert comparable(f"We collect per{invisible}sonal data.") == comparable("We collect personal data.")


def test_utf8_bytes_labelled_windows_1252_give_the_same_text():
    html = "<html><body><article><p>We don’t sell “personal data” – ever. Café.</p></article></body></html>"
    mislabelled = decode(html.encode("utf-8"), "text/html; charset=windows-1252")
    rules = Rules(select=(Selector(css="article"),))
    assert extract(mislabelled, rules) == extract(html, rules) == "We don’t sell “personal data” – ever. Café."


def test_mojibake_in_extracted_text_is_repaired():
    """UTF-8 read as windows-1252 the way browsers read it (0x9D, undefined there, as U+009D)."""
    assert normalize("We donâ€™t sell â€œPlatformâ€\x9d data. CafÃ©.") == "We don’t sell “Platform” data. Café."


def test_a_changed_word_case_or_punctuation_is_a_new_wording():
    base = comparable(POLICY_MD)
    assert comparable(POLICY_MD.replace("processors", "advertisers")) != base
    assert comparable(POLICY_MD.replace("Commission", "commission")) != base
    assert comparable(POLICY_MD.replace("processors.", "processors;")) != base


def test_the_stored_text_keeps_the_markdown():
    html = "<article><h2>Sharing</h2><p>See <a href='https://ec.europa.eu/a'>the <em>EU</em> site</a>.</p></article>"
    assert extract(html, Rules(select=(Selector(css="article"),))) == "## Sharing\n\nSee [the *EU* site](https://ec.europa.eu/a)."


# Coverage: how much of what the page shows the extraction keeps.
def test_the_page_counts_the_words_a_reader_sees_and_not_scripts_or_styles():
    extracted = extract_counted(page("<script>var hidden = 'many words in a script here';</script><style>p {}</style>"), ARTICLE)
    assert extracted.page_words == len(f"Home Privacy {CLAUSE} Footer".split())


def test_the_selection_keeps_its_own_visible_words():
    extracted = extract_counted(page(""), RANGE)
    assert extracted.text.startswith("# Privacy") and extracted.page_words == len(f"Home Privacy {CLAUSE} Footer".split())
    assert len(comparable(extracted.text).split()) == len(f"Privacy {CLAUSE}".split())


def fallback(body: str) -> str:
    return extract(f"<html><body>{body}</body></html>", Rules())


POLICY = "".join(f"<p>Clause {i}: we keep your data for {i} days and share it with processors.</p>" for i in range(6))


def test_the_fallback_keeps_tables_definition_lists_notes_and_asides_of_the_policy():
    text = fallback(f"<main>{POLICY}<table><tr><th>Data</th><th>Kept for</th></tr><tr><td>Location</td><td>90 days</td></tr></table>"
                    "<dl><dt>Processor</dt><dd>A company that handles data for us.</dd></dl>"
                    "<aside><h3>Portability</h3><p>You may take your data elsewhere.</p></aside>"
                    "<p><small>Note, updated 3 May 2020: this section applies in California.</small></p></main>")
    words = comparable(text)
    for kept in ("Location 90 days", "Processor A company that handles data", "Portability You may take your data elsewhere",
                 "Note, updated 3 May 2020"):
        assert kept in words, kept


def test_the_fallback_removes_the_pages_chrome_by_structure():
    text = fallback("<header><a href='/'>Acme home</a></header><nav><a href='/help'>Help centre</a></nav>"
                    "<div role='dialog'><p>We use cookies.</p><button>Accept all</button></div>"
                    "<ul><li><a href='#c1'>Clause one</a></li><li><a href='#c2'>Clause two</a></li></ul>"
                    "<select><option>English</option><option>Deutsch</option></select>"
                    f"{POLICY}<a href='#'>Return to top</a><footer>© Acme 2020</footer>")
    assert comparable(text).startswith("Clause 0: we keep your data") and comparable(text).endswith("share it with processors.")


def test_a_header_and_footer_inside_the_policy_article_are_kept():
    text = fallback(f"<nav>Menu</nav><article><header><h1>Privacy Policy</h1><p>Effective 1 May 2020</p></header>{POLICY}"
                    "<footer>Last updated 2 May 2020</footer></article>")
    assert comparable(text).startswith("Privacy Policy Effective 1 May 2020") and comparable(text).endswith("Last updated 2 May 2020")


def test_a_page_hidden_until_its_script_runs_is_read_and_a_hidden_banner_is_not():
    text = fallback(f"<div style='display: none'>{POLICY}</div><div style='display:none'>Sign up for our newsletter</div>")
    assert "Clause 5" in text and "newsletter" not in text


def test_the_fallback_drops_a_column_of_links_beside_the_policy_and_keeps_the_policys_own_links():
    related = "<ul><li><a href='/notice/payments'>Payments notice</a></li><li><a href='/notice/ads'>Ads notice</a></li></ul>"
    text = fallback(f"<div><div><span>More resources</span><ul><li><a href='/tools'>Interactive tools</a></li>"
                    f"<li><a href='/print'>Printable version</a></li></ul></div><div>{POLICY}<h2>Other notices</h2>{related}</div></div>")
    assert "Interactive tools" not in text and "Payments notice" in text and "Ads notice" in text


def test_the_fallback_drops_a_contents_block_whose_links_point_within_the_page():
    contents = "".join(f"<div><a href='privacy?hl=en#s{i}'>Section {i}</a></div>" for i in range(3))
    sections = "".join(f"<h2 id='s{i}'>Heading {i}</h2><p>We keep <a href='privacy?hl=en#s{i}'>this</a> data for {i} days.</p>"
                       for i in range(3))
    words = comparable(fallback(f"<div><h2>Contents</h2>{contents}</div>{POLICY}{sections}"))
    assert "Contents" not in words and "Section 1" not in words and "We keep this data for 2 days" in words


def test_an_element_of_role_article_is_the_policy_and_the_page_around_it_is_not():
    text = fallback(f"<div><a href='/'>Acme</a> <a href='/terms'>Privacy and terms</a></div>"
                    f"<div role='article'>{POLICY}</div><div>Change language: <a href='?hl=de'>Deutsch</a></div>")
    assert comparable(text).startswith("Clause 0") and "Change language" not in text


def test_an_image_beside_the_policy_keeps_its_alt_text_in_the_fallback():
    text = fallback(f"<div><div><img alt='Diagram of the data flow'></div><div>{POLICY}</div></div>")
    assert "Diagram of the data flow" in text


@pytest.mark.parametrize("raw, seen", [
    ("our pri\u200bvacy policy", "our privacy policy"),  # an invisible character
    ("the \ufb01le we keep", "the file we keep"),  # a compatibility form
    ("the \u00e2\u20ac\u0153Platform\u00e2\u20ac\u009d", "the Platform"),  # mojibake
])
def test_comparable_normalises_a_text_normalize_would_change(raw, seen):
    """``comparable`` skips normalising a text already normalised: never one normalize would change."""
    assert comparable(raw) == comparable(normalize(raw)) == seen


@pytest.mark.parametrize("raw, unsettled", [
    ("We keep   your data.\n\n\n\nFor 30\u00a0days.", False),
    ("caf\u0065\u200d\u0301 menu", True),  # the joiner kept the accent apart: normalize's output is not NFKC
    ("the \u00c3\u200b\u00a9 sign", True),  # the space stood between the halves of a mojibake pair
])
def test_comparable_of_a_normalized_text_is_comparable(raw, unsettled):
    """What ``analyse`` keys a new text by (``comparable_normalized``) is ``comparable``, also where
    normalize's own output is one it would change again."""
    text = normalize(raw)
    assert (normalize(text) != text) == unsettled
    assert comparable_normalized(text) == comparable(text)
