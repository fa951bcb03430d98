"""Reading a variant's history: when a term appeared, and which changes only alternate.

These answer a reporter's two questions about a clause ("since when?", "is this change real?")
from the versions and changes tables, without SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from crawler.text import terms


@dataclass(frozen=True)
class TermPresence:
    variant_id: str
    region: str
    language: str
    current: bool
    matches: list[str]
    first_seen: str | None
    last_absent: str | None
    versions: int


def _versions(db: sqlite_utils.Database, variant_id: str) -> list[dict]:
    return list(db.query("select id, first_seen, last_seen, text from versions where variant_id = ? order by first_seen, id", [variant_id]))


def _current_version_id(db: sqlite_utils.Database, variant_id: str) -> int | None:
    row = db.execute(
        "select version_id from captures where variant_id = ? and version_id is not null order by fetched_at desc, id desc limit 1",
        [variant_id],
    ).fetchone()
    return row[0] if row else None


def term_presence(db: sqlite_utils.Database, term: str, document_id: str | None = None) -> list[TermPresence]:
    """Per variant: does its current text carry ``term`` (a watched term or a phrase), since when,
    and when was it last seen without it."""
    where, params = ("where document_id = ?", [document_id]) if document_id else ("", [])
    out = []
    for variant in db.query(f"select id, region, language from variants {where} order by id", params):
        versions = _versions(db, variant["id"])
        if not versions:
            continue
        current_id = _current_version_id(db, variant["id"])
        found = {v["id"]: terms.find(term, v["text"]) for v in versions}
        with_term = [v for v in versions if found[v["id"]]]
        without = [v for v in versions if not found[v["id"]]]
        out.append(TermPresence(
            variant_id=variant["id"], region=variant["region"], language=variant["language"],
            current=bool(found.get(current_id)), matches=found.get(current_id) or [],
            first_seen=with_term[0]["first_seen"] if with_term else None,
            last_absent=max((v["last_seen"] for v in without), default=None),
            versions=len(versions),
        ))
    return out


# Fewer changes back and forth than this are read as changes, not as a pattern.
MINIMUM = 3


@dataclass(frozen=True)
class Alternation:
    """A run of changes that only go back and forth between the same two versions."""

    variant_id: str
    versions: tuple[int, int]
    changes: int
    first: str
    last: str


def alternations(db: sqlite_utils.Database, variant_id: str, minimum: int = MINIMUM) -> list[Alternation]:
    """Runs of at least ``minimum`` consecutive changes between the same two versions.

    A banner shown to one region and not another, or an A/B test, makes a page flip between two
    texts: that is one pattern to report, not dozens of changes.
    """
    changes = list(db.query(
        "select from_version_id, to_version_id, detected_at from changes where variant_id = ? and superseded_by is null and visible "
        "order by detected_at, id", [variant_id]
    ))
    return [_alternation(variant_id, run) for run in _runs(changes) if len(run) >= minimum]


def folded(changes: list[dict], minimum: int = MINIMUM) -> list[dict]:
    """``changes`` (of any variants, in the order a page lists them) with each alternation shown once.

    A page shows a flip-flop as the reporter should read it: one row, at the place of the run's
    first change listed, carrying the run as ``alternation``; every other change stays as it was.
    Runs are found per variant, so changes of other variants listed in between do not break them;
    only the changes given are looked at, so a page folds what it already fetched.
    """
    by_variant: dict[str, list[dict]] = {}
    for change in changes:
        by_variant.setdefault(change["variant_id"], []).append(change)
    run_of = {id(c): run for listed in by_variant.values() for run in _runs(listed) for c in run}
    rows = []
    for change in changes:
        run = run_of[id(change)]
        if len(run) < minimum:
            rows.append(change)
        elif change is run[0]:
            rows.append({**change, "alternation": _alternation(change["variant_id"], run)})
    return rows


def _pair(change: dict) -> frozenset:
    return frozenset((change["from_version_id"], change["to_version_id"]))


def _runs(changes: list[dict]) -> list[list[dict]]:
    """Consecutive changes grouped by the two versions they go between, whichever way."""
    runs: list[list[dict]] = []
    for change in changes:
        if runs and _pair(runs[-1][-1]) == _pair(change):
            runs[-1].append(change)
        else:
            runs.append([change])
    return runs


def _alternation(variant_id: str, run: list[dict]) -> Alternation:
    """The run as one pattern; the run may be listed oldest or newest first."""
    dates = [c["detected_at"] for c in run]
    return Alternation(variant_id, tuple(sorted(_pair(run[0]))), len(run), min(dates), max(dates))
