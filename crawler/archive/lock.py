"""One run at a time over one archive, whoever starts it: the scheduler, cron or a person.

The lock is a POSIX record lock (``fcntl.lockf``) on ``<archive>.lock`` beside the archive. The
kernel drops it when the process that holds it ends, however it ends (``kill -9`` included), and
forked children (the extraction workers) never inherit it, so a killed run cannot block the next
one. The file itself says who holds the lock, for the refusal message; its content is never
trusted for the decision.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from crawler.common.clock import utcnow

# Locks this process holds, by lock file: `policyarchive crawl` takes the lock before Scrapy starts,
# and the pipeline (which also guards a bare `scrapy crawl`) finds it already held.
_held: dict[Path, int] = {}
# held_elsewhere() tests the lock by taking it for a moment; a start that meets such a probe tries
# again for a quarter of a second before it refuses, so only a real run makes it refuse.
PROBE_RETRIES = 5


class ArchiveBusy(RuntimeError):
    """Another process holds the archive's lock: a run is in progress."""


def lock_path(db: str | Path) -> Path:
    db = Path(db).resolve()
    return db.with_name(db.name + ".lock")


def holder(db: str | Path) -> str:
    """Who holds (or last held) the lock, as its holder wrote it: pid, host and start time.

    Only for other processes: closing any descriptor of the lock file drops a POSIX lock, so the
    process that holds the lock never opens the file again.
    """
    try:
        return lock_path(db).read_text().strip()
    except OSError:
        return ""


def _try_lock(path: Path) -> int | None:
    """An open descriptor of the lock file holding the lock, or None if another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return None
        raise
    return fd


@contextmanager
def archive_lock(db: str | Path) -> Iterator[None]:
    """Hold the archive's lock for the block, or raise ArchiveBusy at once if another process has it.

    A block nested in one that already holds the lock in this process just runs.
    """
    path = lock_path(db)
    if path in _held:
        yield
        return
    fd = _try_lock(path)
    for _ in range(PROBE_RETRIES):
        if fd is not None:
            break
        time.sleep(0.05)
        fd = _try_lock(path)
    if fd is None:
        raise ArchiveBusy(f"another run is in progress on {db} ({holder(db) or 'holder unknown'}); nothing was started")
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since {utcnow()}\n".encode())
    _held[path] = fd
    try:
        yield
    finally:
        os.close(_held.pop(path))


def held_elsewhere(db: str | Path) -> bool:
    """Whether another process holds the archive's lock now, i.e. runs on it."""
    path = lock_path(db)
    if path in _held or not path.exists():
        return False
    fd = _try_lock(path)
    if fd is None:
        return True
    os.close(fd)
    return False
