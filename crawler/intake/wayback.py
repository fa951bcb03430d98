"""Backfill a variant's history from the Wayback Machine.

The CDX API lists the captures of the variant's URL (status 200 only, adjacent duplicates collapsed
by digest, a page at a time with resume keys); each capture's original bytes are fetched in the
``id_`` form and imported as one run through the same classification, extraction and versioning as
``crawler/intake/importer.py``, each capture with ``source = 'wayback'`` and its ``memento_url``.

Polite: one request at a time, at least ``delay`` seconds apart (2 s by default: 30 a minute, half
the 60 a minute the Wayback Machine allows its CDX API), backing off on 429 and 5xx (doubling
waits, Retry-After honoured) and stopping after a few tries, to be resumed later.

Resumable: each capture is recorded with its CDX timestamp and digest (``wayback_captures``) in the
same transaction as the capture itself, and the resume key of the next CDX page is kept in
``backfills`` once a page is done. The same command run again starts from that page and skips the
captures already recorded; a capture whose digest was fetched before (and matched) is recorded from
the stored bytes, not fetched again.

Wayback captures carry no region: the Wayback Machine does not say from where, in which language or
with which browser its crawler fetched a page. Their ``region``, ``language``, ``proxy``, ``renderer``
and ``user_agent`` are left empty, on each capture.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import urlencode, urljoin

from crawler.archive.store import Archive
from crawler.common.clock import iso, utcnow
from crawler.declarations.catalog import Catalog, Variant
from crawler.intake.importer import Saved, analyse_saved
from crawler.intake.settings import USER_AGENT, Settings
from crawler.capture.items import Capture
from crawler.capture.retry import retry_after_seconds

logger = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECTS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
# How each CDX row was taken; ``backfills`` keeps the counts.
TALLIES = ("fetched", "reused", "skipped", "collapsed")
_MEMENTO = re.compile(r"^/web/(\d{14})(?:[a-z]{2}_)?/(.+)$", re.DOTALL)


_CDX_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?)?)?|\d{4,14}")


def cdx_date(value: str | None) -> str | None:
    """2020, 2020-06, 2020-06-01 or 2020-06-01T12:00 (or the CDX API's own 4 to 14 digits) as the
    CDX API takes it, digits only; a date that does not exist (2021-13-45, 31/12/2021) is refused."""
    if value is None:
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    if not _CDX_DATE.fullmatch(value.strip()) or not _real_date(digits):
        raise ValueError(f"{value!r} is not a date such as 2020, 2020-06 or 2020-06-01")
    return digits


def _real_date(digits: str) -> bool:
    """Whether the leading parts of YYYYMMDDhhmmss that ``digits`` gives name a real time."""
    padded = digits + "0101000000"[len(digits) - 4:] if len(digits) < 14 else digits
    try:
        datetime.strptime(padded, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


class Unavailable(Exception):
    """The service kept failing (429, 5xx, network errors) after every try."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: int | None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as replies: the Wayback Machine's own are followed by hand, and counted."""

    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """HTTP GET to the Wayback Machine, one request at a time, paced and backing off."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._opener = urllib.request.build_opener(_NoRedirects)
        self._last = float("-inf")

    def get(self, url: str) -> Reply:
        """The reply to ``url``; 429, 5xx and network errors are retried, then raise Unavailable."""
        for attempt in range(self.settings.tries):
            self._pace()
            try:
                reply = self._fetch(url)
            except (OSError, http.client.HTTPException) as exc:
                why, retry_after = f"network error ({exc!r})", None
            else:
                if reply.status not in RETRY_STATUSES:
                    return reply
                why, retry_after = f"HTTP {reply.status}", reply.headers.get("retry-after")
            if attempt + 1 < self.settings.tries:
                wait = self._backoff(attempt, retry_after)
                logger.info("%s from %s; waiting %.1f s", why, url, wait)
                time.sleep(wait)
        raise Unavailable(f"{url}: {why}, {self.settings.tries} times")

    def _pace(self) -> None:
        wait = self._last + self.settings.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        wait = max(self.settings.delay * 4 * 2**attempt, retry_after_seconds(retry_after) or 0)
        return min(wait, self.settings.max_wait)

    def _fetch(self, url: str) -> Reply:
        started = time.monotonic()
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                status, headers, body = exc.code, exc.headers, exc.read()
        joined: dict[str, str] = {}
        for name, value in headers.items():
            joined[name.lower()] = f"{joined[name.lower()]}, {value}" if name.lower() in joined else value
        return Reply(status, joined, body, int((time.monotonic() - started) * 1000))


@dataclass(frozen=True)
class Row:
    """One capture as the CDX API lists it."""

    timestamp: str
    original: str
    digest: str


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_key: str | None


def parse_cdx(body: bytes) -> Page:
    """A CDX API page in JSON: a header row, the rows, then ``[]`` and ``[resume key]`` if more follow."""
    data = json.loads(body or b"[]")
    next_key = None
    if len(data) >= 2 and data[-2] == []:
        next_key, data = data[-1][0], data[:-2]
    header, rows = (data[0], data[1:]) if data else ([], [])
    return Page([Row(**{k: v for k, v in zip(header, r) if k in ("timestamp", "original", "digest")}) for r in rows], next_key)


def cdx_pages(client: Client, url: str, since: str | None, until: str | None, resume_key: str | None) -> Iterator[Page]:
    """The CDX API's pages of successful captures of ``url``, from ``resume_key`` on."""
    while True:
        params = {"url": url, "output": "json", "fl": "timestamp,original,digest", "filter": "statuscode:200",
                  "collapse": "digest", "showResumeKey": "true", "limit": client.settings.page_size}
        params.update({k: v for k, v in (("from", since), ("to", until), ("resumeKey", resume_key)) if v})
        reply = client.get(f"{client.settings.base_url}/cdx/search/cdx?{urlencode(params)}")
        if reply.status != 200:
            raise Unavailable(f"the CDX API answered HTTP {reply.status}: {reply.body[:200]!r}")
        try:
            page = parse_cdx(reply.body)
        except ValueError:
            # An outage page served with 200 (HTML) rather than JSON: the service is not answering.
            raise Unavailable(f"the CDX API answered something that is not JSON "
                              f"({reply.headers.get('content-type', 'no Content-Type')}): {reply.body[:200]!r}") from None
        yield page
        if not page.next_key:
            return
        resume_key = page.next_key


def wayback_digest(body: bytes) -> str:
    """The digest the CDX API lists: base32 of the SHA-1 of the payload."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode()


def memento_url(base_url: str, timestamp: str, original: str) -> str:
    """The capture's page in the Wayback Machine; its raw bytes are at the same address with ``id_``
    after the timestamp."""
    return f"{base_url}/web/{timestamp}/{original}"


def fetch_memento(client: Client, row: Row) -> tuple[Reply, str, str]:
    """(reply, timestamp, original URL) of the capture a memento resolves to.

    The Wayback Machine redirects a memento to a neighbouring capture (another timestamp, or the
    http/https twin of the URL); those redirects are followed, a few at most, and only within it.
    """
    base = client.settings.base_url
    url = f"{base}/web/{row.timestamp}id_/{row.original}"
    timestamp, original = row.timestamp, row.original
    for _ in range(MAX_REDIRECTS + 1):
        reply = client.get(url)
        target = urljoin(url, reply.headers.get("location", ""))
        match = _MEMENTO.match(target[len(base):]) if target.startswith(base + "/web/") else None
        if reply.status not in REDIRECTS or not match:
            break
        url, (timestamp, original) = target, match.groups()
    return reply, timestamp, original


def _when(timestamp: str) -> str:
    return iso(datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc))


def _capture(variant: Variant, base_url: str, row: Row, reply: Reply, timestamp: str, original: str) -> Capture:
    return Capture(
        variant_id=variant.id, requested_url=row.original, final_url=original, fetched_at=_when(timestamp),
        status=reply.status, headers=reply.headers, body=reply.body, renderer=None, region=None, language=None,
        proxy=None, user_agent=None, elapsed_ms=reply.elapsed_ms, source="wayback",
        memento_url=memento_url(base_url, timestamp, original),
    )


@dataclass
class Backfilled:
    run_id: int
    status: str
    counts: dict[str, int]
    tally: Counter = field(default_factory=Counter)
    reason: str | None = None


class Backfill:
    """One run of a variant's backfill: its state row in ``backfills``, its archive and its client."""

    def __init__(self, archive: Archive, client: Client, variant: Variant, since: str | None, until: str | None):
        self.archive, self.client, self.variant = archive, client, variant
        self.since, self.until = since, until
        self.tally: Counter = Counter()
        self.run_id = archive.start_run("backfill", (variant.id,))
        self.state = self._resume_or_start()

    def _resume_or_start(self) -> dict:
        """The unfinished backfill with the same variant, service and dates, or a new one."""
        db = self.archive.db
        row = db.execute(
            f"""SELECT id, resume_key, {', '.join(TALLIES)} FROM backfills WHERE variant_id = ? AND wayback_url = ?
                AND from_date IS ? AND to_date IS ? AND status != 'finished' ORDER BY id DESC LIMIT 1""",
            [self.variant.id, self.client.settings.base_url, self.since, self.until],
        ).fetchone()
        with db.atomic():
            if row:
                db["backfills"].update(row[0], {"status": "running", "run_id": self.run_id, "updated_at": utcnow()})
                return {"id": row[0], "resume_key": row[1], "before": dict(zip(TALLIES, row[2:]))}
            backfill_id = db["backfills"].insert(
                {"variant_id": self.variant.id, "wayback_url": self.client.settings.base_url, "from_date": self.since,
                 "to_date": self.until, "started_at": utcnow(), "updated_at": utcnow(), "status": "running",
                 "run_id": self.run_id, **{k: 0 for k in TALLIES}}
            ).last_pk
        return {"id": backfill_id, "resume_key": None, "before": {k: 0 for k in TALLIES}}

    def run(self) -> Backfilled:
        """Every page from the saved resume key on; a stop (Ctrl-C, the service unavailable) leaves
        the state to resume from."""
        status, reason = "finished", None
        try:
            previous = None
            for page in cdx_pages(self.client, self.variant.url, self.since, self.until, self.state["resume_key"]):
                for row in page.rows:
                    self.tally[self._take(row, previous)] += 1
                    previous = row.digest
                self._save(resume_key=page.next_key)
        except Unavailable as exc:
            status, reason = "interrupted", str(exc)
        except KeyboardInterrupt:
            status, reason = "interrupted", "stopped"
        except Exception:
            self._save(status="failed")
            self.archive.end_run(self.run_id, "failed")
            raise
        self._save(status=status)
        return Backfilled(self.run_id, status, self.archive.end_run(self.run_id, status), self.tally, reason)

    def _save(self, **changes) -> None:
        """Keep the resume key and status, and the counts of every run of this backfill so far."""
        counts = {k: self.state["before"][k] + self.tally[k] for k in TALLIES}
        with self.archive.db.atomic():
            self.archive.db["backfills"].update(self.state["id"], {**changes, **counts, "updated_at": utcnow()})

    def _take(self, row: Row, previous: str | None) -> str:
        """Record one CDX row; say how: skipped (recorded before), collapsed (same digest as the row
        before), reused (bytes fetched before for this digest) or fetched."""
        db = self.archive.db
        if db.execute("SELECT 1 FROM wayback_captures WHERE variant_id = ? AND timestamp = ?", [self.variant.id, row.timestamp]).fetchone():
            return "skipped"
        if row.digest == previous:
            return "collapsed"
        known = db.execute(
            """SELECT c.id, c.body_sha256, c.status FROM wayback_captures w JOIN captures c ON c.id = w.capture_id
               WHERE w.digest = ? AND w.digest_matches = 1 ORDER BY c.id LIMIT 1""",
            [row.digest],
        ).fetchone()
        if known:
            reply = Reply(known[2], self.archive.headers(known[0]), self.archive.body(known[1]), None)
            how, timestamp, original = "reused", row.timestamp, row.original
        else:
            reply, timestamp, original = fetch_memento(self.client, row)
            how = "fetched"
        self._record(row, _capture(self.variant, self.client.settings.base_url, row, reply, timestamp, original))
        logger.info("%s %s: %s", row.timestamp, self.variant.id, how)
        return how

    def _record(self, row: Row, capture: Capture) -> None:
        analysis = analyse_saved(Saved(capture, is_text=False), self.variant)
        with self.archive.db.atomic():
            recorded = self.archive.record(capture, analysis, self.run_id)
            self.archive.db["wayback_captures"].insert(
                {"capture_id": recorded.capture_id, "backfill_id": self.state["id"], "variant_id": self.variant.id,
                 "timestamp": row.timestamp, "digest": row.digest,
                 "digest_matches": int(wayback_digest(capture.body) == row.digest)}
            )


def backfill(db: str, catalog: Catalog, variant_id: str, since: str | None = None, until: str | None = None,
             settings: Settings = Settings()) -> Backfilled:
    """Backfill ``variant_id`` from the Wayback Machine into ``db`` as one run (``since`` and ``until``
    are CDX dates: 2020, 202006, 20200601...)."""
    variant = catalog.variant(variant_id)
    archive = Archive(db)
    try:
        archive.sync_catalog(catalog)
        return Backfill(archive, Client(settings), variant, since, until).run()
    finally:
        archive.close()
