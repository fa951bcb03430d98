"""The regional gap: what one variant of a document says at a date that another, in the same
language, does not, clause by clause, read from the clause index (issue 13).

It is the ``clause_gap`` canned query of ``metadata.yml``, run here as it stands there, so the query a
reporter opens and the compare page's summary cannot disagree. A reworded pair (a clause and its
counterpart or rewording, linked by the index) is told apart from the clauses only one variant has.
Each clause comes with the watched terms it carries; those carrying one come first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import yaml

from crawler.text.terms import watched_in
from crawler.web.publish import METADATA

SQL = yaml.safe_load(METADATA.read_text())["databases"]["archive"]["queries"]["clause_gap"]["sql"]


@dataclass(frozen=True)
class Clause:
    id: int
    text: str
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reworded:
    a: Clause
    b: Clause
    similarity: int

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.a.terms) | set(self.b.terms)))


@dataclass
class ClauseGap:
    only_a: list[Clause] = field(default_factory=list)
    only_b: list[Clause] = field(default_factory=list)
    reworded: list[Reworded] = field(default_factory=list)


def _clause(clause_id: int, text: str) -> Clause:
    return Clause(clause_id, text, tuple(sorted(watched_in(text))))


def _terms_first(items: list) -> list:
    """Clauses (or pairs) that carry watched terms first, each group in the text's order."""
    return sorted(items, key=lambda item: not item.terms)


def regional_gap(conn: sqlite3.Connection, a: str, b: str, at: str = "") -> ClauseGap:
    """Variants ``a`` and ``b`` as their latest captures up to ``at`` saw them (a date means its whole
    day, UTC; empty: now), compared clause by clause."""
    gap = ClauseGap()
    for kind, similarity, a_id, a_text, b_id, b_text, *_ in conn.execute(SQL, {"a": a, "b": b, "at": at}):
        if kind == "only in A":
            gap.only_a.append(_clause(a_id, a_text))
        elif kind == "only in B":
            gap.only_b.append(_clause(b_id, b_text))
        else:
            gap.reworded.append(Reworded(_clause(a_id, a_text), _clause(b_id, b_text), similarity))
    return ClauseGap(_terms_first(gap.only_a), _terms_first(gap.only_b), _terms_first(gap.reworded))
