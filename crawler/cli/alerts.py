"""The alerts of alerts.yml: listed, tested and sent by ``policyarchive alerts``, delivered after every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crawler.archive import open_read_only
from crawler.declarations.catalog import CatalogError
from crawler.common.exits import EXIT_CANNOT_RUN, EXIT_OK, EXIT_SOME_FAILED
from crawler.common.plural import count
from crawler.cli.options import current_db_option, existing_db_option, locked, policies_option, valid_catalog


def load_alerts(policies: str, catalog):
    """The alert subscriptions beside the declarations (none without alerts.yml), or their errors
    printed and None: a broken alerts.yml sends nothing, and says why."""
    from crawler.declarations.alerts import load_subscriptions

    try:
        return load_subscriptions(policies, catalog)
    except CatalogError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(f"{count(len(exc.errors), 'error')} in the alert subscriptions; no alert was sent.", err=True)
        return None


def send_alerts(db: str, policies: str, catalog, after_run: bool = True, force: bool = False,
                 backoff: float | None = None) -> bool:
    """Queue the changes of the run just made (``after_run``) for each subscription, and deliver what
    is due; say what was sent and what was not. False when something was not delivered."""
    from crawler.archive import outbox
    from crawler.archive.store import Archive
    from crawler.web.alerts import deliver

    subscriptions = load_alerts(policies, catalog)
    if not subscriptions:
        return subscriptions is not None
    archive = Archive(db)
    try:
        run_id = archive.db.execute("select max(id) from runs").fetchone()[0] if after_run else None
        outbox.enqueue(archive.db, subscriptions, run_id)
        done = deliver(archive.db, subscriptions, alert_backoff() if backoff is None else backoff, force)
    finally:
        archive.close()
    if done.sent or done.failed:
        click.echo(f"alerts: {done.summary()}", err=True)
    for failure in done.failed:
        click.echo(f"alert not delivered, kept to retry: {failure}", err=True)
    return not done.failed


def alert_backoff(**overrides) -> float:
    """POLICYARCHIVE_ALERT_BACKOFF, as crawler/capture/settings.py and ``-s`` set it."""
    from crawler.capture.run import project_settings

    return project_settings(**overrides).getfloat("POLICYARCHIVE_ALERT_BACKOFF")


@click.group()
def alerts():
    """Alerts by email, Slack, Matrix, ntfy or webhook (Apprise), from alerts.yml beside the declarations.

    \b
    Example alerts.yml:
        alerts:
          - name: privacy-desk
            to: ["slack://${SLACK_TOKEN_A}/${SLACK_TOKEN_B}/${SLACK_TOKEN_C}/#privacy"]
            services: [TikTok]
            terms: [biometric]
          - name: editor
            to: ["mailtos://${SMTP_USER}:${SMTP_PASSWORD}@smtp.example.org?to=editor@example.org"]
            digest: daily
    """


@alerts.command("list")
@policies_option
@current_db_option
def alerts_list(policies, db):
    """Each subscription: where it sends (scheme and host only), what it asks for, its last delivery.

    \b
    Example:
        policyarchive alerts list
    """
    from crawler.archive import outbox
    from crawler.declarations.alerts import where

    subscriptions = load_alerts(policies, valid_catalog(policies))
    if subscriptions is None:
        sys.exit(EXIT_CANNOT_RUN)
    if not subscriptions:
        click.echo(f"no alert subscriptions: write them in {Path(policies) / 'alerts.yml'} (policyarchive alerts --help)")
        return
    archive = open_read_only(db)
    for sub in subscriptions:
        asks = [f"{k} {', '.join(getattr(sub, k))}" for k in ("services", "documents", "variants", "regions", "languages", "terms")
                if getattr(sub, k)] + ([f"at least {count(sub.min_words, 'word')}"] if sub.min_words else [])
        click.echo(f"{sub.name}: to {', '.join(where(u) for u in sub.to)}; {'; '.join(asks) or 'every change'}; "
                   f"{sub.digest} digest; last delivered {outbox.last_delivery(archive, sub.name) or 'never'}")


@alerts.command("test")
@click.argument("name", required=False)
@policies_option
def alerts_test(name, policies):
    """Send one test message to a subscription (or to each), and exit 1 naming any that failed.

    \b
    Example:
        policyarchive alerts test privacy-desk
    """
    from crawler.web.alerts import Message, send

    subscriptions = load_alerts(policies, valid_catalog(policies))
    if subscriptions is None:
        sys.exit(EXIT_CANNOT_RUN)
    chosen = [s for s in subscriptions if name in (None, s.name)]
    if not chosen:
        click.echo(f"no subscription named {name!r} in {Path(policies) / 'alerts.yml'}" if name else "no alert subscriptions", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    failed = 0
    for sub in chosen:
        error = send(sub, Message("policyarchive: test alert", f"This is a test of the subscription {sub.name!r}."))
        click.echo(f"{sub.name}: {'sent' if error is None else 'FAILED: ' + error}", err=error is not None)
        failed += error is not None
    sys.exit(EXIT_CANNOT_RUN if failed else EXIT_OK)


@alerts.command("send")
@policies_option
@existing_db_option
def alerts_send(policies, db):
    """Deliver every pending alert now, retries included, whatever their backoff.

    \b
    Example:
        policyarchive alerts send
    """
    catalog = valid_catalog(policies)
    with locked(db):
        delivered = send_alerts(db, policies, catalog, after_run=False, force=True)
    sys.exit(EXIT_OK if delivered else EXIT_SOME_FAILED)
