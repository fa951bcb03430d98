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
