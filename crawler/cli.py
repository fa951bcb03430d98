"""``policyarchive``: validate declarations, crawl, import, serve, and run the demo.

Every command is a thin layer over a Python function that tests call too, and every command takes
``--db`` and ``--policies`` after its name.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

import click

from crawler.declarations import ids
from crawler.archive import open_read_only
from crawler.declarations.catalog import CatalogError, load_catalog
from crawler.common.exits import EXIT_BUSY, EXIT_CANNOT_RUN, EXIT_OK, EXIT_SOME_FAILED, import_exit_code
from crawler.common.plural import count


def db_option(f):
    """``--db`` of a command that writes (crawl, import, backfill, schedule): a missing archive is
    made, and its folder too, as ``--log`` makes the log's."""
    return click.option("--db", "db", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
                        help="The archive (SQLite); made if missing, its folder too.")(f)


def _existing_archive(ctx, param, db: str) -> str:
    """``db`` if it is an archive; else exit 1 saying so. Reading or serving a mistyped path must
    not make an empty archive there, nor fail on it with a traceback."""
    ctx.meta["db"] = db  # for a message naming it, should the file turn out damaged
    if not Path(db).is_file():
        click.echo(f"no archive at {db}: crawl, import or backfill make one", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    try:
        with closing(open_read_only(db).conn) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        click.echo(f"{db} is not an archive: {exc}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    if "captures" not in tables:
        click.echo(f"{db} is not an archive: it has no captures table", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    return db


def existing_db_option(f):
    """``--db`` of a command that reads or publishes the archive: it must exist."""
    return click.option("--db", "db", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
                        callback=_existing_archive, help="The archive (SQLite); it must exist.")(f)


def _current_archive(ctx, param, db: str) -> str:
    """``db`` if it is an archive of the current schema; else exit 1 saying what brings it there.
    Reading commands never migrate: a migration writes, and only a command that holds the run lock
    may write."""
    from crawler.archive.schema import pending

    _existing_archive(ctx, param, db)
    with closing(open_read_only(db).conn) as conn:
        missing = pending(conn)
    if missing:
        click.echo(f"{db} was made by an earlier policyarchive (migrations {', '.join(map(str, missing))} not applied): "
                   f"a crawl, import or backfill brings it up to date; reading commands never change the archive", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    return db


def current_db_option(f):
    """``--db`` of a command that reads the archive with what the current schema holds."""
    return click.option("--db", "db", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
                        callback=_current_archive, help="The archive (SQLite); it must exist.")(f)


def _make_folder_of(path: str | Path) -> None:
    """Make the folder ``path`` goes in, or exit 1 saying why it cannot be made."""
    folder = Path(path).resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        click.echo(f"cannot make the folder {folder} for {path}: {exc.strerror}", err=True)
        sys.exit(EXIT_CANNOT_RUN)


def policies_option(f):
    return click.option("--policies", "policies", default="policies", show_default=True, type=click.Path(),
                        help="Folder (or file) of declarations, *.yml.")(f)


def _catalog_with_variant(policies: str, variant_id: str):
    """The validated catalog, which must declare ``variant_id``; else exit 1 saying what it names."""
    catalog = _catalog(policies)
    why = ids.wrong_kind(variant_id, "variant", (v.id for v in catalog.variants), policies)
    if why:
        click.echo(why, err=True)
        sys.exit(EXIT_CANNOT_RUN)
    return catalog


def _subscriptions(policies: str, catalog):
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


def _send_alerts(db: str, policies: str, catalog, after_run: bool = True, force: bool = False,
                 backoff: float | None = None) -> bool:
    """Queue the changes of the run just made (``after_run``) for each subscription, and deliver what
    is due; say what was sent and what was not. False when something was not delivered."""
    from crawler.archive import outbox
    from crawler.archive.store import Archive
    from crawler.web.alerts import deliver

    subscriptions = _subscriptions(policies, catalog)
    if not subscriptions:
        return subscriptions is not None
    archive = Archive(db)
    try:
        run_id = archive.db.execute("select max(id) from runs").fetchone()[0] if after_run else None
        outbox.enqueue(archive.db, subscriptions, run_id)
        done = deliver(archive.db, subscriptions, _alert_backoff() if backoff is None else backoff, force)
    finally:
        archive.close()
    if done.sent or done.failed:
        click.echo(f"alerts: {done.summary()}", err=True)
    for failure in done.failed:
        click.echo(f"alert not delivered, kept to retry: {failure}", err=True)
    return not done.failed


def _alert_backoff(**overrides) -> float:
    """POLICYARCHIVE_ALERT_BACKOFF, as crawler/capture/settings.py and ``-s`` set it."""
    from crawler.capture.run import project_settings

    return project_settings(**overrides).getfloat("POLICYARCHIVE_ALERT_BACKOFF")


@contextmanager
def _locked(db: str):
    """Hold the archive's lock (one run at a time over one archive), or exit 75 saying who holds it.
    The lock is on the archive file, made here if missing, so the archive's folder is made first."""
    from crawler.archive.lock import ArchiveBusy, archive_lock

    _make_folder_of(db)
    held = ExitStack()
    try:
        held.enter_context(archive_lock(db))
    except ArchiveBusy as exc:
        click.echo(f"refused: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    except OSError as exc:
        click.echo(f"{db}: cannot be written ({exc.strerror}): nothing was started", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    with held:
        yield


def _refuse_ids(messages: list[str], outcome: str):
    """Print why each id names nothing, and what was not done, and exit 1: a mistyped id never runs
    as an empty selection."""
    for message in messages:
        click.echo(message, err=True)
    click.echo(f"{outcome}.", err=True)
    sys.exit(EXIT_CANNOT_RUN)


def _catalog(*paths: str, outcome: str = "nothing was run"):
    """The validated catalog, or every error (file:line: field: message) printed, then how many and
    what was not done, and exit 1: nothing runs on a broken catalog."""
    try:
        return load_catalog(*paths)
    except CatalogError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(f"{count(len(exc.errors), 'error')}; {outcome}.", err=True)
        sys.exit(EXIT_CANNOT_RUN)


class Commands(click.Group):
    """The commands, each of which names a damaged archive file (a page SQLite cannot read) in one
    line, exit 1, rather than ending in a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as exc:
            click.echo(f"{ctx.meta.get('db', 'the archive')}: cannot be read ({exc}): the archive file is damaged; "
                       "policyarchive verify names what", err=True)
            sys.exit(EXIT_CANNOT_RUN)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policyarchive")
def cli():
    """Follow policy documents across regions and languages, and archive every version.

    \b
    Example:
        policyarchive validate
        policyarchive crawl --only tiktok
        policyarchive serve
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--against", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A saved page: check that --variant's selection keeps enough of what it shows.")
@click.option("--variant", "variant_id", help="The variant whose selectors --against checks.")
@click.option("--min-coverage", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="The share of the page's visible words the selection must keep.")
@policies_option
@click.option("--db", hidden=True)
def validate(paths, against, variant_id, min_coverage, policies, db):
    """Check declarations; print each error as file:line: field: message.

    With --against FILE --variant ID, also extract the variant's selection from a saved page (with
    the selectors of the time its name begins with, if it does) and fail when it matches nothing or
    keeps under --min-coverage of the words the page shows.

    \b
    Example:
        policyarchive validate
        policyarchive validate policies/tiktok.yml
        policyarchive validate --against saved/2020-08-12T14-30-30+00-00.html --variant tiktok/privacy-policy/us-en
    """
    if against and not variant_id:
        raise click.UsageError("--against needs --variant")
    catalog = _catalog(*(paths or (policies,)), outcome="the declarations do not validate")
    subscriptions = _subscriptions(policies, catalog)
    if subscriptions is None:
        sys.exit(EXIT_CANNOT_RUN)
    alerts = f", {count(len(subscriptions), 'alert subscription')}" if subscriptions else ""
    click.echo(f"ok{alerts}: {count(len(catalog.services), 'service')}, {count(len(catalog.documents), 'document')}, "
               f"{count(len(catalog.variants), 'variant')}")
    if against:
        _validate_against(_catalog_with_variant(policies, variant_id).variant(variant_id), against, min_coverage)


def _validate_against(variant, page: Path, min_coverage: float) -> None:
    """Say how much of ``page`` the variant's selection keeps; exit 1 when none or too little."""
    from crawler.intake.importer import UnreadableFile, time_from_name
    from crawler.text.classify import selection_coverage
    from crawler.text.extract import SelectorMiss

    try:
        rules = variant.rules_at(time_from_name(page.name))
    except UnreadableFile:
        rules = variant.rules
    try:
        words, page_words = selection_coverage(page.read_bytes(), rules)
    except SelectorMiss as exc:
        click.echo(f"{variant.id}: {page.name}: {exc}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    share = words / page_words if page_words else 0.0
    said = f"{variant.id}: its selection keeps {words} of the {page_words} words the page shows ({share:.0%})"
    if share < min_coverage:
        click.echo(f"{said}, under the {min_coverage:.0%} required (--min-coverage)", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    click.echo(said)


_SETTING = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


def _settings(ctx, param, values: tuple[str, ...]) -> dict[str, str]:
    """``-s NAME=VALUE`` options as Scrapy settings; anything else is a usage error (exit 2) before
    anything runs, not a traceback."""
    settings = {}
    for value in values:
        match = _SETTING.match(value)
        if match is None:
            raise click.BadParameter(f"{value!r} is not NAME=VALUE (e.g. -s DOWNLOAD_TIMEOUT=10)", param_hint="-s")
        settings[match[1]] = match[2]
    return settings


@cli.command()
@click.option("--only", multiple=True, metavar="ID", help="A service, document or variant id; repeatable.")
@click.option("--verbose", is_flag=True, help="Scrapy's own log and stats too.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", callback=_settings,
              help="A Scrapy setting, e.g. -s DOWNLOAD_TIMEOUT=10.")
@click.option("--trigger", default="cli", show_default=True, help="How the run was started, kept in runs.trigger: cli, cron, schedule...")
@click.option("--log", "log_file", type=click.Path(dir_okay=False),
              help="Append all output (log, summary, errors) to this file instead; kept in runs.log_path.")
@policies_option
@db_option
def crawl(only, verbose, overrides, trigger, log_file, policies, db):
    """Capture every declared variant (or --only some) into the archive.

    One run at a time per archive: a second start while one runs is refused.

    \b
    Exit status (also kept in runs.exit_code):
      0   every variant captured (new, changed or unchanged)
      3   the run finished, but some captures failed; they are recorded
      4   interrupted (SIGTERM, Ctrl-C) before the end; its captures are kept
      1   could not run: bad declarations or options
      75  another run holds the archive; nothing was started

    \b
    Example:
        policyarchive crawl
        policyarchive crawl --only tiktok/privacy-policy/us-en
        policyarchive crawl --trigger cron --log logs/crawl.log
        POLICYARCHIVE_PROXY_EEA=http://user:pass@proxy:3128 policyarchive crawl --only tiktok
    """
    from crawler.capture.run import log_to, run_crawl

    if log_file:
        log_to(log_file)
    catalog = _catalog(policies)
    try:
        variants = catalog.select(only, where=policies)
    except ids.UnknownIds as exc:
        _refuse_ids(exc.messages, "nothing was run")
    with _locked(db):
        click.echo(f"crawling {count(len(variants), 'variant')} into {db}", err=True)
        result = run_crawl(db, policies, tuple(only), trigger=trigger, verbose=verbose, log_file=log_file, **overrides)
        if result.run_id is not None:
            _send_alerts(db, policies, catalog, backoff=_alert_backoff(**overrides))
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the run is recorded: a late SIGTERM must not change its exit status
    summary = ", ".join(f"{n} {k}" for k, n in result.counts.items() if n) or "nothing captured"
    click.echo(f"run {result.run_id}: {summary}")
    sys.exit(result.exit_code)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--variant", "variant_id", required=True, help="The variant the captures are of.")
@policies_option
@db_option
def import_(paths, variant_id, policies, db):
    """Import saved captures: WARC files, or HTML/Markdown files named by capture time.

    File names begin with an ISO 8601 time, ':' written as '-': 2021-06-02T10-00-00+00-00.html.
    Markdown files are taken as already-extracted text.

    \b
    Example:
        policyarchive import "../shared/realdata/dkg-tosback-snapshots/TikTok/Privacy Policy" \\
            --variant tiktok/privacy-policy/us-en
    """
    from crawler.intake.importer import UnreadableFile, import_paths

    catalog = _catalog_with_variant(policies, variant_id)
    try:
        with _locked(db):
            counts = import_paths(db, catalog, variant_id, list(paths))
            _send_alerts(db, policies, catalog)
    except UnreadableFile as exc:
        click.echo(f"{exc}\nnothing was imported.", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items() if n) or "nothing imported")
    sys.exit(import_exit_code(counts))


def _port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (in use, most often), or None if it can: asked before
    a server starts, so that a busy port is one line, not a traceback after minutes of crawling."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: a port in TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError as exc:
            return f"{host}:{port} cannot be listened on: {exc.strerror}"
    return None


def _refuse_busy(host: str, port: int, hint: str) -> None:
    """Exit 1 if ``host:port`` cannot be listened on, with ``hint`` on what to do."""
    why = _port_in_use(host, port)
    if why:
        click.echo(f"{why} ({hint})", err=True)
        sys.exit(EXIT_CANNOT_RUN)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--base-url", metavar="URL", help="The public address the archive is published at "
              "(https://archive.example.org/): permalinks and citations use it, not the address this server listens on.")
@current_db_option
@click.option("--policies", default="policies", hidden=True)
def serve(host, port, base_url, db, policies):
    """Publish the archive with Datasette, read-only, with search.

    The archive must exist: crawl, import or backfill make it.

    \b
    Example:
        policyarchive serve --port 8001
        policyarchive serve --host 0.0.0.0 --base-url https://archive.example.org/
    """
    from crawler.web.publish import serve_command

    _refuse_busy(host, port, "is another policyarchive serve running? choose another --port")
    click.echo(f"serving {db} at http://{host}:{port}/", err=True)
    os.execv(sys.executable, serve_command(db, host, port, base_url))


def _echo_demo_alerts(policies: str, db: str) -> None:
    """Where the demo's change was alerted, or how to make it alerted next time."""
    from crawler.declarations.alerts import alerts_path, load_subscriptions, where

    path = alerts_path(policies)
    subscriptions = load_subscriptions(policies, _catalog(policies)) if path.exists() else []
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


@cli.command()
@click.option("--port", default=8765, show_default=True, type=int,
              help="Port of the demo site; another than 8765 crawls a copy of its declarations written beside the archive.")
@click.option("--serve/--no-serve", default=True, help="Serve the archive with Datasette at the end.")
@click.option("--serve-port", default=8001, show_default=True, type=int)
@click.option("--db", default="demo.db", show_default=True, type=click.Path(dir_okay=False),
              help="The demo's own archive, rebuilt on every run; a file that holds other runs is refused.")
@click.option("--policies", default=None, hidden=True)
def demo(port, serve, serve_port, db, policies):
    """Crawl the bundled demo site, change it, crawl again, and serve the result.

    Works offline: the demo site runs on 127.0.0.1. Edition 2 of the site adds a
    biometric clause to the US policy only. The archive (demo.db) is the demo's
    own throwaway file: each run removes the one an earlier demo left and starts
    afresh, so it always shows that one change.

    \b
    Example:
        policyarchive demo
        policyarchive demo --no-serve --db /tmp/demo.db
    """
    from crawler.declarations.hosts import ALLOW_ENV
    from crawler.demo import POLICIES, change_url, declarations_for_port

    policies = declarations_for_port(policies or str(POLICIES), port, db)
    os.environ[ALLOW_ENV] = "127.0.0.1"
    _catalog(policies)
    if serve:
        _refuse_busy("127.0.0.1", serve_port, "is another policyarchive serve running? choose another --serve-port, or --no-serve")
    _fresh_demo_archive(db)
    with _demo_site(port) as site:
        for edition in (1, 2):
            site.edition = edition
            click.echo(f"demo: site edition {edition} at {site.url}; crawling", err=True)
            code = subprocess.call([sys.executable, "-m", "crawler.cli", "crawl", "--db", db, "--policies", policies, "--trigger", "demo"])
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


def _variant_ids(archive) -> list[str]:
    """The ids of the variants the archive knows, for telling a mistyped id from one with no captures."""
    return [row[0] for row in archive.execute("SELECT id FROM variants")]


def _nonblank(ctx, param, value: str) -> str:
    """A TERM with something to match: an empty one would match every word of every version."""
    if not value.strip():
        raise click.BadParameter("is empty: give a watched term (biometric, ...) or a phrase")
    return value


@cli.command()
@click.argument("term", callback=_nonblank)
@click.option("--document", "document_id", metavar="ID", help="Only this document's variants, e.g. tiktok/privacy-policy.")
@current_db_option
@click.option("--policies", default="policies", hidden=True)
def term(term, document_id, db, policies):
    """Whether each variant's current text carries TERM, and in what window it appeared or went.

    TERM is a watched term (biometric, precise-location, children, sale-or-sharing, retention,
    ai-training: matched in English, German, French and Spanish) or any phrase.

    \b
    Example:
        policyarchive term biometric --document tiktok/privacy-policy
        policyarchive term "voiceprint"
    """
    from crawler.archive.history import term_presence

    archive = open_read_only(db)
    if document_id:
        document_id = document_id.rstrip("/")
        why = ids.wrong_kind(document_id, "document", _variant_ids(archive), db)
        if why:
            click.echo(why, err=True)
            sys.exit(EXIT_CANNOT_RUN)
    rows = term_presence(archive, term, document_id)
    if not any(r.versions for r in rows):
        click.echo("no versions in the archive" + (f" for {document_id}" if document_id else ""), err=True)
        sys.exit(EXIT_CANNOT_RUN)
    width = max(len(r.variant_id) for r in rows)
    click.echo(f"{'variant':<{width}}  {'now':<7}  {'appeared by':<19}  {'appeared after':<19}  {'removed by':<19}  matches")
    for r in rows:
        appeared_by, appeared_after = (r.appeared.after, r.appeared.before) if r.appeared else (None, None)
        removed_by = r.removed.after if r.removed else None
        click.echo(f"{r.variant_id:<{width}}  {r.status:<7}  {_second(appeared_by):<19}  {_second(appeared_after):<19}  "
                   f"{_second(removed_by):<19}  {', '.join(r.matches)}".rstrip())
    click.echo("appeared by / after: the first capture with it and the last one before without it, so it came in "
               "between the two; unknown: never captured", err=True)


def _second(when: str | None) -> str:
    """An archive time to the second, or '-'."""
    return when[:19] if when else "-"


@cli.command()
@click.argument("variant_id")
@current_db_option
@click.option("--policies", default="policies", hidden=True)
def history(variant_id, db, policies):
    """A variant's versions (numbered v1, v2... by first seen) and changes, each dated by its window, with
    back-and-forth runs folded into one line.

    \b
    Example:
        policyarchive history tiktok/privacy-policy/eea-en
    """
    from crawler.archive.history import alternations

    archive = open_read_only(db)
    variant_id = variant_id.rstrip("/")
    why = ids.wrong_kind(variant_id, "variant", _variant_ids(archive), db)
    if why:
        click.echo(why, err=True)
        sys.exit(EXIT_CANNOT_RUN)
    versions = list(archive.query("select id, first_seen, last_seen, words from versions where variant_id = ? order by first_seen, id",
                                  [variant_id]))
    if not versions:
        click.echo(f"no versions of {variant_id} in {db}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    number = {v["id"]: n for n, v in enumerate(versions, 1)}
    click.echo(f"{variant_id}: {count(len(versions), 'version')}")
    for v in versions:
        click.echo(f"  v{number[v['id']]} (archive version {v['id']}): first seen {v['first_seen'][:19]}, "
                   f"last seen {v['last_seen'][:19]}, {count(v['words'], 'word')}")
    for c in archive.query("""select from_version_id, to_version_id, last_before, first_after, days from changes
            join change_windows on change_id = changes.id where changes.variant_id = ? and superseded_by is null and visible
            order by detected_at""", [variant_id]):
        gap = f" (no capture for {c['days']:.0f} days before it)" if c["days"] and c["days"] > 7 else ""
        click.echo(f"  v{number[c['from_version_id']]} -> v{number[c['to_version_id']]}: between "
                   f"{(c['last_before'] or '?')[:19]} and {c['first_after'][:19]}{gap}")
    for a in alternations(archive, variant_id):
        older, newer = (number[v] for v in a.versions)
        click.echo(f"  alternating between v{older} and v{newer}: {count(a.changes, 'change')} "
                   f"from {a.first[:10]} to {a.last[:10]} (one pattern, e.g. a region-dependent banner)")


def _cdx_date(ctx, param, value: str | None) -> str | None:
    """``--from``/``--to`` as the CDX API takes them (``wayback.cdx_date``), or a usage error."""
    from crawler.intake.wayback import cdx_date

    try:
        return cdx_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command()
@click.option("--variant", "variant_id", required=True, help="The variant whose URL to look up.")
@click.option("--from", "since", callback=_cdx_date, help="First date, e.g. 2019 or 2019-06-01.")
@click.option("--to", "until", callback=_cdx_date, help="Last date, e.g. 2021-12-31.")
@click.option("--wayback-url", help="The Wayback Machine's address (CDX API and replay). Default: the public one.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between two requests. Default: 2.")
@policies_option
@db_option
def backfill(variant_id, since, until, wayback_url, delay, policies, db):
    """Import a variant's history from the Wayback Machine, oldest first.

    Successful captures only, adjacent duplicates collapsed; each capture's original
    bytes go through the same extraction and versioning as a crawl, marked with
    source 'wayback' and their memento URL, with no region (the Wayback Machine
    does not say where it fetched from). Stopped (Ctrl-C, or the service kept
    answering 429/5xx)? Run the same command again: it resumes, fetching nothing
    twice. Exit status: 0 done, 3 stopped before the end, 1 could not run.

    \b
    Example:
        policyarchive backfill --variant tiktok/privacy-policy/us-en --from 2019 --to 2021-12-31
    """
    import logging

    from crawler.intake.settings import Settings
    from crawler.intake.wayback import backfill as run_backfill

    catalog = _catalog_with_variant(policies, variant_id)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    given = {"base_url": wayback_url and wayback_url.rstrip("/"), "delay": delay}
    settings = Settings(**{k: v for k, v in given.items() if v is not None})
    with _locked(db):
        done = run_backfill(db, catalog, variant_id, since, until, settings)
        _send_alerts(db, policies, catalog)
    took = ", ".join(f"{n} {k}" for k, n in done.tally.items() if n) or "no captures listed"
    outcomes = ", ".join(f"{n} {k}" for k, n in done.counts.items() if n) or "nothing recorded"
    click.echo(f"run {done.run_id} {done.status}: {took}; {outcomes}")
    if done.status != "finished":
        click.echo(f"stopped: {done.reason}. Run the same command again to resume.", err=True)
        sys.exit(EXIT_SOME_FAILED)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--only", multiple=True, metavar="ID", help="A service, document or variant id; repeatable. Default: everything.")
@current_db_option
@click.option("--policies", default="policies", hidden=True)
def export(path, only, db, policies):
    """Write captures as WARC (PATH ending .warc or .warc.gz) or as a WACZ package (.wacz).

    Per capture: the response as received, the request, and a metadata record with
    region, language, egress, renderer, time, SHA-256 of the bytes and the Wayback
    memento if any. 'policyarchive verify --export PATH' checks it against the archive.

    \b
    Example:
        policyarchive export tiktok-us.warc.gz --only tiktok/privacy-policy/us-en
        policyarchive export tiktok.wacz --only tiktok
    """
    from crawler.evidence.export import export as run_export

    if not path.name.endswith((".warc", ".warc.gz", ".wacz")):
        click.echo(f"{path}: name it .warc, .warc.gz or .wacz", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    archive = open_read_only(db)
    with closing(archive.conn):
        unknown = ids.not_found(only, _variant_ids(archive), db)
    if unknown:
        _refuse_ids(unknown, f"nothing was exported; {path} was not written")
    _make_folder_of(path)
    done = run_export(db, path, tuple(only))
    click.echo(f"{done.path}: {count(done.captures, 'capture')}, {done.with_bytes} with their bytes")


def _head_form(ctx, param, head: str | None) -> str | None:
    """``--head`` checked for its form before the archive is read: a typo is a usage error, not tampering."""
    from crawler.evidence.verify import HeadError, head_form

    if head is None:
        return None
    try:
        head_form(head)
    except HeadError as exc:
        raise click.BadParameter(str(exc)) from None
    return head


@cli.command()
@click.option("--export", "exported", type=click.Path(exists=True, dir_okay=False), help="Also check this WARC or WACZ export against the archive.")
@click.option("--head", metavar="SHA256", callback=_head_form,
              help="A chain head noted earlier, whole or its first 8 or more characters: fail unless the chain still holds it.")
@existing_db_option
@click.option("--policies", default="policies", hidden=True)
def verify(exported, head, db, policies):
    """Re-hash every stored body, check the chain of custody, and optionally an export.

    Prints each problem (which body, capture, manifest or export record, and how it
    differs) and exits 1 if there is any; otherwise prints what was checked and the
    chain's head hash, worth noting somewhere outside the archive.

    \b
    Example:
        policyarchive verify
        policyarchive verify --export tiktok.wacz --head 3f9a61c08d2e4b57
    """
    from crawler.evidence.verify import HeadError, verify as run_verify

    try:
        report = run_verify(db, exported, head)
    except HeadError as exc:
        raise click.BadParameter(str(exc), param_hint="--head") from None
    if report.noted:
        click.echo(f"--head {head} is manifest {report.noted['id']} (run {report.noted['run_id']}) {report.noted['sha256']}")
    for problem in report.problems:
        click.echo(f"FAILED: {problem}", err=True)
    checked = report.summary()
    if report.problems:
        click.echo(f"verify: {count(len(report.problems), 'problem')}; checked {checked or 'nothing'}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    where = f"manifest {report.head['id']} (run {report.head['run_id']}) {report.head['sha256']}" if report.head else "no runs yet"
    click.echo(f"verified: {checked}; chain head {where}")


def _cron(ctx, param, value: str | None) -> str | None:
    """``--cron`` read as the declarations' schedules are, or a usage error."""
    from crawler.declarations.cron import cron_trigger

    if value is not None:
        try:
            cron_trigger(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


@cli.command()
@click.option("--list", "list_only", is_flag=True, help="Show the jobs and their next run times, then exit.")
@click.option("--cron", "default_cron", metavar="CRON", callback=_cron,
              help="Schedule (UTC) of services whose declaration names none: 5 fields, or 6 with seconds first. Default: nightly, 30 3 * * *.")
@click.option("--store", type=click.Path(dir_okay=False), help="The job store (SQLite). Default: beside the archive, archive.schedules.db.")
@click.option("--logs", type=click.Path(file_okay=False), help="Folder of the crawls' logs, one file per run. Default: logs/ beside the archive.")
@policies_option
@db_option
def schedule(list_only, default_cron, store, logs, policies, db):
    """Crawl each service on its schedule, in the foreground, until SIGTERM or Ctrl-C.

    Each service runs on its declaration's `schedule` (cron, UTC), else on --cron;
    each crawl is its own `policyarchive crawl --only SERVICE --trigger schedule`,
    one at a time. The jobs persist in the store (one scheduler per store): after
    a restart, a run missed while the scheduler was down happens once. Stopping lets the crawl in progress
    finish the pages in flight (Ctrl-C twice stops it at once).

    \b
    Example:
        policyarchive schedule --list
        policyarchive schedule
        policyarchive schedule --cron "0 */6 * * *" --logs /var/log/policyarchive
    """
    import logging
    import time

    import schedules
    from crawler.archive.lock import ArchiveBusy, archive_lock, holder

    catalog = _catalog(policies)
    store = store or str(schedules.store_path(db))
    jobs = schedules.declared_jobs(catalog, db, policies, logs or schedules.logs_path(db), default_cron or schedules.DEFAULT_CRON)
    if list_only:
        rows = schedules.listing(jobs, store)
        width = max([len("job")] + [len(r[0]) for r in rows])
        click.echo(f"{'job':<{width}}  {'schedule (UTC)':<16}  {'next run (UTC)':<20}  note")
        for job_id, cron, next_run, note in rows:
            click.echo(f"{job_id:<{width}}  {cron:<16}  {next_run:<20}  {note}".rstrip())
        click.echo(f"store: {Path(store).resolve()}", err=True)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)sZ %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    _make_folder_of(store)
    try:
        with archive_lock(store):
            schedules.serve(jobs, store)
    except ArchiveBusy:
        click.echo(f"refused: another scheduler runs on {store} ({holder(store)})", err=True)
        sys.exit(EXIT_BUSY)


@cli.command()
@click.option("--stale-after", default="48h", show_default=True, metavar="DURATION",
              help="A variant without a successful capture for longer is stale: 90m, 48h, 2d, 1w.")
@click.option("--runs", "limit", default=5, show_default=True, type=click.IntRange(min=1), help="How many recent runs to show.")
@policies_option
@current_db_option
def status(stale_after, limit, policies, db):
    """What ran, what failed and why, and which variants have gone stale.

    Stale: no successful capture (new, changed or unchanged) for longer than
    --stale-after, or none ever. Only variants declared in --policies are
    considered, when the declarations validate.

    \b
    Example:
        policyarchive status
        policyarchive status --stale-after 3d --runs 10
    """
    from crawler.archive.status import parse_duration, report

    try:
        hours = parse_duration(stale_after)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--stale-after") from None
    try:
        declared = [v.id for v in load_catalog(policies).variants]
    except CatalogError:
        click.echo(f"the declarations in {policies} do not validate (policyarchive validate): every variant in the archive is considered", err=True)
        declared = None
    archive = open_read_only(db)
    for line in report(archive, db, hours, limit, declared):
        click.echo(line)
    _report_alerts(archive)


def _report_alerts(archive) -> None:
    """Alerts that could not be delivered: failed for good, or waiting to be tried again."""
    from crawler.archive.outbox import FAILED, stuck

    alerts = stuck(archive)
    if alerts:
        click.echo(f"\nalerts not delivered: {len(alerts)}")
    for a in alerts:
        state = "failed for good" if a["status"] == FAILED else "will be tried again"
        click.echo(f"  alert {a['id']} to {a['subscription']}: {state} after {count(a['attempts'], 'attempt')}: {a['last_error']}")



@cli.group()
def catalog():
    """Catalogs of declarations made from elsewhere: Open Terms Archive's."""


def _ota_collection(folder: Path) -> dict:
    """The collection's metadata.yml (beside its declarations folder, or in it), or {}."""
    import yaml

    for candidate in (folder / "metadata.yml", folder.parent / "metadata.yml"):
        if candidate.is_file():
            return yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
    return {}


def _one_of(given: str | None, values: list, what: str, option: str) -> str:
    """``given``, or the collection's only ``what``; else exit 1 asking for ``option``."""
    if given:
        return given
    if len(values or []) == 1:
        return values[0]
    click.echo(f"the collection names {what} {', '.join(map(str, values or [])) or 'none'}: choose one with {option}", err=True)
    sys.exit(EXIT_CANNOT_RUN)


@catalog.command("from-ota")
@click.argument("declarations", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="policies", show_default=True,
              help="Folder to write one declaration per service into; existing files are left alone.")
@click.option("--region", help="The region of the collection's documents (OTA pins it per collection), e.g. EEA, US.")
@click.option("--language", help="Their language, e.g. en. Default: the collection's, when it has one.")
@click.option("--collection", help="The collection's name, for the ota: field. Default: its metadata.yml id.")
def catalog_from_ota(declarations, out, region, language, collection):
    """Convert Open Terms Archive declarations (<Service>.json and .history.json) into policies/*.yml.

    Each variant gets the collection's region and language and names its source
    (ota: COLLECTION/SERVICE/TERMS TYPE); each file credits OTA and its licence, and
    lists in its header what could not be converted. The result is validated.

    \b
    Example:
        policyarchive catalog from-ota ../contrib-declarations/declarations --out policies/ --region EEA --language en
    """
    from crawler.declarations.ota import convert, declaration_paths, render

    meta = _ota_collection(declarations)
    region = _one_of(region, meta.get("jurisdictions"), "jurisdictions", "--region")
    language = _one_of(language, meta.get("languages"), "languages", "--language")
    collection = collection or meta.get("id") or declarations.resolve().parent.name
    out.mkdir(parents=True, exist_ok=True)
    written, kept, lost = [], 0, 0
    for path in declaration_paths(declarations):
        converted = convert(path, region, language, collection)
        for loss in converted.losses:
            click.echo(f"{path.name}: {loss}", err=True)
        lost += len(converted.losses)
        target = out / converted.file_name
        if converted.declaration is None:
            continue
        if target.exists() or target in written:
            click.echo(f"{path.name}: {target} exists; left alone, {converted.service} not written", err=True)
            kept += 1
            continue
        target.write_text(render(converted, collection), encoding="utf-8")
        written.append(target)
    converted_catalog = _catalog(*written, outcome="the converted declarations do not validate") if written else None
    click.echo(f"{count(len(written), 'declaration')} written to {out}"
               + (f" ({count(len(converted_catalog.documents), 'document')}, validated)" if converted_catalog else "")
               + f"; {count(lost, 'thing')} not converted, listed above and in each file's header"
               + (f"; {count(kept, 'existing file')} left alone" if kept else ""))


@cli.group()
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

    subscriptions = _subscriptions(policies, _catalog(policies))
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

    subscriptions = _subscriptions(policies, _catalog(policies))
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
    catalog = _catalog(policies)
    with _locked(db):
        delivered = _send_alerts(db, policies, catalog, after_run=False, force=True)
    sys.exit(EXIT_OK if delivered else EXIT_SOME_FAILED)


if __name__ == "__main__":
    cli()
