"""``python -m bench``: run the benchmarks, print each figure as it is measured, then the table.

    python -m bench                    # full sizes (what the issue's targets are about)
    python -m bench --quick            # every benchmark at a small size, in under 2 minutes
    python -m bench --peers            # and policyarchive against changedetection.io (installed from PyPI)
    python -m bench --only diff --only datasette --versions 100000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import browser, clauses, cpu, datasette_scale, diffs, fallback, nightly, ota_import, pages, parsing, pdf, peers, recheck, screenshots, startup, throughput, workers
from bench.report import Figure, line, table

BENCHMARKS = [startup, throughput, cpu, recheck, diffs, datasette_scale, browser, nightly, parsing, fallback, ota_import, clauses, pdf, pages, screenshots, workers, peers]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="policyarchive's benchmarks (issue 7).")
    parser.add_argument("--quick", action="store_true", help="small sizes, for development (under 2 minutes)")
    parser.add_argument("--only", action="append", choices=[b.NAME for b in BENCHMARKS], help="run only this benchmark; repeatable")
    parser.add_argument("--versions", type=int, help="datasette: versions in the synthetic archive (full: 1,000,000)")
    parser.add_argument("--variants", type=int, help="datasette: variants in the synthetic archive (full: 100,000)")
    parser.add_argument("--nightly-variants", type=int, help="nightly: variants on the local server (full: 10,000)")
    parser.add_argument("--peers", action="store_true", help="also run 'peers': installs changedetection.io from PyPI into bench/.venv-peers")
    parser.add_argument("--peers-pages", type=int, help="peers: pages in the three passes against changedetection.io (full: 200)")
    parser.add_argument("--peers-bare-pages", type=int, help="peers: pages in the fresh pass against the bare spider (full: 5,000)")
    parser.add_argument("--work", type=Path, help="folder for archives and declarations (default: a temporary one, removed)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="policyarchive-bench-"))
    figures: list[Figure] = []
    failed = []
    started = time.perf_counter()
    try:
        for bench in BENCHMARKS:
            if args.only and bench.NAME not in args.only:
                continue
            if getattr(bench, "OPT_IN", False) and not (args.peers or args.only):
                continue
            print(f"== {bench.NAME}: {bench.TITLE}", flush=True)
            t = time.perf_counter()
            try:
                measured = bench.run(work / bench.NAME, args)
            except Exception:
                traceback.print_exc()
                failed.append(bench.NAME)
                continue
            for figure in measured:
                print(line(figure), flush=True)
            print(f"   ({time.perf_counter() - t:.0f} s)", flush=True)
            figures += measured
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'quick' if args.quick else 'full'} run, {time.perf_counter() - started:.0f} s\n")
    print(table(figures))
    if failed:
        print(f"\nbenchmarks that could not run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
