"""The alerts outbox: which changes each subscription gets, as rows, before anything is sent.

After a run, ``enqueue`` puts the run's matching changes (and any an earlier run left unqueued) into
one alert per subscription: a backfill of years is one digest, not a message per old change. A
subscription first seen now wants changes from this run on, never the archive's past. Delivery
(``crawler/web/alerts.py``) marks an attempt before it sends and the delivery after, each committed:
a delivered alert is never sent again, and a process killed between sending and recording sends
it once more on the next pass (at least once, never lost).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlite_utils

from crawler.common.clock import iso, utcnow
from crawler.declarations.alerts import Subscription
from crawler.text.terms import WATCHED, find

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
# A failed delivery waits POLICYARCHIVE_ALERT_BACKOFF seconds (crawler/capture/settings.py), doubling
# with each attempt, up to MAX_WAIT; after MAX_ATTEMPTS it is failed for good, and `status` says so.
MAX_WAIT, MAX_ATTEMPTS = 6 * 3600.0, 10

_CHANGES = """select changes.id, changes.variant_id, changes.from_version_id, changes.to_version_id, changes.words_added,
      changes.words_removed, changes.added_text, changes.removed_text, changes.detected_at, w.last_before, w.days,
      v.service, v.document_id, v.type, v.region, v.language, captures.run_id,
      (select group_concat(distinct term) from change_terms where change_id = changes.id) as terms
    from changes join captures on captures.id = changes.capture_id
      join variant_labels as v on v.id = changes.variant_id
      join change_windows as w on w.change_id = changes.id"""


def matches(subscription: Subscription, change: dict) -> bool:
    """Whether a change is one the subscription asked for: every filter it names must hold."""
    service_slug = change["document_id"].split("/")[0]
    checks = ((subscription.services, {change["service"], service_slug}), (subscription.documents, {change["document_id"]}),
              (subscription.variants, {change["variant_id"]}), (subscription.regions, {change["region"]}),
              (subscription.languages, {change["language"]}))
    if any(wanted and not set(wanted) & have for wanted, have in checks):
        return False
    if change["words_added"] + change["words_removed"] < subscription.min_words:
        return False
    return not subscription.terms or bool(terms_touched(subscription.terms, change))


def terms_touched(terms: tuple[str, ...], change: dict) -> list[str]:
    """Which of ``terms`` the change touched: a watched term by the change's own record of it
    (``change_terms``), a phrase by the text the change added or removed."""
    recorded = set((change["terms"] or "").split(","))
    return [t for t in terms if (t in recorded if t in WATCHED else
                                 find(t, change["added_text"] or "") or find(t, change["removed_text"] or ""))]


def enqueue(db: sqlite_utils.Database, subscriptions: list[Subscription], run_id: int | None) -> int:
    """Queue, per subscription, the matching changes it has not had; return how many alerts."""
    queued = 0
    with db.atomic():
        for sub in subscriptions:
            first_run = _first_run(db, sub.name, run_id)
            rows = [dict(r) for r in db.query(
                f"""{_CHANGES} where changes.superseded_by is null and changes.visible and captures.run_id >= ?
                    and changes.id not in (select change_id from alert_changes where subscription = ?)
                    order by changes.detected_at, changes.id""", [first_run, sub.name])]
            chosen = [r for r in rows if matches(sub, r)]
            if chosen:
                _queue(db, sub, [r["id"] for r in chosen])
                queued += 1
    return queued


def _first_run(db: sqlite_utils.Database, name: str, run_id: int | None) -> int:
    row = db.execute("select first_run_id from alert_subscriptions where name = ?", [name]).fetchone()
    if row:
        return row[0]
    first = run_id if run_id is not None else (db.execute("select coalesce(max(id), 0) + 1 from runs").fetchone()[0])
    db["alert_subscriptions"].insert({"name": name, "first_run_id": first, "first_seen_at": utcnow()})
    return first


def _queue(db: sqlite_utils.Database, sub: Subscription, change_ids: list[int]) -> None:
    now = datetime.now(timezone.utc)
    due = now if sub.digest == "run" else (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    alert_id = db["alerts"].insert({"subscription": sub.name, "created_at": iso(now), "due_at": iso(due),
                                    "changes": len(change_ids), "status": PENDING, "attempts": 0,
                                    "next_attempt_at": iso(due)}).last_pk
    db["alert_changes"].insert_all({"subscription": sub.name, "change_id": c, "alert_id": alert_id} for c in change_ids)


def due(db: sqlite_utils.Database, force: bool = False) -> list[dict]:
    """Pending alerts whose time has come (all pending ones when ``force``), oldest first."""
    now = utcnow()
    return [dict(r) for r in db.query(
        "select * from alerts where status = ? and (? or next_attempt_at <= ?) order by id", [PENDING, int(force), now])]


def changes_of(db: sqlite_utils.Database, alert_id: int) -> list[dict]:
    """The changes an alert covers, with their labels, window and the watched terms they touched."""
    return [dict(r) for r in db.query(
        f"{_CHANGES} where changes.id in (select change_id from alert_changes where alert_id = ?) order by changes.detected_at",
        [alert_id])]


def attempting(db: sqlite_utils.Database, alert_id: int) -> None:
    """Record the attempt before sending: committed, so a crash mid-send is seen as one."""
    with db.atomic():
        db.execute("update alerts set attempts = attempts + 1 where id = ?", [alert_id])


def delivered(db: sqlite_utils.Database, alert_id: int) -> None:
    with db.atomic():
        db.execute("update alerts set status = ?, delivered_at = ?, last_error = null where id = ?",
                   [DELIVERED, utcnow(), alert_id])


def not_delivered(db: sqlite_utils.Database, alert_id: int, error: str, backoff: float) -> str:
    """Record a failed attempt (``error`` already free of secrets): retry later, or give up after
    MAX_ATTEMPTS. Returns the alert's status."""
    attempts = db.execute("select attempts from alerts where id = ?", [alert_id]).fetchone()[0]
    wait = min(MAX_WAIT, backoff * 2 ** max(0, attempts - 1))
    status = FAILED if attempts >= MAX_ATTEMPTS else PENDING
    with db.atomic():
        db.execute("update alerts set status = ?, last_error = ?, next_attempt_at = ? where id = ?",
                   [status, error, iso(datetime.now(timezone.utc) + timedelta(seconds=wait)), alert_id])
    return status


def stuck(db: sqlite_utils.Database) -> list[dict]:
    """Alerts that failed for good, or still wait after failing: for `policyarchive status`."""
    if "alerts" not in db.table_names():
        return []
    return [dict(r) for r in db.query(
        "select id, subscription, status, attempts, last_error, created_at from alerts "
        "where status = ? or (status = ? and attempts > 0) order by id desc limit 20", [FAILED, PENDING])]


def last_delivery(db: sqlite_utils.Database, name: str) -> str | None:
    row = db.execute("select max(delivered_at) from alerts where subscription = ?", [name]).fetchone()
    return row[0] if row else None

