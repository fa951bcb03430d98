"""The bundled demo site: a fictional service's policies served from 127.0.0.1, in two editions.

``crawler/demo/site/edition-1`` and ``edition-2`` are the same site at two moments; edition 2 adds one
clause to the US policy only. The server can switch editions while it runs, so a demo (or a test)
can crawl, change the site, and crawl again.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawler.archive.lock import ArchiveBusy, held_elsewhere
from crawler.archive import open_read_only
from crawler.declarations.catalog import declaration_files

ROOT = Path(__file__).resolve().parent
SITE = ROOT / "site"
POLICIES = ROOT / "policies"
PORT = 8765
# The variant whose change the demo shows: edition 2 adds a biometric clause to it alone.
CHANGED_VARIANT = "lumen/privacy-policy/us-en"


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature is http.server's
        pass


class DemoSite:
    """A threaded static server on 127.0.0.1 whose document root is the current edition."""

    def __init__(self, port: int = PORT, edition: int = 1, site: Path = SITE):
        self.site = site
        self.edition = edition
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self, *args, **kwargs):
        return _Handler(*args, directory=str(self.site / f"edition-{self.edition}"), **kwargs)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def __enter__(self) -> "DemoSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class NotADemoArchive(Exception):
    """The file at the demo's ``--db`` holds runs other than the demo's: it is never deleted."""


def remove_earlier_demo(db: str | Path) -> None:
    """Remove the archive an earlier demo left at ``db``, so that this one records its one change
    again (crawled on top, edition 1 would come back as a change, and edition 2 as another). Only a
    file holding demo runs alone is removed: anything else raises NotADemoArchive, a run in progress
    ArchiveBusy."""
    path = Path(db)
    if not path.exists():
        return
    if held_elsewhere(path):
        raise ArchiveBusy(f"another run is in progress on {db}")
    try:
        with closing(open_read_only(path).conn) as conn:
            others = conn.execute("SELECT count(*) FROM runs WHERE trigger IS NOT 'demo'").fetchone()[0]
    except sqlite3.DatabaseError:
        others = None
    if others != 0:
        raise NotADemoArchive(str(db))
    for leftover in (path, Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)


def declarations_for_port(policies: str, port: int, db: str) -> str:
    """The demo's declarations for a site on ``port``: they name the default port, so another one
    gets a copy of them with their URLs moved, in ``<db>.policies`` beside the archive."""
    if port == PORT:
        return policies
    folder = Path(db).with_name(Path(db).name + ".policies")
    folder.mkdir(parents=True, exist_ok=True)
    for f in declaration_files([policies]):
        (folder / f.name).write_text(f.read_text(encoding="utf-8").replace(f"127.0.0.1:{PORT}/", f"127.0.0.1:{port}/"), encoding="utf-8")
    return str(folder)


def change_url(db: str | Path, base: str) -> str | None:
    """The diff page of the demo's change, on a Datasette serving ``db`` at ``base``."""
    with closing(open_read_only(db).conn) as conn:
        change = conn.execute("SELECT from_version_id, to_version_id FROM changes WHERE variant_id = ? ORDER BY id DESC LIMIT 1",
                              [CHANGED_VARIANT]).fetchone()
    return f"{base}/-/diff/{change[0]}/{change[1]}" if change else None
