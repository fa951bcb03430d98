"""The commands that write the archive: validate the declarations, crawl, import, backfill from the
Wayback Machine, and run the scheduler.
"""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import click

from crawler.declarations import ids
from crawler.common.exits import EXIT_BUSY, EXIT_CANNOT_RUN, EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED, import_exit_code
from crawler.common.plural import count
from crawler.cli.options import catalog_with_variant, db_option, existing_db_option, locked, make_folder_of, policies_option, refuse_ids, valid_catalog
from crawler.cli.alerts import alert_backoff, load_alerts, send_alerts


@click.command()
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
    catalog = valid_catalog(*(paths or (policies,)), outcome="the declarations do not validate")
    subscriptions = load_alerts(policies, catalog)
    if subscriptions is None:
        sys.exit(EXIT_CANNOT_RUN)
    alerts = f", {count(len(subscriptions), 'alert subscription')}" if subscriptions else ""
    click.echo(f"ok{alerts}: {count(len(catalog.services), 'service')}, {count(len(catalog.documents), 'document')}, "
               f"{count(len(catalog.variants), 'variant')}")
    if against:
        _validate_against(catalog_with_variant(policies, variant_id).variant(variant_id), against, min_coverage)


def _validate_against(variant, page: Path, min_coverage: float) -> None:
    """Say how much of ``page`` the variant's selection keeps; exit 1 when none or too little."""
    from crawler.intake.importer import UnreadableFile, time_from_name
    from crawler.text.classify import NotText, selection_coverage
    from crawler.text.extract import SelectorMiss

    try:
        rules = variant.rules_at(time_from_name(page.name))
    except UnreadableFile:
        rules = variant.rules
    try:
        words, page_words = selection_coverage(page.read_bytes(), rules)
    except (NotText, SelectorMiss) as exc:
        click.echo(f"{variant.id}: {page.name}: {exc}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    share = words / page_words if page_words else 0.0
    said = f"{variant.id}: its selection keeps {words} of the {page_words} words the page shows ({share:.0%})"
    if share < min_coverage:
        click.echo(f"{said}, under the {min_coverage:.0%} required (--min-coverage)", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    click.echo(said)


_SETTING = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


def no_screenshots_option(f):
    return click.option("--no-screenshots", is_flag=True,
                        help="Do not picture the new versions now (policyarchive screenshots --missing can, later).")(f)


def _screenshots_on(overrides: dict[str, str]) -> bool:
    """``POLICYARCHIVE_SCREENSHOTS`` as the crawl's settings have it: on, unless the environment or
    ``-s POLICYARCHIVE_SCREENSHOTS=0`` turns it off."""
    from crawler.capture.run import project_settings

    return project_settings(**overrides).getbool("POLICYARCHIVE_SCREENSHOTS")


def take_screenshots(db: str, run_id: int | None = None) -> tuple[int, int]:
    """Picture the versions that have none (those of ``run_id`` only, if given), after the run: the
    crawl's captures are recorded first, whatever the rendering costs, and a picture that cannot be
    taken is said on stderr, never a traceback that would hide the run's own exit status. Returns
    how many were taken and how many could not be."""
    from crawler.archive.screenshots import fill, missing
    from crawler.archive.store import Archive

    archive = Archive(db)
    try:
        todo = missing(archive.db, run_id)
        if not todo:
            return 0, 0
        seconds, failed = fill(archive, todo)
    finally:
        archive.close()
    if seconds:
        click.echo(f"{count(len(seconds), 'screenshot')} taken in {sum(seconds):.1f} s", err=True)
    if failed:
        reasons = "; ".join(f"version {version}: {why}" for version, why in list(failed.items())[:5])
        more = f"; and {len(failed) - 5} more" if len(failed) > 5 else ""
        click.echo(f"no screenshot of {count(len(failed), 'version')} ({reasons}{more}); "
                   "policyarchive screenshots --missing tries again", err=True)
    return len(seconds), len(failed)


@click.command()
@click.option("--missing", "only_missing", is_flag=True, required=True,
              help="Picture every version that has no screenshot yet (required: the only mode).")
@existing_db_option
def screenshots(only_missing, db):
    """Render a screenshot of each version that has none, from its stored bytes, offline.

    Chromium is shown the bytes at the URL they came from, with JavaScript off and every other
    request refused: nothing is fetched from the site. Crawls, imports and backfills take their new
    versions' screenshots themselves; this fills archives made before, or with --no-screenshots,
    and tries again those Chromium could not picture. Exits 3 when some still could not be, each
    named on stderr with why.

    \b
    Example:
        policyarchive screenshots --missing
    """
    with locked(db):
        taken, failed = take_screenshots(db)
    click.echo(f"{count(taken, 'screenshot')} taken" + (f", {failed} could not be" if failed else ""))
    sys.exit(EXIT_SOME_FAILED if failed else EXIT_OK)


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


@click.command()
@click.option("--only", multiple=True, metavar="ID", help="A service, document or variant id; repeatable.")
@click.option("--verbose", is_flag=True, help="Scrapy's own log and stats too.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", callback=_settings,
              help="A Scrapy setting, e.g. -s DOWNLOAD_TIMEOUT=10.")
@click.option("--trigger", default="cli", show_default=True, help="How the run was started, kept in runs.trigger: cli, cron, schedule...")
@click.option("--log", "log_file", type=click.Path(dir_okay=False),
              help="Append all output (log, summary, errors) to this file instead; kept in runs.log_path.")
@click.option("--queue", metavar="URL", help="Fetch through regional workers on this Redis queue (redis://HOST:PORT/DB); this process only writes.")
@click.option("--timeout", type=click.FloatRange(min=0), default=1800, show_default=True,
              help="With --queue: seconds to wait for the workers; a variant unanswered by then is a network-error.")
@click.option("--reconnect", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
              help="With --queue: seconds to wait for Redis if it goes away; past that the run is interrupted.")
@policies_option
@db_option
def crawl(only, verbose, overrides, trigger, log_file, queue, timeout, reconnect, policies, db):
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
        policyarchive crawl --queue redis://10.0.0.5:6379/0 --timeout 600
    """
    from crawler.capture.run import log_to, run_crawl

    if log_file:
        log_to(log_file)
    if queue and overrides:
        raise click.UsageError("-s sets the fetching of a local crawl; with --queue the workers fetch: set it on them")
    catalog = valid_catalog(policies)
    try:
        variants = catalog.select(only, where=policies)
    except ids.UnknownIds as exc:
        refuse_ids(exc.messages, "nothing was run")
    multipage = [v.id for v in variants if v.multipage]
    if queue and multipage:
        # The queue carries one body per capture: a document's later pages would not reach the archive.
        click.echo(f"{', '.join(multipage)}: multi-page documents are crawled locally, not through --queue "
                   f"(give --only the others)\nnothing was run.", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    with locked(db):
        click.echo(f"crawling {count(len(variants), 'variant')} into {db}", err=True)
        if queue:
            result = _queued_crawl(db, policies, queue, tuple(only), timeout, reconnect, trigger, log_file)
        else:
            result = run_crawl(db, policies, tuple(only), trigger=trigger, verbose=verbose, log_file=log_file, **overrides)
        if result.run_id is not None:
            send_alerts(db, policies, catalog, backoff=alert_backoff(**overrides))
            if _screenshots_on(overrides):
                take_screenshots(db, run_id=result.run_id)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the run is recorded: a late SIGTERM must not change its exit status
    summary = ", ".join(f"{n} {k}" for k, n in result.counts.items() if n) or "nothing captured"
    click.echo(f"run {result.run_id}: {summary}")
    sys.exit(result.exit_code)


def _queued_crawl(db: str, policies: str, queue: str, only: tuple[str, ...], timeout: float, reconnect: float, trigger: str,
                  log_file: str | None):
    """``crawl --queue``: the run through the workers, its log on stderr like a local crawl's."""
    import logging

    from crawler.fleet.writer import run_queued_crawl

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%dT%H:%M:%S" if log_file else "%H:%M:%S")
    return run_queued_crawl(db, policies, queue, only, timeout=timeout, trigger=trigger, reconnect=reconnect)


@click.command()
@click.option("--queue", metavar="URL", required=True, help="The Redis queue the writer fills: redis://HOST:PORT/DB.")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="A region this worker fetches for (EEA, US...); repeatable. Default: every declared region.")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True, help="Requests fetched at once.")
@click.option("--name", help="The worker's name, kept in captures.worker. Default: HOST-PID.")
@click.option("--visibility", type=click.FloatRange(min=1), default=120, show_default=True,
              help="Seconds a request taken by a worker may go unanswered before another worker claims it.")
