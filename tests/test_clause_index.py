"""The clause index: each version stored as its clauses when it is recorded, rewordings linked, and
the first appearance of a phrase read from it."""

import sqlite3

from helpers import LOREM, crawl, policy_page, rows, two_region_archive
from test_archive import archive_before_migration_11

from crawler.archive.store import Archive

US_OLD = "To personalize and customize certain features and content, such as providing your feed."
US_NEW = "Personalise and customise certain features and content, such as providing your feed."
BIOMETRIC = "We may collect biometric identifiers such as faceprints and voiceprints from your videos."
FIRST_APPEARANCE = """SELECT versions.variant_id, min(versions.first_seen) AS first_seen FROM clauses_fts
    JOIN version_clauses ON version_clauses.clause_id = clauses_fts.rowid
    JOIN versions ON versions.id = version_clauses.version_id
    WHERE clauses_fts MATCH ? GROUP BY versions.variant_id"""


def test_a_clause_reworded_in_the_next_version_is_linked_to_the_one_it_rewrites(tmp_path):
    db = two_region_archive(tmp_path, policy_page(LOREM, US_OLD), policy_page(LOREM, US_NEW))
    [link] = rows(db, """SELECT new.text AS new, old.text AS old, score FROM clause_rewordings
                         JOIN clauses new ON new.id = clause_id JOIN clauses old ON old.id = from_clause_id""")
    assert link["old"] == US_OLD and link["new"] == US_NEW and link["score"] >= 80


def test_a_clause_both_regions_hold_is_stored_once(tmp_path):
    db = two_region_archive(tmp_path, policy_page(LOREM, US_OLD))
    [shared] = rows(db, "SELECT id FROM clauses WHERE text = ?", [LOREM])
    holders = rows(db, "SELECT variant_id FROM version_clauses JOIN versions ON versions.id = version_id WHERE clause_id = ?",
                   [shared["id"]])
    assert sorted(h["variant_id"].split("/")[-1] for h in holders) == ["eea-en", "us-en"]


def test_the_first_appearance_of_a_phrase_is_read_from_the_index(tmp_path):
    db = two_region_archive(tmp_path, policy_page(LOREM, US_OLD), policy_page(LOREM, US_OLD, BIOMETRIC))
    [appeared] = rows(db, FIRST_APPEARANCE, ['"faceprints and voiceprints"'])
    second = rows(db, "SELECT first_seen FROM versions WHERE variant_id = ? ORDER BY first_seen", [appeared["variant_id"]])[1]
    assert appeared["variant_id"].endswith("/us-en") and appeared["first_seen"] == second["first_seen"]


def test_an_unchanged_capture_adds_nothing_to_the_index(tmp_path):
    db = two_region_archive(tmp_path, policy_page(LOREM, US_OLD))
    before = rows(db, "SELECT (SELECT count(*) FROM clauses) AS c, (SELECT count(*) FROM version_clauses) AS v")
    crawl(db, tmp_path / "policies")
    assert rows(db, "SELECT (SELECT count(*) FROM clauses) AS c, (SELECT count(*) FROM version_clauses) AS v") == before


def test_an_archive_made_before_the_index_gains_it_for_every_version(tmp_path):
    path = archive_before_migration_11(tmp_path)
    Archive(path).close()
    unindexed = rows(path, """SELECT id FROM versions WHERE length(text) > 0
                              AND id NOT IN (SELECT version_id FROM version_clauses)""")
    assert unindexed == [] and rows(path, "SELECT count(*) AS n FROM clauses")[0]["n"] > 10


def test_an_archive_migrated_to_19_gains_the_counterparts_recording_links(tmp_path):
    reworded = LOREM.replace("such as your name", "for example your name").replace("the content you view", "what you view")
    db = two_region_archive(tmp_path, policy_page(reworded))
    pairs = "SELECT DISTINCT min(clause_id, counterpart_id) AS one, max(clause_id, counterpart_id) AS other FROM clause_counterparts"
    linked = rows(db, pairs)
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE clause_counterparts")
    conn.execute("DELETE FROM _migrations WHERE id = 19")
    conn.commit()
    conn.close()
    Archive(db).close()
    assert len(linked) == 1 and rows(db, pairs) == linked
