"""Readable diffs (crawler.web.readable): the Markdown typeset, every change still marked, a
paragraph moved and reworded shown with its old wording, watched terms anchored and judged."""

import re

from crawler.text.diff import diff
from crawler.web.readable import render, verdicts


def inline(old: str, new: str) -> str:
    return str(render(diff(old, new).ops, "inline").inline)


def visible(html: str) -> str:
    return re.sub(r"<[^>]*>", "", html)


def test_a_word_changed_under_a_bold_heading_is_marked_in_typeset_text():
    html = inline("## **Data** we collect\n\nWe keep your *name* and your email.",
                  "## **Data** we collect\n\nWe keep your *name* and your phone number.")
    assert "<p>We keep your <em>name</em> and your <del>email</del><ins>phone number</ins>.</p>" in html
    assert "<strong>Data</strong> we collect</h4>" in html
    assert not re.search(r"##|\*", visible(html))


def test_a_link_whose_target_changed_is_typeset_with_its_target_written_out_and_marked():
    html = inline("Read our [terms](https://a.example/terms) first.", "Read our [terms](https://b.example/terms) first.")
    assert '<p>Read our terms <code class="link-target" title="where this link leads">https://<del>a</del><ins>b</ins>.example/terms</code> first.</p>' in html
    assert "source" not in html


def test_a_link_within_the_policys_page_is_shown_as_its_words_not_a_link_that_leads_nowhere():
    html = inline("Intro.\n\nSee [Cookies](#cookies) and [terms](https://a.example/).", "Intro.\n\nSee [Cookies](#cookies) and [our terms](https://a.example/).")
    assert "See Cookies and " in html and 'href="#' not in html and "](" not in visible(html)


def test_a_link_within_the_policys_page_whose_target_changed_still_shows_the_change():
    html = inline("See [Cookies](#cookies) below.", "See [Cookies](#cookie-policy) below.")
    assert "#<del>cookies</del><ins>cookie-policy</ins></code>" in html


def test_a_separator_drawn_with_escaped_asterisks_is_a_rule():
    html = inline("Intro.\n\n\\*\\*\\*\\*\\*\n\nEnd.", "Intro changed.\n\n\\*\\*\\*\\*\\*\n\nEnd.")
    assert "<hr>" in html and "*" not in visible(html)


def test_a_line_whose_markup_changed_but_not_what_a_reader_sees_is_typeset_unmarked():
    html = inline("Intro.\n\n**What We Collect**\n------------------\n\nEnd.",
                  "Intro.\n\n**What Information We Collect**\n-----------------------------\n\nEnd.")
    assert '<div class="markup-only"' in html and "-" not in visible(html)
