"""The archive's one time format: UTC ISO 8601 with microseconds and a ``Z``, written and read here.

Strings in this form sort as the times they name, so SQL compares them as text.
"""

from __future__ import annotations

from datetime import datetime, timezone

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def iso(when: datetime) -> str:
    """``when`` in the archive's format (a naive ``when`` is taken as local time, as Python does)."""
    return when.astimezone(timezone.utc).strftime(FORMAT)


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime(FORMAT)


def parse(text: str) -> datetime:
    """An ISO 8601 time (the archive's, or any with an offset or a ``Z``) as an aware datetime; one
    without an offset is taken as UTC."""
    when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def between(before: str, after: str) -> str:
    """A window between two archive times, as a reader says it: ``between 2021-05-30 and 2021-06-02``,
    or ``on 2021-06-02, between 09:12 and 14:30 UTC`` when both fall on one day ("between D and D"
    reads as an error and hides how narrow the window is), to the second when both fall in one minute."""
    if before[:10] != after[:10]:
        return f"between {before[:10]} and {after[:10]}"
    end = 16 if before[11:16] != after[11:16] else 19
    return f"on {after[:10]}, between {before[11:end]} and {after[11:end]} UTC"
