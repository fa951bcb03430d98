"""The scheduler: each declared service crawled on its cron schedule; the services due together, in one process.

APScheduler 3.x keeps the jobs in SQLite, in a file of their own beside the archive
(``archive.db`` -> ``archive.schedules.db``) so the archive stays publishable as it is. Restarting
keeps the jobs and their next run times: a job whose slot passed while the scheduler was down runs
once when it is back (coalesced, however many slots it missed), if that is no later than
``MISFIRE_GRACE``. Jobs run one at a time (one worker thread, one instance per job), since the
archive takes one run at a time anyway; a run started meanwhile by cron or a person makes the
scheduled crawl refuse (exit 75), and the log says so.

One job per schedule, not per service: the services whose schedules fire at the same times (the
catalog's default, or the same cron spelt either way) are one job, and each run of it is one
``policyarchive crawl --only A --only B ... --trigger schedule`` in a new process (Twisted's reactor
cannot restart), with its log in a file of its own, and one run row that names the services. A
crawl's start-up costs about a second; a catalog of 300 services on the nightly default pays it once,
not 300 times (docs/decisions/0009-scheduled-batches.md). Schedules are cron expressions in UTC: 5
fields (minute hour day month weekday, Sunday = 0 or 7), or 6 with seconds first; a declaration's
``schedule`` overrides the catalog's default.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED

from crawler.declarations.catalog import Catalog
from crawler.declarations.cron import cron_trigger
from crawler.common.exits import MEANINGS
from crawler.common.plural import count

DEFAULT_CRON = "30 3 * * *"  # nightly, 03:30 UTC
MISFIRE_GRACE = 24 * 3600  # seconds: a nightly run missed while down still happens within a day
JOB_FUNCTION = "schedules:run_services"

logger = logging.getLogger("schedules")

# The crawls running now, and whether the scheduler is stopping: a job queued behind a running one
# must not start a crawl after the stop was asked for.
_children: set[subprocess.Popen] = set()
_children_lock = threading.RLock()  # re-entered by a second Ctrl-C arriving while the first stop holds it
_stopping = threading.Event()


@dataclass(frozen=True)
class Job:
    """The crawl of the services on one schedule: its id is the schedule as the first of them spells it."""

    id: str
    cron: str
    kwargs: dict

    @property
    def services(self) -> list[str]:
        return self.kwargs["services"]


def store_path(db: str | Path) -> Path:
    db = Path(db).resolve()
    return db.with_name(f"{db.stem}.schedules.db")


def logs_path(db: str | Path) -> Path:
    return Path(db).resolve().parent / "logs"


def declared_jobs(catalog: Catalog, db: str, policies: str, logs: str | Path, default_cron: str = DEFAULT_CRON,
                  queue: str | None = None) -> list[Job]:
    """One job per schedule, for the services on it (each on its declared schedule or the default).
    Two spellings of one schedule (``1-5`` and ``mon-fri``) are one job: services are grouped by the
    trigger the cron makes, not by its text. The catalog checked the declared schedules when it loaded
    (``crawler/declarations/cron.py``), and the CLI checks ``--cron``. With ``queue``, each crawl goes
    through the regional workers on that Redis queue (``crawl --queue``)."""
    batches: dict[str, tuple[str, list[str]]] = {}
    for service in catalog.services:
        cron = " ".join((service.schedule or default_cron).split())
        batches.setdefault(str(cron_trigger(cron)), (cron, []))[1].append(service.slug)
    paths = {"db": str(Path(db).resolve()), "policies": str(Path(policies).resolve()), "logs": str(Path(logs).resolve()),
             **({"queue": queue} if queue else {})}
    return [Job(cron, cron, {"services": services, **paths}) for cron, services in batches.values()]


def label(services: list[str]) -> str:
    """How the log names a crawl: its service, or how many with the first few."""
    if len(services) == 1:
        return services[0]
    shown = ", ".join(services[:3]) + (", ..." if len(services) > 3 else "")
    return f"{count(len(services), 'service')} ({shown})"


class _Scheduler(BackgroundScheduler):
    """Once shut down, leaves due jobs as they are for the next start. APScheduler 3 makes one more
    pass over the jobs after ``shutdown()``: it fails to submit the due ones and moves their next run
    time on, so a run missed while stopping (or found by ``--list``) would be lost, not caught up."""

    def _process_jobs(self):
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def make_scheduler(store: str | Path) -> BackgroundScheduler:
    return _Scheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{Path(store).resolve()}")},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
        timezone=timezone.utc,
    )


def _same_slots(stored, job: Job) -> bool:
    """Whether a stored job fires when the declared one does, with the same grace and function."""
    return (str(stored.trigger) == str(cron_trigger(job.cron)) and stored.misfire_grace_time == MISFIRE_GRACE
            and stored.func_ref == JOB_FUNCTION)


def _same(stored, job: Job) -> bool:
    """Whether a stored job is the declared one: same slots, same crawl."""
    return _same_slots(stored, job) and stored.kwargs == job.kwargs


def apply(scheduler: BackgroundScheduler, jobs: list[Job]) -> None:
    """Make the store hold exactly the declared jobs. A job on the same schedule as before keeps its
    stored next run time, even when services joined or left it, so a run it missed while the
    scheduler was down still happens (for the services declared now)."""
    stored = {job.id: job for job in scheduler.get_jobs()}
    for job_id in stored.keys() - {job.id for job in jobs}:
        scheduler.remove_job(job_id)
        logger.info("%s: no longer declared, job removed", job_id)
    for job in jobs:
        if job.id in stored and _same_slots(stored[job.id], job):
            if stored[job.id].kwargs != job.kwargs:
                scheduler.modify_job(job.id, kwargs=job.kwargs, name=label(job.services))
            continue
        scheduler.add_job(JOB_FUNCTION, cron_trigger(job.cron), id=job.id, name=label(job.services), kwargs=job.kwargs,
                          replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=MISFIRE_GRACE)


def _utc(when: datetime | None) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if when else "never"


def listing(jobs: list[Job], store: str | Path) -> list[tuple[str, str, str, str]]:
    """(service, schedule, next run, note) for each declared service, and (job, ...) for each stored
    job no longer declared, without changing the store."""
    stored = {}
    if Path(store).exists():
        scheduler = make_scheduler(store)
        scheduler.start(paused=True)
        stored = {job.id: job for job in scheduler.get_jobs()}
        scheduler.shutdown(wait=False)
    now = datetime.now(timezone.utc)
    rows = []
    for job in jobs:
        if job.id in stored and _same(stored[job.id], job):
            next_run = stored[job.id].next_run_time
            note = "missed while the scheduler was down: runs once when it starts" if next_run and next_run < now else ""
        else:
            next_run = cron_trigger(job.cron).get_next_fire_time(None, now)
            note = "changed: applied when the scheduler starts" if job.id in stored else "new: added when the scheduler starts"
        rows.extend((service, job.cron, _utc(next_run), note) for service in job.services)
    for job_id in sorted(stored.keys() - {job.id for job in jobs}):
        rows.append((job_id, str(stored[job_id].trigger), "-", "no longer declared: removed when the scheduler starts"))
    return rows


def run_services(services: list[str], db: str, policies: str, logs: str, queue: str | None = None) -> int | None:
    """The job: one crawl of the services due together, as its own process, logging to a file of its
    own (named for the service, or for the first with the number of others)."""
    name = services[0] if len(services) == 1 else f"{services[0]}-and-{len(services) - 1}-more"
    log_file = Path(logs) / f"{name}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--trigger", "schedule",
               "--db", db, "--policies", policies, "--log", str(log_file)]
    for service in services:
        command += ["--only", service]
    if queue:
        command += ["--queue", queue]
    who = label(services)
    with open(log_file, "ab") as out, _children_lock:
        if _stopping.is_set():
            logger.info("%s: not started, the scheduler is stopping", who)
            return None
        # A session of its own: Ctrl-C reaches the scheduler only, which stops the crawl with one SIGTERM.
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        _children.add(child)
    logger.info("%s: crawl started (pid %d), log %s", who, child.pid, log_file)
    code = child.wait()
    with _children_lock:
        _children.discard(child)
    meaning = MEANINGS.get(code) or (f"ended by {signal.Signals(-code).name}" if code < 0 else "unexpected")
    logger.log(logging.INFO if code == 0 else logging.WARNING, "%s: crawl ended with exit %d (%s)", who, code, meaning)
    return code


def _stop_children(force: bool = False) -> None:
    with _children_lock:
        _stopping.set()
        for child in _children:
            logger.info("stopping crawl pid %d%s", child.pid, " now" if force else " (it finishes the pages in flight)")
            child.send_signal(signal.SIGTERM)


def serve(jobs: list[Job], store: str | Path) -> None:
    """Run the jobs until SIGTERM or Ctrl-C; then stop the crawl in progress gracefully and wait for it.

    A second SIGTERM or Ctrl-C stops that crawl at once (Scrapy's forced shutdown).
    """
    _stopping.clear()
    stop = threading.Event()

    def on_signal(signum, frame):
        if stop.is_set():
            _stop_children(force=True)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    scheduler = make_scheduler(store)
    scheduler.start(paused=True)
    try:
        apply(scheduler, jobs)
        declared = {job.id: job for job in jobs}
        for job in scheduler.get_jobs():
            logger.info("%s: schedule %s (UTC), next run %s", label(declared[job.id].services), job.id, _utc(job.next_run_time))
        services = sum(len(job.services) for job in jobs)
        logger.info("scheduler started: %s in %s, store %s; SIGTERM or Ctrl-C stops it",
                    count(services, "service"), count(len(jobs), "crawl job"), store)
        scheduler.resume()
        while not stop.wait(3600):
            pass
        logger.info("stopping: no new crawls")
        scheduler.pause()
        _stop_children()
    finally:
        scheduler.shutdown(wait=True)
        for s, handler in previous.items():
            signal.signal(s, handler)
    logger.info("scheduler stopped")
