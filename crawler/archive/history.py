"""Reading a variant's history: when a term appeared, and which changes only alternate.

These answer a reporter's two questions about a clause ("since when?", "is this change real?")
from the versions and changes tables, without SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from crawler.common.clock import parse
from crawler.text import terms
from crawler.text.clauses import clauses_with


@dataclass(frozen=True)
class Window:
    """When something happened, as honestly as captures tell it: after ``before`` (the last capture
    that did not show it; None when it was there from the first capture) and by ``after`` (the first
    capture that did). ``change`` is the step between the two versions, as (from, to) version ids."""

    before: str | None
    after: str
    change: tuple[int, int] | None = None

    @property
    def days(self) -> float | None:
        """How long the archive did not look: from ``before`` to ``after``, in days."""
        return (parse(self.after) - parse(self.before)).total_seconds() / 86400 if self.before else None


@dataclass(frozen=True)
class TermPresence:
    """Whether a variant's text carries a term: ``status`` is yes or no as of its latest readable
    capture (``as_of``), or unknown when it has none. ``clauses`` are the paragraphs of the current
    text that carry it; ``appeared`` is the window of its latest appearance, ``removed`` the window of
    its removal when it is gone now."""

    variant_id: str
    region: str
    language: str
    status: str
    as_of: str | None = None
    matches: list[str] = field(default_factory=list)
    clauses: list[str] = field(default_factory=list)
    appeared: Window | None = None
    removed: Window | None = None
    versions: int = 0


YES, NO, UNKNOWN = "yes", "no", "unknown"


def _presence(db: sqlite_utils.Database, variant: dict, term: str) -> TermPresence:
    """Walk the variant's readable captures in time order, noting each time the term comes or goes."""
    found: dict[int, list[str]] = {}
    texts: dict[int, str] = {}
    appeared = removed = None
    previous = None  # (fetched_at, version_id, has_term) of the capture before
    for fetched_at, version_id in db.execute(
            "select fetched_at, version_id from captures where variant_id = ? and version_id is not null order by fetched_at, id",
            [variant["id"]]):
        if version_id not in found:
            texts[version_id] = db.execute("select text from versions where id = ?", [version_id]).fetchone()[0]
            found[version_id] = terms.find(term, texts[version_id])
        has = bool(found[version_id])
        if previous is None and has:
            appeared, removed = Window(None, fetched_at), None
        elif previous is not None and has != previous[2]:
            window = Window(previous[0], fetched_at, (previous[1], version_id))
            appeared, removed = (window, None) if has else (appeared, window)
        previous = (fetched_at, version_id, has)
    labels = {"variant_id": variant["id"], "region": variant["region"], "language": variant["language"]}
    if previous is None:
        return TermPresence(**labels, status=UNKNOWN)
    as_of, current, has = previous
    return TermPresence(**labels, status=YES if has else NO, as_of=as_of, matches=found[current],
                        clauses=clauses_with(term, texts[current]) if has else [],
                        appeared=appeared, removed=removed, versions=len(found))


def term_presence(db: sqlite_utils.Database, term: str, document_id: str | None = None) -> list[TermPresence]:
    """Per declared variant (of ``document_id``, or all): does its current text carry ``term`` (a
    watched term or a phrase), in which clauses, and in what window did it appear or go. A variant
    never captured is there too, as unknown: a reporter must not read its absence as a no."""
    where, params = ("where document_id = ?", [document_id]) if document_id else ("", [])
    variants = db.query(f"select id, region, language from variants {where} order by id", params)
    return [_presence(db, variant, term) for variant in variants]


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
