"""The demo: crawl the bundled site, change it, crawl again: one regional change, seen by Datasette."""

import pytest

from helpers import free_port, policyarchive, rows

pytestmark = pytest.mark.browser


def test_the_demo_records_one_us_only_change_across_four_variants(tmp_path):
    db = tmp_path / "demo.db"
    result = policyarchive("demo", "--no-serve", "--db", str(db))
    assert result.returncode == 0, result.stderr[-3000:]

    captures = rows(db, "select variant_id, outcome, renderer from captures order by id")
    assert len(captures) == 8
    assert {c["variant_id"] for c in captures if c["renderer"] == "browser"} == {"lumen/privacy-policy/row-en"}
    [change] = rows(db, "select variant_id, added_text from changes")
    assert change["variant_id"] == "lumen/privacy-policy/us-en"
    assert "faceprints and voiceprints" in change["added_text"]
    assert {c["outcome"] for c in captures[4:] if c["variant_id"] != "lumen/privacy-policy/us-en"} == {"unchanged"}


def test_a_second_demo_on_the_same_file_starts_afresh_and_records_the_one_change_again(tmp_path):
    """On another port than its declarations name, too: they are copied with the port moved."""
    db = tmp_path / "demo.db"
    for _ in range(2):
        result = policyarchive("demo", "--no-serve", "--db", str(db), "--port", str(free_port()))
        assert result.returncode == 0, result.stderr[-3000:]

    assert [r["trigger"] for r in rows(db, "select trigger from runs")] == ["demo", "demo"]
    assert {r["outcome"] for r in rows(db, "select outcome from captures")} <= {"new", "changed", "unchanged"}
    [change] = rows(db, "select variant_id from changes")
    assert change["variant_id"] == "lumen/privacy-policy/us-en"


def test_the_demo_through_two_workers_names_a_worker_on_every_capture(tmp_path):
    db = tmp_path / "demo.db"
    result = policyarchive("demo", "--no-serve", "--db", str(db), "--port", str(free_port()), "--workers", "2")
    assert result.returncode == 0, result.stderr[-3000:]

    captures = rows(db, "select variant_id, outcome, worker from captures order by id")
    assert len(captures) == 8 and {c["worker"] for c in captures} == {"demo-1", "demo-2"}
    [change] = rows(db, "select variant_id from changes")
    assert change["variant_id"] == "lumen/privacy-policy/us-en"