@click.option("--reconnect", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
              help="Seconds to wait for Redis if it goes away; past that the worker exits with status 4.")
@click.option("--verbose", is_flag=True, help="Scrapy's own log too.")
@policies_option
def worker(queue, regions, concurrency, name, visibility, reconnect, verbose, policies):
    """Fetch, for as long as it runs, what the queue asks of this worker's regions.

    A regional worker: it reads the same declarations as the writer, takes only the requests
    of the regions it serves, fetches them from this machine (plain HTTP or Chromium, with
    this machine's egress and proxies), extracts them as a local crawl does, and sends back
    each capture: raw bytes, provenance (this worker and host) and analysis. It never opens
    the archive; `policyarchive crawl --queue URL` records what it sends. Stop it with SIGTERM.

    \b
    Example:
        policyarchive worker --queue redis://10.0.0.5:6379/0 --region EEA
        policyarchive worker --queue redis://127.0.0.1:6379/0 --region US --region ROW --concurrency 16
    """
    from crawler.fleet.worker import run_worker

    catalog = valid_catalog(policies)
    declared = {v.region.upper() for v in catalog.variants}
    unknown = sorted({r.upper() for r in regions} - declared)
    if unknown:
        click.echo(f"no variant is declared for region {', '.join(unknown)} (declared: {', '.join(sorted(declared))})", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    if run_worker(queue, policies, tuple(regions), concurrency=concurrency, name=name, visibility=visibility, verbose=verbose,
                  reconnect=reconnect):
        sys.exit(EXIT_INTERRUPTED)


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--variant", "variant_id", required=True, help="The variant the captures are of.")
@no_screenshots_option
@policies_option
@db_option
def import_(paths, variant_id, no_screenshots, policies, db):
    """Import saved captures: WARC files, or HTML/Markdown files named by capture time.

    File names begin with an ISO 8601 time, ':' written as '-': 2021-06-02T10-00-00+00-00.html.
    Markdown files are taken as already-extracted text.

    \b
    Example:
        policyarchive import "../shared/realdata/dkg-tosback-snapshots/TikTok/Privacy Policy" \\
            --variant tiktok/privacy-policy/us-en
    """
    from crawler.intake.importer import UnreadableFile, import_paths

    catalog = catalog_with_variant(policies, variant_id, one_page="import")
    try:
        with locked(db):
            counts = import_paths(db, catalog, variant_id, list(paths))
            send_alerts(db, policies, catalog)
            if _screenshots_on({}) and not no_screenshots:
                take_screenshots(db)
    except UnreadableFile as exc:
        click.echo(f"{exc}\nnothing was imported.", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items() if n) or "nothing imported")
    sys.exit(import_exit_code(counts))


