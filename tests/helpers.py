"""Test tools: a programmable policy site on 127.0.0.1, declarations written on the fly, WARC files
written by hand, and the real CLI run in a subprocess (Twisted's reactor runs once per process)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlite_utils
import yaml
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PROJECT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("POLICYARCHIVE_REALDATA", PROJECT.parent / "shared" / "realdata"))


def policy_page(*paragraphs: str, title: str = "Privacy Policy", noise: str = "") -> bytes:
    """A policy page with site chrome around an ``article.policy``; ``noise`` goes outside it."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title><meta name='nonce' content='{noise}'></head><body>"
        f"<nav>Home · Help · Log in</nav><article class='policy'><h1>{title}</h1>{body}</article>"
        f"<footer>build {noise}</footer></body></html>"
    ).encode()



def policy_pdf(*pages: list[str]) -> bytes:
    """A PDF whose pages hold these paragraphs, each wrapped at 90 characters as a word processor
    would, in Helvetica: the smallest real PDF pdfminer and readers open (no PDF writer is installed)."""
    def stream(paragraphs: list[str]) -> bytes:
        lines, y = ["BT /F1 10 Tf"], 800
        for paragraph in paragraphs:
            for line in textwrap.wrap(paragraph, 90):
                escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                lines.append(f"1 0 0 1 50 {y} Tm ({escaped}) Tj")
                y -= 12
            y -= 12
        return "\n".join(lines + ["ET"]).encode("latin-1")

    count = len(pages)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(count))}] /Count {count} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, paragraphs in enumerate(pages):
        content = stream(paragraphs)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)

LOREM = (
    "We collect information you provide when you create an account, such as your name, email address "
    "and date of birth, and information about how you use the service, such as the content you view."
)

GERMAN = ("Wir erheben Informationen, die Sie uns bei der Erstellung eines Kontos mitteilen, etwa Ihren Namen, "
          "Ihre E-Mail-Adresse und Ihr Geburtsdatum, sowie Informationen darüber, wie Sie den Dienst nutzen.")

@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0
    hold: threading.Event | None = None  # the answer waits until the test sets it (two minutes at most)


class PolicySite:
    """A local site whose pages tests set and change: ``site.set('/us', Route(...))``."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        self.hit_times: list[float] = []  # time.monotonic() of each hit, in order
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.hits.append(self.path)
                site.hit_times.append(time.monotonic())
                route = site.routes.get(self.path, Route(status=404, body=b"not found"))
                time.sleep(min(route.delay, 10))
                if route.hold:
                    route.hold.wait(120)
                try:
                    self.send_response(route.status)
                    for k, v in route.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def set(self, path: str, route: Route | bytes) -> None:
        self.routes[path] = route if isinstance(route, Route) else Route(body=route)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_declaration(folder: Path, service: str, variants: list[dict], doc_type: str = "privacy-policy") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{service.lower()}.yml"
    path.write_text(yaml.safe_dump({"service": service, "documents": [{"type": doc_type, "variants": variants}]}, sort_keys=False))
    return path


def write_warc(path: Path, records: list[tuple]) -> Path:
    """A WARC of response records ``(url, when, status, body)`` as another tool writes one; a fifth
    item, a variant id, adds the metadata record naming it that a policyarchive export writes."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=path.name.endswith(".gz"))
        for url, when, status, body, *variant in records:
            headers = StatusAndHeaders(f"{status} OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            response = writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=headers,
                                                 warc_headers_dict={"WARC-Date": when})
            writer.write_record(response)
            if variant:
                concurrent = response.rec_headers.get_header("WARC-Record-ID")
                writer.write_record(writer.create_warc_record(
                    url, "metadata", payload=BytesIO(f"variant: {variant[0]}\r\n".encode()),
                    warc_content_type="application/warc-fields",
                    warc_headers_dict={"WARC-Date": when, "WARC-Concurrent-To": concurrent}))
    return path


# Commands that start no reactor, exec nothing and log nothing run in this process through click's
# CliRunner, as sqlite-utils tests its CLI; a crawl (Twisted's reactor runs once per process), the
# demo and serve (they exec), the scheduler, imports and backfills (they log) run in their own.
IN_PROCESS = {"validate", "history", "term", "status", "export", "verify"}


def in_process(args: tuple[str, ...]) -> bool:
    return bool(args) and (args[0] in IN_PROCESS or "--help" in args or (args[0] == "schedule" and "--list" in args))


