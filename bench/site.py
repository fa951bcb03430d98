"""The real pages served as many distinct variants from 127.0.0.1, declarations for them, and the
real ``policyarchive crawl`` run against them.

Variant ``i`` is ``/v/i``: by default the TikTok snapshot ``i % 69`` (the page of 2020-2021 that holds
the US, EEA and rest-of-world policies one after another; variants select the US one with a range).
``change(i)`` adds a clause to the US policy of variant ``i``, as a site's new edition would.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlite_utils
import yaml

PROJECT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("POLICYARCHIVE_REALDATA", PROJECT.parent / "shared" / "realdata"))
TIKTOK = REALDATA / "dkg-tosback-snapshots" / "TikTok" / "Privacy Policy"
US_RANGE = {"start": "#privacy-us", "end": "#privacy-eea"}
EEA_RANGE = {"start": "#privacy-eea", "end": "#privacy-row"}
ENV = {"POLICYARCHIVE_ALLOW_PRIVATE_HOSTS": "127.0.0.1"}


@functools.cache
def tiktok_pages() -> list[bytes]:
    pages = [p.read_bytes() for p in sorted(TIKTOK.glob("*.html"))]
    if not pages:
        raise SystemExit(f"no TikTok snapshots in {TIKTOK} (set POLICYARCHIVE_REALDATA)")
    return pages


def with_clause(page: bytes, clause: str, section: str = "privacy-us") -> bytes:
    """The page with a paragraph added at the top of one of its policies (after its heading)."""
    start = page.index(f'id="{section}"'.encode())
    at = page.index(b"</h1>", start) + len(b"</h1>")
    return page[:at] + f"<p>{clause}</p>".encode() + page[at:]


class _Server(ThreadingHTTPServer):
    """Listens with a backlog for a crawl's concurrent connections (the default, 5, overflows: the
    kernel then answers with SYN cookies and retransmits, and the crawl measures the server)."""

    request_queue_size = 128
    daemon_threads = True


class VariantSite:
    """``count`` variants over ``pages``, served from a thread on 127.0.0.1 (HTTP/1.0, as a plain site),
    each answered after ``latency`` seconds (a far site's round trips, for the network-bound case).
    ``distinct`` makes each variant's bytes its own (a comment naming it at the end: the same text), as
    a real catalog's pages are: the archive then stores and compresses every page of a first crawl."""

    def __init__(self, pages: list[bytes], count: int, content_type: str = "text/html; charset=utf-8",
                 latency: float = 0.0, distinct: bool = False):
        self.bodies = [pages[i % len(pages)] + (f"<!-- variant {i} -->".encode() if distinct else b"") for i in range(count)]
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                time.sleep(latency)
                try:
                    body = site.bodies[int(self.path.rsplit("/", 1)[-1])]
                    status = 200
                except (ValueError, IndexError):
                    body, status = b"not found", 404
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v/{i}"

    @property
    def urls(self) -> list[str]:
        return [self.url(i) for i in range(len(self.bodies))]

    def change(self, i: int, clause: str, section: str = "privacy-us") -> None:
        self.bodies[i] = with_clause(self.bodies[i], clause, section)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_declarations(folder: Path, urls: list[str], **fields) -> Path:
    """One service, one document per URL (variant US/en each), selecting the US policy by range."""
    folder.mkdir(parents=True, exist_ok=True)
    variant = {"select": [US_RANGE], **fields}
    documents = [{"type": f"doc-{i}", "variants": [{"region": "US", "language": "en", "url": url, **variant}]}
                 for i, url in enumerate(urls)]
    path = folder / "bench.yml"
    path.write_text(yaml.safe_dump({"service": "Bench", "documents": documents}, sort_keys=False))
    return path


def run(command: list[str], ok: tuple[int, ...] = (0,), timeout: float = 3600, watch=None,
        env: dict[str, str] | None = None) -> tuple[str, float]:
    """Run a command in its own process (``env`` added to its environment); return its output and
    wall time. ``watch(pid)`` runs in a thread while it does (to sample its memory)."""
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT,
                          env={**os.environ, **ENV, **(env or {})}) as process:
        if watch:
            threading.Thread(target=watch, args=(process.pid,), daemon=True).start()
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    wall = time.perf_counter() - started
    if process.returncode not in ok:
        raise RuntimeError(f"{' '.join(command[:4])} exited {process.returncode}:\n{err[-3000:]}")
    return out, wall


def cpu_seconds() -> tuple[float, float]:
    """CPU time (user and system) used so far by this process's finished children (a crawl, its
    extraction workers and Chromium) and by this process itself (the site's server threads)."""
    children, own = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return children.ru_utime + children.ru_stime, own.ru_utime + own.ru_stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by a running process and its living descendants, from
    /proc (for a server that outlives the passes measured, where RUSAGE_CHILDREN cannot see it)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        proc = Path(f"/proc/{pending.pop()}")
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in (proc / "task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def fresh_db(path: Path) -> Path:
    """``path`` with no archive left at it by an earlier run kept with ``--work``: a benchmark that
    measures first captures must not crawl into an archive that already knows the pages."""
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    return path


def crawl(db: Path, policies: Path, *settings: str, watch=None) -> float:
    """Run ``policyarchive crawl`` in its own process, as cron does (its log to a file, not a pipe
    this process must drain); return its wall time. Screenshots are off unless ``settings`` turn
    them on: only bench/screenshots.py is about them."""
    log = db.with_name(db.name + ".log")
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--policies", str(policies), "--log", str(log)]
    for setting in ("POLICYARCHIVE_SCREENSHOTS=0", *settings):
        command += ["-s", setting]
    try:
        return run(command, ok=(0, 3), watch=watch)[1]
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}\n{log.read_text()[-3000:] if log.exists() else ''}") from None


def last_run(db: Path) -> dict:
    """The archive's last run: its window in seconds and the count of each outcome."""
    archive = sqlite_utils.Database(db)
    run = next(archive.query("SELECT * FROM runs ORDER BY id DESC LIMIT 1"))
    outcomes = dict(archive.execute("SELECT outcome, count(*) FROM captures WHERE run_id = ? GROUP BY outcome", [run["id"]]).fetchall())
    archive.conn.close()
    return {"id": run["id"], "seconds": _seconds(run["started_at"], run["ended_at"]), "outcomes": outcomes}


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def bare_crawl(urls: list[str], folder: Path, *settings: str, browser: bool = False, wait_for: str | None = None,
               watch=None) -> dict:
    """Run the bare spider (bench/bare.py) in its own process; return its pages, bytes and window."""
    folder.mkdir(parents=True, exist_ok=True)
    listing = folder / "urls.json"
    listing.write_text(json.dumps(urls))
    command = [sys.executable, "-m", "bench.bare", str(listing)] + (["--browser"] if browser else [])
    if wait_for:
        command += ["--wait-for", wait_for]
    for setting in settings:
        command += ["-s", setting]
    out, wall = run(command, watch=watch)
    return {**json.loads(out.strip().splitlines()[-1]), "wall": wall}


def used_bytes(db: Path) -> tuple[int, dict[str, int]]:
    """Bytes of the archive's pages in use (WAL checkpointed first), and of each table and index."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages, free, size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
    per_table = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    conn.close()
    return (pages - free) * size, per_table
