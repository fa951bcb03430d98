"""Clauses: a text cut into the pieces a reporter quotes, and two texts compared by them.

A clause is a paragraph, or one item of a list (a policy's "what we collect" is one long list, and a
reporter quotes the item, not the list). Two clauses are the same when a reader sees the same words
(``extract.comparable``); a clause of one text is *reworded* in the other when their wording is at
least REWORDED similar (rapidfuzz's ratio, 0-100).

REWORDED was measured, not guessed: on TikTok's US and Irish privacy policies of July-August 2026
(``../shared/realdata``), the 17 clauses of one text whose closest clause in the other scored 70 or
more were read by hand; at 80 and above, 10 of 10 were the same clause reworded ("To personalize and
customize ... Services" / "Personalise and customise ... Platform"); between 70 and 80, 3 of 5 were,
the other two a list item matched to an unrelated "Information used:" line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from crawler.text.extract import comparable
from crawler.text.terms import find, watched_in

REWORDED = 80
# A line that starts a list item: "- ", "* ", "+ ", "1. ", "1) ".
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")


def clauses(text: str) -> list[str]:
    """``text`` cut into clauses: its paragraphs, and each item of a list on its own."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        current: list[str] = []
        for line in paragraph.strip().splitlines():
            if _ITEM.match(line) and current:
                out.append("\n".join(current))
                current = []
            current.append(line)
        if current:
            out.append("\n".join(current))
    return [c for c in out if c.strip()]


def clauses_with(term: str, text: str) -> list[str]:
    """The clauses of ``text`` in which ``term`` occurs."""
    return [c for c in clauses(text) if find(term, c)]


@dataclass(frozen=True)
class Clause:
    text: str
    terms: tuple[str, ...] = ()


@dataclass
class ClauseGap:
    """What two texts do not share, clause by clause: only in A, only in B, and reworded pairs."""

    only_a: list[Clause] = field(default_factory=list)
    only_b: list[Clause] = field(default_factory=list)
    reworded: list[tuple[Clause, Clause]] = field(default_factory=list)


def _keyed(text: str) -> dict[str, str]:
    return {key: c for c in clauses(text) if (key := comparable(c))}


def _clause(text: str) -> Clause:
    return Clause(text, tuple(sorted(watched_in(text))))


def _terms_first(items: list) -> list:
    """Clauses that carry watched terms first, each group in the text's order."""
    def terms(item):
        return item.terms if isinstance(item, Clause) else item[0].terms + item[1].terms
    return sorted(items, key=lambda item: not terms(item))


def clause_gap(a: str, b: str, threshold: int = REWORDED) -> ClauseGap:
    """The clauses of ``a`` not in ``b`` and of ``b`` not in ``a``, with those that are the same
    clause reworded paired (each clause of ``b`` paired once, to its closest in ``a``)."""
    keyed_a, keyed_b = _keyed(a), _keyed(b)
    only_a = [k for k in keyed_a if k not in keyed_b]
    only_b = [k for k in keyed_b if k not in keyed_a]
    pairs, taken = [], set()
    for key in only_a:
        match = process.extractOne(key, [k for k in only_b if k not in taken], scorer=fuzz.ratio, score_cutoff=threshold)
        if match:
            taken.add(match[0])
            pairs.append((key, match[0]))
    paired_a = {ka for ka, _ in pairs}
    return ClauseGap(
        only_a=_terms_first([_clause(keyed_a[k]) for k in only_a if k not in paired_a]),
        only_b=_terms_first([_clause(keyed_b[k]) for k in only_b if k not in taken]),
        reworded=_terms_first([(_clause(keyed_a[ka]), _clause(keyed_b[kb])) for ka, kb in pairs]),
    )
