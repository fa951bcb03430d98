"""The clause index: each version's text stored as the clauses a reporter quotes (issue 13).

A clause is stored once (``clauses``, keyed by the hash of its visible words, ``extract.comparable``)
and each version lists the clauses it holds, in order, with the heading it stands under
(``version_clauses``). A clause that is new for a variant and rewords a clause of the variant's
previous version (rapidfuzz's ratio at least ``REWORDED``) is linked to it (``clause_rewordings``);
one that rewords a clause another variant of the document in the same language held at the time is
linked to it as its counterpart (``clause_counterparts``), so that the gap between two regions is a
query (docs/decisions/0016-clause-counterparts.md). The cutter and the threshold are
``crawler.text.clauses``': the index and the compare page agree.

Only a new version is indexed: an unchanged capture pays nothing.
"""

from __future__ import annotations

import sqlite3

from rapidfuzz import fuzz, process

from crawler.common.digests import sha256
from crawler.text.clauses import REWORDED, clauses
from crawler.text.extract import comparable


def _section(clause: str, current: str | None) -> str | None:
    """The heading a clause stands under: a Markdown heading starts a section and stands in it."""
    first = clause.lstrip()
    return first.lstrip("#").strip().splitlines()[0] if first.startswith("#") else current


def _clause_id(conn: sqlite3.Connection, key: str, text: str) -> tuple[int, bool]:
    """The id of the clause with these visible words, and whether it was added now."""
    digest = sha256(key)
    row = conn.execute("SELECT id FROM clauses WHERE key_sha256 = ?", [digest]).fetchone()
    if row:
        return row[0], False
    clause_id = conn.execute("INSERT INTO clauses (key_sha256, text, words) VALUES (?, ?, ?)",
                             [digest, text, len(key.split())]).lastrowid
    conn.execute("INSERT INTO clauses_fts (rowid, text) VALUES (?, ?)", [clause_id, text])
    return clause_id, True


def index_version(conn: sqlite3.Connection, version_id: int, text: str, previous_id: int | None = None) -> None:
    """Store the clauses of version ``version_id`` (its ``text``), and link those it rewords from
    ``previous_id``, the variant's version before it."""
    section, keyed, rows = None, {}, []
    for clause in clauses(text):
        key = comparable(clause)
        if not key or key in keyed:
            continue
        section = _section(clause, section)
        keyed[key] = _clause_id(conn, key, clause)
        rows.append((version_id, keyed[key][0], len(rows), section))
    conn.executemany("INSERT INTO version_clauses (version_id, clause_id, position, section) VALUES (?, ?, ?, ?)", rows)
    if previous_id is not None:
        _link_rewordings(conn, previous_id, {k: cid for k, (cid, _) in keyed.items()})


def _link_rewordings(conn: sqlite3.Connection, previous_id: int, keyed: dict[str, int]) -> None:
    """Each clause of the new version not in the previous one, linked to the previous version's
    closest clause that the new one dropped, when they are at least REWORDED alike (each dropped
    clause linked once)."""
    held = set(keyed.values())
    before = conn.execute(
        """SELECT clauses.id, clauses.text FROM version_clauses JOIN clauses ON clauses.id = version_clauses.clause_id
           WHERE version_clauses.version_id = ?""", [previous_id]).fetchall()
    dropped = {comparable(text): cid for cid, text in before if cid not in held}
    kept = {cid for cid, _ in before}
    for key, clause_id in keyed.items():
        if clause_id in kept or not dropped:
            continue
        match = process.extractOne(key, list(dropped), scorer=fuzz.ratio, score_cutoff=REWORDED)
        if match:
            conn.execute("INSERT OR IGNORE INTO clause_rewordings (clause_id, from_clause_id, score) VALUES (?, ?, ?)",
                         [clause_id, dropped.pop(match[0]), round(match[1])])


def _held(conn: sqlite3.Connection, version_id: int) -> dict[int, str]:
    return dict(conn.execute("""SELECT clauses.id, clauses.text FROM version_clauses
        JOIN clauses ON clauses.id = version_clauses.clause_id WHERE version_clauses.version_id = ?""", [version_id]))


# The versions of the other variants of a version's document in its language: each as it stood
# when the version was first seen, and as it stands now. The language is compared without its
# index (``+``): SQLite preferred it to the document's, and read every variant in the language,
# most of a catalog (0.23 ms a new version at 2,000 variants, 0.005 by the document's index).
_SIBLING_VERSIONS = """SELECT (SELECT id FROM versions WHERE variant_id = other.id AND first_seen <= version.first_seen
                   ORDER BY first_seen DESC, id DESC LIMIT 1),
                  (SELECT id FROM versions WHERE variant_id = other.id ORDER BY first_seen DESC, id DESC LIMIT 1)
           FROM versions AS version JOIN variants AS own ON own.id = version.variant_id
           JOIN variants AS other ON other.document_id = own.document_id AND +other.language IS own.language
             AND other.id != own.id
           WHERE version.id = ?"""


def link_counterparts(conn: sqlite3.Connection, version_id: int, previous_id: int | None = None) -> None:
    """Link each clause version ``version_id`` brought to its variant (not in ``previous_id``) to the
    closest clause of each other variant of its document in its language, as that variant stood when
    this version was first seen and as it stands now (a crawl records its captures in the order
    they end, not the order they began), when they are at least REWORDED alike and that variant's
    text does not hold this clause. A clause held before was compared when it was new, or when the
    other variant's clause was: so any two clauses standing at once in two such variants are compared."""
    others = {found for row in conn.execute(_SIBLING_VERSIONS, [version_id]) for found in row if found is not None}
    if not others:
        return
    mine = _held(conn, version_id)
    before = _held(conn, previous_id) if previous_id is not None else {}
    new = {cid: comparable(text) for cid, text in mine.items() if cid not in before}
    if not new:
        return
    for other_id in others:
        candidates = {comparable(text): cid for cid, text in _held(conn, other_id).items() if cid not in mine}
        if not candidates:
            continue
        for clause_id, key in new.items():
            match = process.extractOne(key, list(candidates), scorer=fuzz.ratio, score_cutoff=REWORDED)
            if match:
                conn.execute("INSERT OR IGNORE INTO clause_counterparts (clause_id, counterpart_id, score) VALUES (?, ?, ?)",
                             [clause_id, candidates[match[0]], round(match[1])])
