"""``policyarchive demo``: the bundled site crawled in two editions, then served.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from crawler.common.exits import EXIT_BUSY, EXIT_CANNOT_RUN, EXIT_OK, EXIT_SOME_FAILED
from crawler.cli.options import refuse_busy, valid_catalog


def _echo_demo_alerts(policies: str, db: str) -> None:
    """Where the demo's change was alerted, or how to make it alerted next time."""
    from crawler.declarations.alerts import alerts_path, load_subscriptions, where

    path = alerts_path(policies)
    subscriptions = load_subscriptions(policies, valid_catalog(policies)) if path.exists() else []
    for sub in subscriptions:
        click.echo(f"demo: alerts of {sub.name!r} went to {', '.join(where(u) for u in sub.to)}", err=True)
    if not subscriptions:
        click.echo(f"demo: no alerts are set up; to be told of a change by email, Slack or a webhook, write {path}, e.g.\n"
                   "  alerts:\n    - name: me\n      to: [\"mailtos://${SMTP_USER}:${SMTP_PASSWORD}@smtp.example.org?to=me@example.org\"]\n"
                   "  then: policyarchive alerts test --policies " + str(Path(policies)), err=True)


def _fresh_demo_archive(db: str) -> None:
    """``remove_earlier_demo``, or exit saying why the file at ``db`` is left alone."""
    from crawler.archive.lock import ArchiveBusy
    from crawler.demo import NotADemoArchive, remove_earlier_demo

    try:
        remove_earlier_demo(db)
    except ArchiveBusy:
        click.echo(f"demo: refused: another run is in progress on {db}", err=True)
        sys.exit(EXIT_BUSY)
    except NotADemoArchive:
        click.echo(f"demo: {db} is not an archive of demo runs only; the demo rebuilds its archive on every run, "
                   f"so it leaves this file alone: choose another --db", err=True)
        sys.exit(EXIT_CANNOT_RUN)


def _demo_site(port: int):
    """The demo site, listening on ``port``; or exit 1 saying the port is taken, before any crawl."""
    from crawler.demo import DemoSite

    try:
        return DemoSite(port=port)
    except OSError as exc:
        click.echo(f"demo: the demo site cannot listen on 127.0.0.1:{port}: {exc.strerror} (is another demo running?)", err=True)
        sys.exit(EXIT_CANNOT_RUN)


@contextmanager
def _fleet(workers: int, policies: str) -> Iterator[str | None]:
    """With ``workers``, one Redis on 127.0.0.1 and that many ``policyarchive worker`` processes, the
    declared regions split between them; yields the queue's URL (None: a local crawl)."""
    if not workers:
        yield None
        return
    from crawler.fleet.queue import Queue, connect, local_redis

    regions = sorted({v.region.upper() for v in valid_catalog(policies).variants})
    with local_redis() as url:
        shares = [regions[i::workers] for i in range(min(workers, len(regions)))]
        processes = [subprocess.Popen([sys.executable, "-m", "crawler.cli", "worker", "--queue", url, "--policies", policies,
                                       "--name", f"demo-{n + 1}", *(a for r in share for a in ("--region", r))])
                     for n, share in enumerate(shares)]
        try:
            for n, share in enumerate(shares):
                click.echo(f"demo: worker demo-{n + 1} serves {', '.join(share)} through {url}", err=True)
            queue = Queue(connect(url))
            deadline = time.monotonic() + 60
            while len(queue.live_workers()) < len(shares) and time.monotonic() < deadline:
                time.sleep(0.1)
            yield url
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)


@click.command()
@click.option("--port", default=8765, show_default=True, type=int,
              help="Port of the demo site; another than 8765 crawls a copy of its declarations written beside the archive.")
@click.option("--serve/--no-serve", default=True, help="Serve the archive with Datasette at the end.")
@click.option("--serve-port", default=8001, show_default=True, type=int)
@click.option("--db", default="demo.db", show_default=True, type=click.Path(dir_okay=False),
              help="The demo's own archive, rebuilt on every run; a file that holds other runs is refused.")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="Crawl through this many local workers (their regions split between them) and one Redis on 127.0.0.1.")
@click.option("--policies", default=None, hidden=True)
def demo(port, serve, serve_port, workers, db, policies):
    """Crawl the bundled demo site, change it, crawl again, and serve the result.

    Works offline: the demo site runs on 127.0.0.1. Edition 2 of the site adds a
    biometric clause to the US policy only. The archive (demo.db) is the demo's
    own throwaway file: each run removes the one an earlier demo left and starts
    afresh, so it always shows that one change.

    \b
    Example:
        policyarchive demo
        policyarchive demo --no-serve --db /tmp/demo.db
        policyarchive demo --workers 2
    """
    from crawler.declarations.hosts import ALLOW_ENV
    from crawler.demo import POLICIES, change_url, declarations_for_port

    policies = declarations_for_port(policies or str(POLICIES), port, db)
    os.environ[ALLOW_ENV] = "127.0.0.1"
    valid_catalog(policies)
    if serve:
        refuse_busy("127.0.0.1", serve_port, "is another policyarchive serve running? choose another --serve-port, or --no-serve")
    _fresh_demo_archive(db)
    with _demo_site(port) as site, _fleet(workers, policies) as queue:
        for edition in (1, 2):
            site.edition = edition
            click.echo(f"demo: site edition {edition} at {site.url}; crawling", err=True)
            through = ["--queue", queue, "--timeout", "120"] if queue else []
            code = subprocess.call([sys.executable, "-m", "crawler.cli", "crawl", "--db", db, "--policies", policies, "--trigger", "demo", *through])
            if code not in (EXIT_OK, EXIT_SOME_FAILED):
                sys.exit(code)
    click.echo("demo: edition 2 added a clause to the US policy; see 'changes' in the archive", err=True)
    _echo_demo_alerts(policies, db)
    url = change_url(db, f"http://127.0.0.1:{serve_port}")
    if url:
        click.echo(f"demo: the change: {url} (listed on http://127.0.0.1:{serve_port}/)", err=True)
    if serve:
        serve_cmd = [sys.executable, "-m", "crawler.cli", "serve", "--db", db, "--port", str(serve_port)]
        os.execv(sys.executable, serve_cmd)
