"""The run lock's refusal message names the process that holds the archive now."""

import socket
import subprocess
import sys

import pytest

from helpers import PROJECT
from crawler.archive.lock import ArchiveBusy, archive_lock, lock_path

# Takes the lock as a start does, but writes its note a moment later: the instant in which a start
# refused at the same time would otherwise name the previous holder.
HOLDER = """
import sys, time
from pathlib import Path
from crawler.archive import lock
db = Path(sys.argv[1])
fd = lock._try_lock(db)
print("held", flush=True)
time.sleep(0.2)
lock._note_holder(db)
sys.stdin.read()
"""


def ended_process() -> int:
    """The pid of a process that has ended: the previous holder's."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_refused_start_names_the_holder_of_now_not_the_one_before(tmp_path):
    db = tmp_path / "archive.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], cwd=PROJECT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == "held\n"
        lock_path(db).write_text(f"pid {ended_process()} on {socket.gethostname()} since 2026-01-01T00:00:00Z\n")
        with pytest.raises(ArchiveBusy) as refused:
            with archive_lock(db):
                pass
        assert f"pid {holder.pid} on " in str(refused.value)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
