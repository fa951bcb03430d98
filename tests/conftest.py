"""Fixtures shared by the suite; the tools they use are in helpers.py."""

import os

import pytest

from crawler.fleet.queue import local_redis
from helpers import REALDATA, PolicySite

# The suite's servers run on loopback, which the crawler refuses unless allowed (crawler/declarations/hosts.py).
os.environ["POLICYARCHIVE_ALLOW_PRIVATE_HOSTS"] = "127.0.0.1,localhost"
# Screenshots cost a Chromium per command: only tests/test_screenshots.py turns them on.
os.environ["POLICYARCHIVE_SCREENSHOTS"] = "0"


@pytest.fixture
def site():
    """A policy site on 127.0.0.1 whose pages the test sets."""
    s = PolicySite()
    yield s
    s.close()


@pytest.fixture(scope="session")
def realdata():
    """../shared/realdata; its absence fails the test rather than skipping it."""
    if not REALDATA.exists():
        pytest.fail(f"real data not found at {REALDATA}: set POLICYARCHIVE_REALDATA or place ../shared/realdata")
    return REALDATA


@pytest.fixture
def redis_url():
    """A real redis-server on 127.0.0.1 and a free port, nothing persisted; its URL."""
    with local_redis() as url:
        yield url
