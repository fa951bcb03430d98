"""The synthetic archive's bulk writer (bench/synthetic.py) writes what ``Archive.record`` writes."""

from __future__ import annotations

import collections
import itertools
import sqlite3

import pytest

from bench import synthetic

# Columns that hold the time the archive was made, not anything the captures say.
WRITTEN_AT = {"_migrations": {"applied_at"}, "variants": {"rules_changed_at"}}


def contents(path) -> dict[str, list]:
    """Every table's rows but the timestamps of its making; each full-text index as its terms,
    with the row, column and offset of each (fts5vocab), whatever its segments."""
    conn = sqlite3.connect(path)
    master = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    fts = {name for name, sql in master if sql.upper().startswith("CREATE VIRTUAL TABLE")}
    out = {}
    for name, _ in master:
        if name in fts or name.startswith("sqlite_") or any(name.startswith(f"{f}_") for f in fts):
            continue
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({name})") if row[1] not in WRITTEN_AT.get(name, ())]
        out[name] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {name}"), key=repr)
    for name in fts:
        conn.execute(f"CREATE VIRTUAL TABLE temp.{name}_terms USING fts5vocab(main, {name}, instance)")
        out[name] = sorted(conn.execute(f"SELECT * FROM temp.{name}_terms"))
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    return out


@pytest.mark.parametrize("versions, variants, text_kb, still, outcomes", [
    (200, 50, 30, 0, {"new": 50, "changed": 150}),
    (300, 100, 5, 0, {"new": 100, "changed": 196, "suspect": 4}),  # a change that drops a long paragraph
    (200, 50, 30, 5, {"new": 50, "changed": 121, "unchanged": 29}),  # every fifth step changes nothing (but the last: the rare term)
])
def test_bulk_writer_writes_what_archive_record_writes(tmp_path, monkeypatch, versions, variants, text_kb, still, outcomes):
    monkeypatch.setattr(synthetic, "CHECK_EVERY", 1)  # every joined key checked against comparable()
    monkeypatch.setattr(synthetic, "BATCH", 30)  # several batches, each a batch ahead in the workers
    if still:  # and the rare term only in the last version, which no unchanged step can then bring back
        monkeypatch.setattr(synthetic, "RARE_VERSIONS", 1)
        step, steps = synthetic.Texts.step, itertools.count(1)
        monkeypatch.setattr(synthetic.Texts, "step", lambda texts, v: next(steps) % still and step(texts, v))
    synthetic.generate(tmp_path / "record.db", versions, variants, text_kb, record=True)
    if still:
        steps = itertools.count(1)
    synthetic.generate(tmp_path / "bulk.db", versions, variants, text_kb, workers=2)
    expected, written = contents(tmp_path / "record.db"), contents(tmp_path / "bulk.db")
    assert collections.Counter(row[4] for row in expected["captures"]) == outcomes
    assert expected["clause_counterparts"] and expected["change_terms"]
    assert expected.keys() == written.keys()
    for table in expected:
        assert written[table] == expected[table], table
