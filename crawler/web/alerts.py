"""Alerts as news, delivered with Apprise: one message per alert in the outbox, to every URL of its
subscription.

Messages are Markdown, so that e-mail gets an HTML part beside its text; the captured sentences in
them are hostile input, escaped so that no tag of theirs is rendered. A single change reads as a
headline: service, document, region and language, the watched terms it added or removed, its window, the sentences that carry those terms, and absolute links to the diff
and the version (``--base-url`` of ``serve``, or POLICYARCHIVE_BASE_URL). Several changes (a run
that touched many variants, a backfill of years) are one digest, watched-term changes first. The
outbox (``crawler/archive/outbox.py``) records each attempt before sending and the delivery after.
"""

from __future__ import annotations

import os
import re
from html import escape
from dataclasses import dataclass, field

import sqlite_utils

from crawler.archive import outbox
from crawler.common.clock import between
from crawler.common.plural import count
from crawler.declarations.alerts import Subscription, where
from crawler.text.clauses import clauses
from crawler.text.terms import find, watched_in

BASE_URL_ENV = "POLICYARCHIVE_BASE_URL"


@dataclass
class Message:
    title: str
    body: str


@dataclass
class Delivered:
    sent: int = 0
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{count(self.sent, 'alert')} sent"] + ([f"{count(len(self.failed), 'alert')} not delivered"] if self.failed else [])
        return ", ".join(parts)


def _label(change: dict) -> str:
    return f"{change['service']} {change['type']} ({change['region'] or 'no region'}, {change['language']})"


def _window(change: dict) -> str:
    gap = f"; no capture for {change['days']:.0f} days before it" if change["days"] and change["days"] > 7 else ""
    return between(change["last_before"], change["detected_at"]) + gap if change["last_before"] else f"by {change['detected_at'][:10]}"


def _sides(change: dict) -> dict[str, list[str]]:
    """The watched terms the change added and removed."""
    sides: dict[str, list[str]] = {"added": [], "removed": []}
    for side in sides:
        sides[side] = sorted(watched_in(change[f"{side}_text"] or ""))
    return sides


def _sentences(text: str | None, terms: list[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` clauses of a change's added or removed text that carry a watched term."""
    return [c.strip() for c in clauses(text or "") if any(find(t, c) for t in terms)][:limit]


def _link(base: str | None, path: str) -> str:
    return f"{base}{path}" if base else path


def headline(change: dict) -> str:
    sides = _sides(change)
    said = "; ".join(", ".join(repr(t) for t in terms) + f" {side}" for side, terms in sides.items() if terms)
    words = "+{} / -{} words".format(change["words_added"], change["words_removed"])
    return f"{_label(change)}: {said or words}"


def _paragraph(change: dict, base: str | None) -> str:
    sides = _sides(change)
    lines = [headline(change), f"Changed {_window(change)}: +{change['words_added']} / -{change['words_removed']} words."]
    for side, terms in sides.items():
        for sentence in _sentences(change[f"{side}_text"], terms):
            lines.append(f"{side.capitalize()}: “{escape(sentence, quote=False)}”")
    diff = "/-/diff/{}/{}".format(change["from_version_id"], change["to_version_id"])
    lines.append(f"Diff: {_link(base, diff)}")
    lines.append("Version: " + _link(base, "/-/version/{}".format(change["to_version_id"])))
    return "\n\n".join(lines)


def message(changes: list[dict], base: str | None) -> Message:
    """The news of ``changes``: one change as a headline, several as a digest grouped by service,
    those touching watched terms first."""
    if len(changes) == 1:
        return Message(headline(changes[0]), _paragraph(changes[0], base))
    ordered = sorted(changes, key=lambda c: (not c["terms"], c["service"], c["detected_at"]))
    services = sorted({c["service"] for c in changes})
    touching = [c for c in changes if c["terms"]]
    title = f"policyarchive: {count(len(changes), 'change')} in {', '.join(services)}" + (
        f", {len(touching)} touching watched terms" if touching else "")
    blocks, current = [], None
    for change in ordered:
        if change["service"] != current:
            current = change["service"]
            blocks.append(f"== {current} ==")
        blocks.append(_paragraph(change, base))
    return Message(title, "\n\n".join(blocks))


def _redacted(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return re.sub(r"\b[a-z][a-z0-9+.-]*://\S+", lambda m: where(m.group(0)), text)


def send(sub: Subscription, msg: Message) -> str | None:
    """Send ``msg`` to every URL of ``sub``; None when every one took it, else why not (secrets out)."""
    import apprise

    try:
        urls = sub.urls()
    except KeyError as exc:
        return f"${{{exc.args[0]}}} is not set in the environment"
    notifier = apprise.Apprise()
    for url in urls:
        notifier.add(url)
    with apprise.LogCapture(level=apprise.logging.WARNING) as logs:
        ok = notifier.notify(title=msg.title, body=msg.body, body_format=apprise.NotifyFormat.MARKDOWN)
    if ok:
        return None
    said = " ".join(logs.getvalue().split())[:500] or "no reason given"
    return _redacted(f"delivery to {', '.join(where(u) for u in urls)} failed: {said}", sub.secrets())


def deliver(db: sqlite_utils.Database, subscriptions: list[Subscription], backoff: float, force: bool = False) -> Delivered:
    """Send what the outbox holds that is due (everything pending when ``force``)."""
    by_name = {s.name: s for s in subscriptions}
    base = os.environ.get(BASE_URL_ENV, "").rstrip("/") or None
    done = Delivered()
    for alert in outbox.due(db, force):
        sub = by_name.get(alert["subscription"])
        if sub is None:
            outbox.attempting(db, alert["id"])
            outbox.not_delivered(db, alert["id"], "the subscription is no longer in alerts.yml", backoff)
            continue
        msg = message(outbox.changes_of(db, alert["id"]), base)
        outbox.attempting(db, alert["id"])
        error = send(sub, msg)
        if error is None:
            outbox.delivered(db, alert["id"])
            done.sent += 1
        else:
            outbox.not_delivered(db, alert["id"], error, backoff)
            done.failed.append(f"alert {alert['id']} to {sub.name}: {error}")
    return done
