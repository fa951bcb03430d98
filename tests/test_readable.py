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


def test_a_change_that_cuts_across_a_links_markup_is_still_typeset_with_the_target_written_out():
    html = inline("Intro.\n\nFor more, refer to our [Children's Policy](https://a.example/kids?lang=en). End here.",
                  "Intro.\n\nPlease see our [Children's Policy](https://a.example/kids) to learn more. End here.")
    assert ('<p><del>For more, refer to </del><ins>Please see </ins>our Children\'s Policy <code class="link-target" title="where this link leads">'
            'https://a.example/kids<del>?lang=en</del></code><ins> to learn more</ins>. End here.</p>') in html


def test_a_link_within_the_policys_page_is_shown_as_its_words_not_a_link_that_leads_nowhere():
    html = inline("Intro.\n\nSee [Cookies](#cookies \"Cookies\") and [terms](https://a.example/).",
                  "Intro.\n\nSee [Cookies](#cookies \"Cookies\") and [our terms](https://a.example/).")
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


def test_a_heading_whose_level_changed_still_shows_the_change():
    html = inline("Intro.\n\n## Sharing\n\nEnd.", "Intro.\n\n### Sharing\n\nEnd.")
    assert "<ins>#</ins>" in html


def test_markup_inside_an_edited_line_is_escaped():
    html = inline("We collect data.", "We collect <script>alert(1)</script> data.")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_paragraph_moved_and_reworded_is_shown_where_it_now_stands_with_its_old_wording():
    filler = "\n\n".join(f"Paragraph {n} about something else that stays exactly as it was." for n in range(8))
    moved = "We may share your contact details with our partners for marketing purposes."
    reworded = "We may share your contact details with trusted partners for marketing purposes."
    html = inline(f"{moved}\n\n{filler}\n\nEnd.", f"{filler}\n\n{reworded}\n\nEnd.")
    pair = re.search(r'<section class="pair" id="(moved-to-\d+)">(.*?)</section>', html, re.DOTALL)
    assert pair, html
    assert "<del>our </del><ins>trusted </ins>partners" in pair[2]
    assert re.search(rf'<del class="block moved reworded" id="moved-from-\d+".*?<a href="#{pair[1]}">below</a>', html, re.DOTALL)
    assert re.search(r'href="#(moved-from-\d+)"', pair[2])[1] in re.findall(r'id="([^"]+)"', html)


def test_a_paragraph_reworded_in_place_is_not_called_moved():
    html = inline("Intro.\n\nWe may share your details with partners.\n\nEnd.", "Intro.\n\nWe may share your details with trusted partners.\n\nEnd.")
    assert "pair" not in html and "moved" not in html


def test_watched_terms_in_a_change_are_marked_with_numbered_anchors():
    rendered = render(diff("We collect your name.", "We collect your name and faceprints, and your precise location.").ops, "inline")
    assert rendered.marks == {"biometric": 1, "precise-location": 1}
    assert '<mark class="term" id="term-biometric-1" title="watched term: biometric">faceprints</mark>' in str(rendered.inline)


def test_watched_terms_outside_the_change_are_not_marked():
    rendered = render(diff("Biometric data is kept.\n\nWe collect your name.", "Biometric data is kept.\n\nWe collect your email.").ops, "inline")
    assert rendered.marks == {}


def test_each_watched_term_the_change_touches_is_said_added_removed_or_reworded():
    old = "We collect faceprints from videos.\n\nWe retain data for a year.\n\nChildren under 13 may not use the app."
    new = "We collect faceprints from photos and videos.\n\nWe use your precise location.\n\nChildren under 13 may not use the app."
    assert verdicts(old, new) == {"biometric": "reworded", "precise-location": "added", "retention": "removed"}
