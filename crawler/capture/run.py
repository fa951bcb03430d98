"""Run the ``policies`` spider from Python: what ``policyarchive crawl`` (and so the scheduler) calls.

Twisted's reactor runs once per process, so one call per process; schedules start a new process
for every run. The pipeline holds the archive's lock (crawler/archive/lock.py) for the whole run.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.common.outcomes import FAILURES
from crawler.common.exits import EXIT_CANNOT_RUN
from crawler.capture.spiders.policies import PoliciesSpider


def project_settings(**overrides) -> Settings:
    """crawler/capture/settings.py with command-line overrides on top, wherever the process was started."""
    settings = Settings()
    settings.setmodule("crawler.capture.settings", priority="project")
    settings.setdict({k: v for k, v in overrides.items() if v is not None}, priority="cmdline")
    return settings


@dataclass
class CrawlResult:
    run_id: int | None
    counts: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None
    exit_code: int = EXIT_CANNOT_RUN

    @property
    def failed(self) -> int:
        return sum(self.counts.get(k, 0) for k in FAILURES)


def log_to(path: str) -> None:
    """Send everything this process and its children print from now on to the end of ``path``, as
    ``>> path 2>&1`` would: the crawl's log, its summary, errors, tracebacks."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def run_crawl(db: str, policies: str, only: tuple[str, ...] = (), trigger: str = "cli", verbose: bool = False,
              log_file: str | None = None, **settings) -> CrawlResult:
    """Crawl the selected variants into ``db`` and return the run's counts of each outcome.

    ``log_file`` is where the caller sends the log (``policyarchive crawl --log``): the run records it,
    and its lines carry the date.
    """
    process = CrawlerProcess(
        project_settings(
            POLICYARCHIVE_DB=db,
            POLICYARCHIVE_POLICIES=policies,
            POLICYARCHIVE_ONLY=list(only),
            POLICYARCHIVE_TRIGGER=trigger,
            STATS_DUMP=verbose,
            LOG_FORMAT="%(asctime)s %(levelname)s %(message)s",
            LOG_DATEFORMAT="%Y-%m-%dT%H:%M:%S" if log_file else "%H:%M:%S",
            LOG_INSTALL_ROOT_HANDLER=True,
            LOG_VERSIONS=None if verbose else [],  # Scrapy's list of library versions: --verbose only
            POLICYARCHIVE_LOG=str(Path(log_file).resolve()) if log_file else None,
            **settings,
        ),
    )
    if not verbose:
        for name in ("scrapy", "scrapy-playwright", "asyncio", "py.warnings"):
            logging.getLogger(name).setLevel(logging.WARNING)
    crawler = process.create_crawler(PoliciesSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats
    return CrawlResult(
        run_id=stats.get_value("policyarchive/run_id"),
        counts=stats.get_value("policyarchive/counts") or {},
        finish_reason=stats.get_value("finish_reason"),
        exit_code=stats.get_value("policyarchive/exit_code", EXIT_CANNOT_RUN),
    )
