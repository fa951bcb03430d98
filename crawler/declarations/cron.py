"""Schedules as cron writes them, read into APScheduler triggers: one reading for the declarations'
check (``validate``), the ``--cron`` option and the scheduler.

Cron expressions are UTC: 5 fields (minute hour day month weekday, Sunday = 0 or 7), or 6 with
seconds first.
"""

from __future__ import annotations

from datetime import timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _day_number(token: str) -> int:
    token = token.lower()
    if token.isdigit() and int(token) <= 7:
        return int(token) % 7
    if token[:3] in _DAYS:
        return _DAYS.index(token[:3])
    raise ValueError(f"{token!r} is not a day of the week")


def _weekdays(field: str) -> str:
    """A crontab weekday field as day names: crontab counts from Sunday, APScheduler 3 from Monday."""
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            first, last = (_day_number(t) for t in span.split("-", 1))
            last = 7 if last == 0 else last
        else:
            first = _day_number(span)
            last = 6 if step else first
        days.update(d % 7 for d in range(first, last + 1, int(step or 1)))
    return ",".join(_DAYS[d] for d in sorted(days))


def cron_trigger(expression: str) -> CronTrigger:
    """A UTC trigger from 5 cron fields, or 6 with seconds first. APScheduler is imported here, not
    with the module: every command loads the catalog, and only a declaration with a schedule needs
    it (40 ms of start-up otherwise)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"{expression!r} has {len(fields)} fields; a schedule has 5 (minute hour day month weekday), or 6 with seconds first")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, weekday = fields
    return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                       day_of_week=_weekdays(weekday), timezone=timezone.utc)
