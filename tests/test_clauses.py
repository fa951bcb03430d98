"""Two texts compared clause by clause: what only one says, and what the other says in other words."""

from crawler.text.clauses import clause_gap, clauses

US = """We collect your name and email address.

* Your phone contacts, with your permission.
* Biometric identifiers such as faceprints and voiceprints, from your videos.

To personalize and customize certain features and content, such as providing your feed."""
IE = """We collect your name and email address.

* Your phone contacts, with your permission.

Personalise and customise certain features and content, such as providing your feed.

Our lead supervisory authority is the Irish Data Protection Commission."""


def test_a_list_item_is_a_clause_and_a_paragraph_is_one():
    assert clauses(US)[1:3] == ["* Your phone contacts, with your permission.",
                                "* Biometric identifiers such as faceprints and voiceprints, from your videos."]


def test_what_only_one_text_says_is_listed_with_the_watched_terms_it_carries():
    gap = clause_gap(US, IE)
    assert [(c.text, c.terms) for c in gap.only_a] == [
        ("* Biometric identifiers such as faceprints and voiceprints, from your videos.", ("biometric",))]
    assert [c.text for c in gap.only_b] == ["Our lead supervisory authority is the Irish Data Protection Commission."]


def test_a_clause_in_other_words_is_paired_not_listed_twice():
    [(us, ie)] = clause_gap(US, IE).reworded
    assert us.text.startswith("To personalize") and ie.text.startswith("Personalise")


def test_clauses_below_the_threshold_are_not_paired():
    assert clause_gap(US, IE, threshold=100).reworded == []
