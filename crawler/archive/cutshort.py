"""A text far shorter than another version of its variant: the one rule for a collapse, in either
order of time.

A capture far shorter than the version before it is ``suspect`` when it arrives (store.py). A short
text may come first, too: a first capture cut by a stray ``</body>``, or a short text imported
before longer ones. When a far longer version arrives, the captures of earlier, far shorter versions
are flagged ``cut_short`` with a detail that says so; their outcome, version and changes stay as
recorded (the flag adds to history, never rewrites it). A policy that really grew threefold is
flagged too: the detail asks the reader to check, it decides nothing.
"""

from __future__ import annotations

import sqlite_utils

from crawler.common.plural import count

# A text with fewer than COLLAPSE of the words of another version of its variant is a collapse of it
# (a shell page, a partial render, a soft 404 or consent wall served with 200: 120-140 words in
# place of a 400-word policy).
COLLAPSE = 1 / 2


def collapsed(shorter: int, longer: int) -> bool:
    """Whether a text of ``shorter`` words is a collapse of one of ``longer`` words."""
    return shorter < longer * COLLAPSE


def _detail(words: int, longer: int, seen_at: str) -> str:
    return (f"cut short? {count(words, 'word')} where a later version, seen {seen_at[:19]}Z, has {longer:,}: "
            f"a partial page, or a policy that grew this much")


def flag_earlier(db: sqlite_utils.Database, variant_id: str, when: str, words: int) -> int:
    """Flag the captures before ``when`` whose version is a collapse of a version of ``words``
    words seen at ``when``; how many were flagged."""
    flagged = 0
    for version_id, shorter in db.execute(
            """SELECT DISTINCT v.id, v.words FROM captures c JOIN versions v ON v.id = c.version_id
               WHERE c.variant_id = ? AND c.fetched_at < ? AND c.cut_short IS NULL AND v.words < ?""",
            [variant_id, when, words * COLLAPSE]).fetchall():
        flagged += db.execute(
            "UPDATE captures SET cut_short = ? WHERE variant_id = ? AND version_id = ? AND fetched_at < ? AND cut_short IS NULL",
            [_detail(shorter, words, when), variant_id, version_id, when]).rowcount
    return flagged


def flag_if_later_is_longer(db: sqlite_utils.Database, capture_id: int, variant_id: str, when: str, words: int) -> bool:
    """Flag a capture placed before later ones (an import of older captures) when a later version
    is far longer than its text; whether it was."""
    row = db.execute(
        """SELECT v.words, c.fetched_at FROM captures c JOIN versions v ON v.id = c.version_id
           WHERE c.variant_id = ? AND c.fetched_at > ? ORDER BY v.words DESC, c.fetched_at LIMIT 1""",
        [variant_id, when]).fetchone()
    if row is None or not collapsed(words, row[0]):
        return False
    db.execute("UPDATE captures SET cut_short = ? WHERE id = ?", [_detail(words, row[0], row[1]), capture_id])
    return True


def reexamine_all(db: sqlite_utils.Database) -> int:
    """Flag every capture of an archive as if its versions had arrived in order of time (migration
    18); how many were flagged."""
    flagged = 0
    for variant_id, first_seen, words in db.execute(
            "SELECT variant_id, first_seen, words FROM versions ORDER BY variant_id, first_seen").fetchall():
        flagged += flag_earlier(db, variant_id, first_seen, words)
    return flagged