@click.command("import-ota")
@click.argument("repo", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--collection", required=True, help="The OTA collection the repository is of (e.g. vlopses-us).")
@click.option("--only", "service", help="Only the files of this OTA service (e.g. TikTok).")
@policies_option
@db_option
def import_ota(repo, collection, service, policies, db):
    """Import an Open Terms Archive versions repository (bare or not), commit by commit.

    Every version of each file COLLECTION/SERVICE/TERMS TYPE.md that a variant follows (its `ota:`
    field), dated by its commit, cited to the repository, commit and path. A second run reads only
    the commits after the last one imported.

    \b
    Example:
        policyarchive import-ota ../vlopses-us-versions --collection vlopses-us --only TikTok
    """
    from crawler.intake.git import GitError
    from crawler.intake.ota_versions import NothingToImport, import_ota as run_import

    catalog = valid_catalog(policies, outcome="nothing was imported")
    try:
        with locked(db):
            imported = run_import(db, catalog, repo, collection, service)
            send_alerts(db, policies, catalog)
    except (GitError, NothingToImport) as exc:
        click.echo(f"{exc}\nnothing was imported.", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    summary = ", ".join(f"{n} {k}" for k, n in imported.counts.items() if n) or "nothing new"
    click.echo(f"{count(imported.commits, 'commit')} read; {summary}")
    sys.exit(import_exit_code(imported.counts))


def _cdx_date(ctx, param, value: str | None) -> str | None:
    """``--from``/``--to`` as the CDX API takes them (``wayback.cdx_date``), or a usage error."""
    from crawler.intake.wayback import cdx_date

    try:
        return cdx_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option("--variant", "variant_id", required=True, help="The variant whose URL to look up.")
@click.option("--from", "since", callback=_cdx_date, help="First date, e.g. 2019 or 2019-06-01.")
@click.option("--to", "until", callback=_cdx_date, help="Last date, e.g. 2021-12-31.")
@click.option("--wayback-url", help="The Wayback Machine's address (CDX API and replay). Default: the public one.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between two requests. Default: 2.")
@no_screenshots_option
@policies_option
@db_option
def backfill(variant_id, since, until, wayback_url, delay, no_screenshots, policies, db):
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

    catalog = catalog_with_variant(policies, variant_id, one_page="backfill")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    given = {"base_url": wayback_url and wayback_url.rstrip("/"), "delay": delay}
    settings = Settings(**{k: v for k, v in given.items() if v is not None})
    with locked(db):
        done = run_backfill(db, catalog, variant_id, since, until, settings)
        send_alerts(db, policies, catalog)
        if _screenshots_on({}) and not no_screenshots and done.run_id is not None:
            take_screenshots(db, run_id=done.run_id)
    took = ", ".join(f"{n} {k}" for k, n in done.tally.items() if n) or "no captures listed"
    outcomes = ", ".join(f"{n} {k}" for k, n in done.counts.items() if n) or "nothing recorded"
    click.echo(f"run {done.run_id} {done.status}: {took}; {outcomes}")
    if done.status != "finished":
        click.echo(f"stopped: {done.reason}. Run the same command again to resume.", err=True)
        sys.exit(EXIT_SOME_FAILED)


def _cron(ctx, param, value: str | None) -> str | None:
    """``--cron`` read as the declarations' schedules are, or a usage error."""
    from crawler.declarations.cron import cron_trigger

    if value is not None:
        try:
            cron_trigger(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


@click.command()
@click.option("--list", "list_only", is_flag=True, help="Show each service's schedule and next run time, then exit.")
@click.option("--cron", "default_cron", metavar="CRON", callback=_cron,
              help="Schedule (UTC) of services whose declaration names none: 5 fields, or 6 with seconds first. Default: nightly, 30 3 * * *.")
@click.option("--store", type=click.Path(dir_okay=False), help="The job store (SQLite). Default: beside the archive, archive.schedules.db.")
@click.option("--logs", type=click.Path(file_okay=False), help="Folder of the crawls' logs, one file per run. Default: logs/ beside the archive.")
@click.option("--queue", metavar="URL", help="Crawl through the regional workers on this Redis queue (crawl --queue URL).")
@policies_option
@db_option
def schedule(list_only, default_cron, store, logs, queue, policies, db):
    """Crawl each service on its schedule, in the foreground, until SIGTERM or Ctrl-C.

    Each service runs on its declaration's `schedule` (cron, UTC), else on --cron.
    The services on one schedule are crawled together, in one process and one run
    (`policyarchive crawl --only A --only B ... --trigger schedule`), one crawl at a time. The jobs persist in the store (one scheduler per store): after
    a restart, a run missed while the scheduler was down happens once. Stopping lets the crawl in progress
    finish the pages in flight (Ctrl-C twice stops it at once).

    \b
    Example:
        policyarchive schedule --list
        policyarchive schedule
        policyarchive schedule --cron "0 */6 * * *" --logs /var/log/policyarchive
        policyarchive schedule --queue redis://10.0.0.5:6379/0
    """
    import logging
    import time

    import schedules
    from crawler.archive.lock import ArchiveBusy, archive_lock, holder

    catalog = valid_catalog(policies)
    store = store or str(schedules.store_path(db))
    jobs = schedules.declared_jobs(catalog, db, policies, logs or schedules.logs_path(db), default_cron or schedules.DEFAULT_CRON,
                                   queue=queue)
    if list_only:
        rows = schedules.listing(jobs, store)
        width = max([len("service")] + [len(r[0]) for r in rows])
        click.echo(f"{'service':<{width}}  {'schedule (UTC)':<16}  {'next run (UTC)':<20}  note")
        for name, cron, next_run, note in rows:
            click.echo(f"{name:<{width}}  {cron:<16}  {next_run:<20}  {note}".rstrip())
        services = sum(len(job.services) for job in jobs)
        click.echo(f"{count(services, 'service')} in {count(len(jobs), 'crawl')}: the services on one schedule are crawled together", err=True)
        click.echo(f"store: {Path(store).resolve()}", err=True)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)sZ %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    make_folder_of(store)
    try:
        with archive_lock(store):
            schedules.serve(jobs, store)
    except ArchiveBusy:
        click.echo(f"refused: another scheduler runs on {store} ({holder(store)})", err=True)
        sys.exit(EXIT_BUSY)
