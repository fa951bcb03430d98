"""Clauses: a text cut into the pieces a reporter quotes, and when two of them are one reworded.

A clause is a paragraph, or one item of a list (a policy's "what we collect" is one long list, and a
reporter quotes the item, not the list). Two clauses are the same when a reader sees the same words
(``extract.comparable``); a clause is *reworded* in another when their wording is at least REWORDED
similar (rapidfuzz's ratio, 0-100). The clause index (``crawler/archive/clauses.py``) cuts and links
with these.

REWORDED was measured, not guessed: on TikTok's US and Irish privacy policies of July-August 2026
(``../shared/realdata``), the 17 clauses of one text whose closest clause in the other scored 70 or
more were read by hand; at 80 and above, 10 of 10 were the same clause reworded ("To personalize and
customize ... Services" / "Personalise and customise ... Platform"); between 70 and 80, 3 of 5 were,
the other two a list item matched to an unrelated "Information used:" line.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from crawler.text.extract import comparable
from crawler.text.terms import find

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


def reworded(old: list[str], new: list[str], threshold: int = REWORDED) -> list[tuple[str, str]]:
    """The clauses of ``old`` that are a clause of ``new`` reworded, as (old, new) pairs: each clause of
    ``new`` paired once, to its closest in ``old``; clauses both lists hold word for word are no rewording."""
    keyed_new = {comparable(c): c for c in new}
    keys_old = {comparable(c) for c in old}
    candidates = [k for k in keyed_new if k and k not in keys_old]
    pairs = []
    for clause in old:
        key = comparable(clause)
        if not key or key in keyed_new:
            continue
        match = process.extractOne(key, candidates, scorer=fuzz.ratio, score_cutoff=threshold)
        if match:
            candidates.remove(match[0])
            pairs.append((clause, keyed_new[match[0]]))
    return pairs
