"""Counts as the commands print them: ``1 version``, ``2 versions``, never ``1 versions``.

Every count a command prints goes through ``count``, so a reader meets one rule everywhere.
"""

from __future__ import annotations


def count(n: float, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: ``plural`` when given, else the noun's regular
    English plural (``version`` → ``versions``, ``body`` → ``bodies``). A float prints without a
    needless ``.0`` (``--stale-after 48h``: ``48 hours``)."""
    shown = f"{n:g}" if isinstance(n, float) else str(n)
    if n == 1:
        return f"{shown} {noun}"
    if plural is None:
        plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{shown} {plural}"
