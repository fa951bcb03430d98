"""The pool of extraction processes of a crawl, a worker or an import, which dies with its parent.

Extraction (lexbor, lxml, html-to-markdown, pdfminer: whole-page CPU work) runs in a
``ProcessPoolExecutor`` so that the process that fetches keeps its reactor free and both cores busy.
Its children must not outlive it. A crawl or worker killed with SIGKILL (systemd's last resort, the
OOM killer, ``kill -9``) runs no clean-up, and its forked children wait for their next task on a
pipe whose writing end they inherited themselves: it never closes, and they would wait for ever,
each holding its memory and its share of the machine's process table. Linux's ``PR_SET_PDEATHSIG``
has the kernel send them SIGKILL when the process that forked them dies, however it dies; it is set
in each child as it starts, through ``prctl`` (ctypes, libc), and a child whose parent died before
that (the signal is then never sent) exits at once. Linux only, as the rest of the deployment.
"""

from __future__ import annotations

import ctypes
import os
import signal
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _child(parent: int) -> None:
    """Set in each extraction process: die with ``parent``; leave Ctrl-C to it (it reaches the whole
    process group, and the parent stops gracefully, still needing its children for the work in hand)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    if os.getppid() != parent:
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def extraction_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` extraction processes that die with this one."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_child, initargs=(os.getpid(),))
