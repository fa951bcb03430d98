"""Run the ``policies`` spider from Python: what ``policyarchive crawl`` and the scheduler call.

Twisted's reactor runs once per process, so one call per process; schedules start a new process
for every run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.classify import FAILURES
from crawler.spiders.policies import PoliciesSpider


def project_settings(**overrides) -> Settings:
    """crawler/settings.py with command-line overrides on top, wherever the process was started."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict({k: v for k, v in overrides.items() if v is not None}, priority="cmdline")
    return settings


@dataclass
class CrawlResult:
    run_id: int | None
    counts: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None

    @property
    def failed(self) -> int:
        return sum(self.counts.get(k, 0) for k in FAILURES)


def run_crawl(db: str, policies: str, only: tuple[str, ...] = (), trigger: str = "cli", verbose: bool = False, **settings) -> CrawlResult:
    """Crawl the selected variants into ``db`` and return the run's counts of each outcome."""
    process = CrawlerProcess(
        project_settings(
            POLICYARCHIVE_DB=db,
            POLICYARCHIVE_POLICIES=policies,
            POLICYARCHIVE_ONLY=list(only),
            POLICYARCHIVE_TRIGGER=trigger,
            STATS_DUMP=verbose,
            LOG_FORMAT="%(asctime)s %(levelname)s %(message)s",
            LOG_DATEFORMAT="%H:%M:%S",
            **settings,
        ),
        install_root_handler=True,
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
    )
