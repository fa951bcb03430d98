"""Start-up: a crawl of one unchanged variant, wall and CPU time, against the interpreter starting
and the CLI importing, measured in the same run (issue 20: <= 1.0 s wall on a quiet 2-core machine).

The nightly scheduler starts one crawl process per service, so a catalog of 300 services pays this
start-up 300 times a night: most of a small unchanged crawl is start-up, not work.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.report import Figure
from bench.site import ENV, PROJECT, VariantSite, crawl, fresh_db, last_run, tiktok_pages, write_declarations

NAME = "startup"
TITLE = "a crawl of one unchanged variant: wall and CPU, against the interpreter and the CLI's imports"


def _timed(command: list[str], rounds: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``command`` over ``rounds`` runs (CPU of the child processes)."""
    walls, cpus = [], []
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=PROJECT,
                       env={**os.environ, **ENV})
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def run(work: Path, args) -> list[Figure]:
    rounds = 3 if args.quick else 7
    site = VariantSite(tiktok_pages()[:1], 1)
    db = fresh_db(work / "startup.db")
    try:
        policies = write_declarations(work / "policies", site.urls)
        crawl(db, policies)
        command = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--policies", str(policies)]
        wall, cpu = _timed(command, rounds)
        if last_run(db)["outcomes"].get("unchanged") != 1:
            raise RuntimeError(f"the re-crawl was not one unchanged capture: {last_run(db)['outcomes']}")
    finally:
        site.close()
    interpreter, _ = _timed([sys.executable, "-c", "pass"], rounds)
    imports, _ = _timed([sys.executable, "-c", "import crawler.cli"], rounds)
    return [
        Figure("crawl of one unchanged variant, wall", wall, "s", "<=", 1.0, baseline=interpreter, ratio=wall / interpreter,
               ratio_note="crawl / python -c pass", note=f"median of {rounds}; CPU {cpu:.2f} s"),
        Figure("the CLI's imports alone, wall", imports, "s", baseline=interpreter, ratio=imports / interpreter,
               ratio_note="import crawler.cli / python -c pass"),
    ]
