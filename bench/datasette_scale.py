"""Benchmark 4, Datasette at scale: the pages a reporter uses, on a synthetic archive written
through the archive module (bench/synthetic.py), served by ``policyarchive serve`` in its own
process, against the same pages on Datasette with its default settings (the same command without
policyarchive's ``--setting`` options: facet suggestions on, 1 s SQL limit, and so on).

Median latency of 20 requests per page, after one warm-up request. The synthetic archive is kept
in the work folder (``--work``) and reused by the next run with the same size.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import sqlite_utils

from bench.report import Figure
from bench.site import PROJECT
from bench.synthetic import RARE_TERM, generate
from crawler.web.publish import serve_command

NAME = "datasette"
TITLE = "reporters' pages on a synthetic archive, policyarchive serve against Datasette's defaults"
REQUESTS = 20
FULL_VERSIONS, FULL_VARIANTS = 1_000_000, 100_000


def archive(work: Path, versions: int, variants: int) -> Path:
    """The synthetic archive of this size, generated unless a complete one is in ``work``."""
    db = work / f"synthetic-{versions}-{variants}.db"
    done = db.with_suffix(".done")
    if db.exists() and done.exists():
        print(f"  reusing {db} ({db.stat().st_size / 1e9:.2f} GB)", flush=True)
        return db
    work.mkdir(parents=True, exist_ok=True)
    for stale in work.glob(f"{db.name}*"):
        stale.unlink()
    made = generate(db, versions, variants)
    done.write_text(f"{made}\n")
    print(f"  generated {made['versions']:,} versions over {made['variants']:,} variants in {made['seconds']:.0f} s "
          f"({made['versions'] / made['seconds']:.0f} versions/s), {made['bytes'] / 1e9:.2f} GB", flush=True)
    return db


def pages(db: Path) -> dict[str, str]:
    """Each reporter's page on this archive: its path."""
    archive = sqlite_utils.Database(db)
    name = db.stem
    count = archive.execute("SELECT count(*) FROM variants").fetchone()[0]
    variant_id, document_id = archive.execute("SELECT id, document_id FROM variants WHERE region = 'US' LIMIT 1 OFFSET ?",
                                              [count // 20]).fetchone()
    sibling = archive.execute("SELECT id FROM variants WHERE document_id = ? AND region = 'EEA' AND language = 'en'",
                              [document_id]).fetchone()[0]
    old, new, detected = archive.execute(
        "SELECT from_version_id, to_version_id, detected_at FROM changes WHERE variant_id = ? ORDER BY detected_at DESC LIMIT 1",
        [variant_id]).fetchone()
    archive.conn.close()
    q = urllib.parse.quote
    return {
        "search for a rare term (/-/search)": f"/-/search?q={RARE_TERM}",
        "search for a common term (/-/search)": "/-/search?q=biometric",
        "search for a rare term (versions_browse table)": f"/{name}/versions_browse?_search={RARE_TERM}",
        "a variant's history (/-/variant)": f"/-/variant/{variant_id}",
        "recent changes (canned query)": f"/{name}/recent_changes",
        "a diff (/-/diff)": f"/-/diff/{old}/{new}",
        "a compare, US with EEA (/-/compare)": f"/-/compare/{document_id}?a={q(variant_id)}&b={q(sibling)}&at={detected[:10]}",
        "the versions table page": f"/{name}/versions",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _without_settings(command: list[str]) -> list[str]:
    out, skip = [], 0
    for part in command:
        if skip:
            skip -= 1
        elif part == "--setting":
            skip = 2
        else:
            out.append(part)
    return out


def latencies(command: list[str], port: int, paths: dict[str, str]) -> dict[str, tuple[float, int]]:
    """Median seconds and last status of each page, on a server started with ``command``."""
    server = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"datasette did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.3)
        out = {}
        for label, path in paths.items():
            times, status = [], 0
            for n in range(REQUESTS + 1):
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(base + path, timeout=120) as response:
                        response.read()
                        status = response.status
                except urllib.error.HTTPError as exc:
                    exc.read()
                    status = exc.code
                if n:
                    times.append(time.perf_counter() - started)
            out[label] = (statistics.median(times), status)
        return out
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(work: Path, args) -> list[Figure]:
    if args.quick:
        versions, variants = args.versions or 1_000, args.variants or 100
    else:
        versions, variants = args.versions or FULL_VERSIONS, args.variants or FULL_VARIANTS
    db = archive(work, versions, variants)
    paths = pages(db)
    port = _free_port()
    ours_command = [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)]
    ours = latencies(ours_command, port, paths)
    default = latencies(_without_settings(serve_command(db, "127.0.0.1", port)), port, paths)
    size = f"{versions:,} versions over {variants:,} variants, {db.stat().st_size / 1e9:.2f} GB"
    figures = []
    for label, path in paths.items():
        (median, status), (base, base_status) = ours[label], default[label]
        statuses = "" if status == base_status == 200 else f"; HTTP {status} (defaults: HTTP {base_status})"
        figures.append(Figure(f"datasette: {label}", median * 1000, "ms", "<=", 150, baseline=base * 1000, ratio=base / median,
                              ratio_note="Datasette defaults / policyarchive serve", note=f"{path} on {size}{statuses}"))
    return figures
