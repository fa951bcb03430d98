"""Word-level diffs, paragraphs first, stored compactly against the old text."""

from crawler.text.diff import DELETE, EQUAL, INSERT, compact, diff, expand

OLD = "# Policy\n\nWe collect your name.\n\nWe share data with partners.\n\nContact us."


def test_an_inserted_paragraph_is_one_insertion():
    new = OLD.replace("Contact us.", "We may collect faceprints.\n\nContact us.")
    d = diff(OLD, new)
    assert [op for op, _ in d.ops] == [EQUAL, INSERT, EQUAL]
    assert d.added_text == "We may collect faceprints.\n\n" and d.words_added == 4 and d.words_removed == 0


def test_a_changed_word_is_diffed_inside_its_paragraph():
    d = diff(OLD, OLD.replace("partners", "advertisers"))
    assert (DELETE, "partners") in [tuple(o) for o in d.ops] and (INSERT, "advertisers") in [tuple(o) for o in d.ops]
    assert d.words_added == 1 and d.words_removed == 1


def test_stored_ops_rebuild_both_texts():
    new = OLD.replace("your name", "your name and voice").replace("Contact us.", "")
    stored = compact(diff(OLD, new).ops)
    ops = expand(stored, OLD)
    assert "".join(t for op, t in ops if op != INSERT) == OLD
    assert "".join(t for op, t in ops if op != DELETE) == new


def test_equal_runs_are_stored_as_lengths():
    stored = compact(diff(OLD, OLD + "\n\nNew.").ops)
    assert [op for op, _ in stored] == [EQUAL, INSERT, EQUAL]
    assert isinstance(stored[0][1], int) and isinstance(stored[2][1], int)
    assert stored[0][1] + stored[2][1] == len(OLD) and stored[1] == [INSERT, ".\n\nNew"]


def test_a_long_rewritten_stretch_is_replaced_whole_to_stay_fast():
    old, new = " ".join(f"word{i}" for i in range(3000)), " ".join(f"term{i}" for i in range(3000))
    assert [op for op, _ in diff(old, new).ops] == [DELETE, INSERT]
