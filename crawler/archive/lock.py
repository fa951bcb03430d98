"""One run at a time over one archive, whoever starts it: the scheduler, cron or a person.

The lock is taken on the archive file itself, so it belongs to the file and not to a name: two hard
links (or a symlink, or a path spelled another way) to one archive meet the same lock. It is an
open-file-description lock (Linux ``F_OFD_SETLK``) on one byte far past anything SQLite locks; such
a lock is not dropped when SQLite closes another descriptor of the same file in this process (a
POSIX record lock would be), and the kernel drops it when the process that holds it ends, however
it ends (``kill -9`` included). Forked children (the extraction workers) close their copy at once,
so a killed run never leaves the lock with an orphan.

``<archive>.lock`` beside the archive says who holds the lock, for the refusal message; its content
is never trusted for the decision.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import socket
import struct
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from crawler.common.clock import utcnow

# Locks this process holds, by the archive file's (device, inode): `policyarchive crawl` takes the
# lock before Scrapy starts, and the pipeline (which also guards a bare `scrapy crawl`) finds it held.
_held: dict[tuple[int, int], int] = {}


class ArchiveBusy(RuntimeError):
    """Another process holds the archive's lock: a run is in progress."""


def lock_path(db: str | Path) -> Path:
    db = Path(db).resolve()
    return db.with_name(db.name + ".lock")


def holder(db: str | Path) -> str:
    """Who holds (or last held) the lock, as its holder wrote it: pid, host and start time.

    A message only: the lock itself is on the archive file.
    """
    try:
        return lock_path(db).read_text().strip()
    except OSError:
        return ""


# The byte locked: past SQLite's lock bytes (from 0x40000000) and past any archive's size.
_LOCK_BYTE = 1 << 62


def _flock(kind: int) -> bytes:
    """A ``struct flock`` for the lock byte (Linux, 64-bit ``off_t``; ``l_pid`` 0 as OFD locks need)."""
    return struct.pack("hhqqi4x", kind, os.SEEK_SET, _LOCK_BYTE, 1, 0)


def _identity(fd: int) -> tuple[int, int]:
    """What the lock is keyed by: the file, whatever name it was opened by."""
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _identity_of(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_dev, st.st_ino


def _try_lock(db: Path) -> int | None:
    """An open descriptor of the archive file holding the lock (the file is made if missing: an
    empty file is an empty SQLite database), or None if another process holds it."""
    fd = os.open(db, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_WRLCK))
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return None
        raise
    return fd


def _close_in_child() -> None:
    """A forked child shares the lock's open file description: closing its copy leaves the lock to
    the parent alone, so it ends with the parent."""
    for fd in _held.values():
        os.close(fd)
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


@contextmanager
def archive_lock(db: str | Path) -> Iterator[None]:
    """Hold the archive's lock for the block, or raise ArchiveBusy at once if another process has it.

    A block nested in one that already holds the lock in this process just runs. An archive file
    made only to be locked, and still empty when the block ends (a start refused before writing),
    is removed: a refused command leaves no archive behind.
    """
    db = Path(db)
    made = not db.exists()
    if not made and _identity_of(db) in _held:
        yield
        return
    fd = _try_lock(db)
    if fd is None:
        raise ArchiveBusy(f"another run is in progress on {db} ({_current_holder(db) or 'holder unknown'}); nothing was started")
    key = _identity(fd)
    _note_holder(db)
    _held[key] = fd
    try:
        yield
    finally:
        if made and os.fstat(fd).st_size == 0:
            db.unlink(missing_ok=True)
        os.close(_held.pop(key))


def _note_holder(db: Path) -> None:
    """Say who holds the lock, for other processes' messages (best effort: only a message).

    Written whole and renamed into place, so a reader sees the old note or the new one, never a
    half-written one."""
    note = lock_path(db)
    partial = note.with_name(f"{note.name}.{os.getpid()}")
    try:
        partial.write_text(f"pid {os.getpid()} on {socket.gethostname()} since {utcnow()}\n")
        os.replace(partial, note)
    except OSError:
        partial.unlink(missing_ok=True)


# How long a refused start waits for the holder's note: the holder writes it just after taking the
# lock, so a start refused in that instant would otherwise name the previous holder, or none.
NOTE_WAIT = 2.0
_NOTE = re.compile(r"pid (\d+) on (\S+) since")


def _current_holder(db: Path) -> str:
    """The note of the process holding the lock now: a note naming a process of this host that has
    ended (the previous holder) or no note at all is waited on, briefly, while the lock is held."""
    deadline = time.monotonic() + NOTE_WAIT
    while True:
        note = holder(db)
        if _names_live_process(note) or time.monotonic() > deadline or not held_elsewhere(db):
            return note
        time.sleep(0.02)


def _names_live_process(note: str) -> bool:
    """Whether the note names a process that still runs (one on another host is taken at its word)."""
    found = _NOTE.match(note)
    if not found:
        return False
    pid, host = int(found[1]), found[2]
    return host != socket.gethostname() or alive(pid)


def alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (one owned by another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def held_elsewhere(db: str | Path) -> bool:
    """Whether another process holds the archive's lock now, i.e. runs on it. Asked without taking
    the lock and on a read-only descriptor, so it works on an archive this process may not write."""
    try:
        fd = os.open(db, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        if _identity(fd) in _held:
            return False
        probe = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, _flock(fcntl.F_WRLCK))
    finally:
        os.close(fd)
    return struct.unpack("hhqqi4x", probe)[0] != fcntl.F_UNLCK
