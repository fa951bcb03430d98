"""Intake's settings: where the Wayback Machine is and how gently a backfill asks it.

The crawl's settings are Scrapy's, in ``crawler/capture/settings.py``; a backfill is not a Scrapy
crawl (one request at a time, with the archive's lock held), so its own live here, overridden by
``policyarchive backfill --wayback-url/--delay``.
"""

from __future__ import annotations

from dataclasses import dataclass

WAYBACK_URL = "https://web.archive.org"
USER_AGENT = "policyarchive/0.1 (history backfill; one request at a time)"


@dataclass(frozen=True)
class Settings:
    """Where the Wayback Machine is and how gently to ask it."""

    base_url: str = WAYBACK_URL
    delay: float = 2.0      # seconds between two requests; backoff waits start at four times this
    tries: int = 6          # per request, on 429, 5xx and network errors
    max_wait: float = 300.0
    page_size: int = 500    # CDX rows per page
    timeout: float = 60.0