def policyarchive(*args: str, timeout: float = 180, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real CLI, as a user runs it from the project folder: in this process when it can be."""
    if in_process(args):
        from click.testing import CliRunner

        from crawler.cli import cli

        with contextlib.chdir(PROJECT):
            result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
        return subprocess.CompletedProcess(["policyarchive", *args], result.exit_code, result.stdout, result.stderr)
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        capture_output=True, text=True, timeout=timeout, cwd=PROJECT, env={**os.environ, **(env or {})},
    )


def crawl(db: Path, policies: Path, *args: str) -> subprocess.CompletedProcess:
    result = policyarchive("crawl", "--db", str(db), "--policies", str(policies),
                           "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=0", *args)
    assert result.returncode in (0, 3), result.stderr[-3000:]
    return result


def rows(db: Path, sql: str, params=()) -> list[dict]:
    return list(sqlite_utils.Database(db).query(sql, params))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(db: Path):
    """``policyarchive serve`` on a free port, as a user starts it; yields its base URL once it answers."""
    port = free_port()
    log = tempfile.TemporaryFile()  # a file, not a pipe: a pipe nobody reads fills up and stalls the server
    process = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)],
                               cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            raise AssertionError("datasette did not answer within 20 s")
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"datasette exited: {log.read().decode()[-2000:]}")
        yield base
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def two_region_archive(folder: Path, *us_pages: bytes) -> Path:
    """``folder/archive.db``: a site's US and EEA (English) policies crawled once per US page given;
    the EEA page names its lead supervisory authority and never changes."""
    site = PolicySite()
    try:
        write_declaration(folder / "policies", "Acme", [
            {"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]},
            {"region": "EEA", "language": "en", "url": site.url("/eea"), "select": ["article.policy"]},
        ])
        site.set("/eea", policy_page(LOREM, "Our lead supervisory authority is the Irish Data Protection Commission."))
        for page in us_pages:
            site.set("/us", page)
            crawl(folder / "archive.db", folder / "policies")
    finally:
        site.close()
    return folder / "archive.db"


def git_history(repo: Path, commits: list[tuple[str, str, dict[str, bytes | None]]], bare: bool = False) -> Path:
    """A git repository at ``repo`` (made if new) with ``commits`` added to its ``main`` branch, in
    order: each ``(ISO date, message, {path: bytes, or None to delete})``, authored and committed at
    that date. One ``git fast-import`` for them all: a history of thousands of commits in seconds."""
    if not repo.exists():
        subprocess.run(["git", "init", "-q", "-b", "main", *(["--bare"] if bare else []), str(repo)], check=True)
    has_head = subprocess.run(["git", "-C", str(repo), "rev-parse", "-q", "--verify", "main"], capture_output=True).returncode == 0
    stream = BytesIO()
    for n, (date, message, files) in enumerate(commits):
        when = int(datetime.fromisoformat(date).timestamp())
        text = message.encode()
        stream.write(b"commit refs/heads/main\n")
        stream.write(f"author OTA bot <bot@example.org> {when} +0000\ncommitter OTA bot <bot@example.org> {when} +0000\n".encode())
        stream.write(b"data %d\n%s\n" % (len(text), text))
        if n == 0 and has_head:
            stream.write(b"from refs/heads/main^0\n")
        for path, body in files.items():
            quoted = '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'
            if body is None:
                stream.write(f"D {quoted}\n".encode())
            else:
                stream.write(f"M 100644 inline {quoted}\n".encode() + b"data %d\n" % len(body) + body + b"\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=stream.getvalue(), check=True)
    return repo


def ota_history(repo: Path, source: str, document: str) -> Path:
    """A versions repository of the OTA files ``manifest.tsv`` lists for ``source`` (for example
    ``ota-vlopses-us-versions``) and ``document`` (``TikTok/Privacy Policy``): one commit per file, with
    the date and message OTA gave it, in that date's order."""
    rows = []
    for line in (REALDATA / "manifest.tsv").read_text().splitlines()[1:]:
        src, _, path, _, date, subject, local, *_ = line.split("\t")
        if src == source and path == f"{document}.md":
            rows.append((date, subject, {path: (REALDATA / local).read_bytes()}))
    return git_history(repo, sorted(rows, key=lambda r: r[0]))
def start_worker(queue: str, policies: Path, *args: str, log: Path) -> subprocess.Popen:
    """``policyarchive worker`` as its own process, its output in ``log``; in a session of its own, so
    that a test can kill it with its extraction processes (``os.killpg``), as systemd kills a unit."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "crawler.cli", "worker", "--queue", queue, "--policies", str(policies), *args],
                                cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
