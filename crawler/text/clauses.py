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
