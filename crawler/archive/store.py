"""The archive's writer: captures, bodies, versions, changes and runs go into ``archive.db`` here.

Three other modules write, each its own tables and each through an ``Archive``: ``custody.py`` seals
a run's manifest inside ``end_run``'s transaction, ``crawler/intake/wayback.py`` keeps the state
of Wayback Machine backfills (``backfills``, ``wayback_captures``) so that a stopped one resumes,
and ``outbox.py`` keeps the alerts to deliver (``alerts``, ``alert_changes``, ``alert_subscriptions``).

Every attempt is a ``captures`` row; raw bytes are stored once per distinct body (content-addressed,
compressed) and response headers once per distinct set (the Date aside); a ``versions`` row exists
per distinct normalised text of a variant, and a ``changes`` row for each step from one version to
another. Nothing is updated in place but a version's ``last_seen`` and a run's end and counters;
nothing is deleted.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import sqlite_utils

from crawler.archive import open_read_only
from crawler.archive.clauses import index_version, link_counterparts
from crawler.archive.compression import CODEC, pack, unpack
from crawler.archive.custody import seal
from crawler.archive.cutshort import collapsed, flag_earlier, flag_if_later_is_longer
from crawler.archive.lock import alive, held_elsewhere
from crawler.archive.schema import MIGRATIONS, keep_headers
from crawler.capture.items import Capture
from crawler.common.clock import utcnow
from crawler.common.digests import sha256
from crawler.common.plural import count
from crawler.common.outcomes import CHANGED, ERROR, NEW, OK, OUTCOMES, SUSPECT, UNCHANGED
from crawler.declarations.catalog import Catalog
from crawler.text import diff as diffing
from crawler.text.classify import Analysis, classify_response
from crawler.text.extract import comparable
from crawler.text.terms import watched_in

# A text that is a collapse of the version before it is suspect (cutshort.COLLAPSE), and so is one
# keeping less than SHRUNK of the share of its page the variant's captures usually keep (a selector
# matching part of the policy), until CONFIRMATIONS captures in a row show the same text.
SHRUNK = 1 / 3
CONFIRMATIONS = 3
# The share of their pages a variant's captures usually keep: the median of its last readable ones.
USUAL_OF = 5
# Seconds a writer waits for another to finish before SQLite says "database is locked".
BUSY_TIMEOUT = 30


# The columns of ``variants`` that mirror the declarations (``sync_catalog``), rules_changed_at last.
_VARIANT_COLUMNS = ("id", "document_id", "service", "region", "language", "url", "fetch", "declared_in",
                    "rules_sha256", "rules_changed_at")


def capture_row(capture: Capture, analysis: Analysis, run_id: int | None, digest: str | None) -> dict:
    """The ``captures`` row of a capture as ``record`` first writes it (the outcome its analysis says;
    ``_version`` sets the outcome and version of a readable one). bench/synthetic.py's bulk writer
    writes the same rows."""
    return {
        "variant_id": capture.variant_id, "run_id": run_id, "fetched_at": capture.fetched_at,
        "outcome": analysis.outcome, "status": capture.status, "requested_url": capture.requested_url,
        "final_url": capture.final_url, "content_type": capture.content_type, "body_sha256": digest,
        "body_size": len(capture.body), "detail": "; ".join(filter(None, (*capture.failed_actions, analysis.detail))) or None,
        "renderer": capture.renderer,
        "region": capture.region, "language": capture.language, "proxy": capture.proxy,
        "user_agent": capture.user_agent, "elapsed_ms": capture.elapsed_ms, "source": capture.source,
        "memento_url": capture.memento_url, "detected_language": analysis.language,
        "words": analysis.words, "page_words": analysis.page_words,
        "worker": capture.worker, "worker_host": capture.worker_host, "request_id": capture.request_id,
    }


@dataclass(frozen=True)
class Recorded:
    capture_id: int
    outcome: str
    version_id: int | None = None
    change_id: int | None = None


class Archive:
    """``archive.db`` opened for writing: schema migrated, WAL on, one transaction per capture."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self._wal()
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    @classmethod
    def reading(cls, path: str | Path) -> "Archive":
        """The archive opened read-only, for its read methods (an export): never migrated, never
        written, as every reading command must leave the archive."""
        archive = cls.__new__(cls)
        archive.path = Path(path)
        archive.db = open_read_only(path)
        return archive

    def close(self) -> None:
        self.db.conn.close()

    def _wal(self) -> None:
        """Switch to WAL. The switch needs the file to itself, and SQLite answers "database is
        locked" at once, without its busy timeout, while another process opening a new archive
        holds it: try again, for as long as the busy timeout would have waited."""
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        """Apply the pending migrations; with the last, seal the runs that ended before the archive
        had a chain of custody (migration 4), in the manifest format of the schema now current.

        Whether a migration is pending is decided inside its own write transaction (BEGIN
        IMMEDIATE): processes opening a new archive at once then take turns, and each applies only
        what no other has applied before it."""
        with self._writing():
            self.db.execute("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, applied_at TEXT)")
        for number in sorted(MIGRATIONS):
            with self._writing():
                if self.db.execute("SELECT 1 FROM _migrations WHERE id = ?", [number]).fetchone():
                    continue
                MIGRATIONS[number](self.db)
                self.db.execute("INSERT INTO _migrations VALUES (?, ?)", [number, utcnow()])
                if number == max(MIGRATIONS):
                    self._seal()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """A transaction that takes the write lock at its start (waiting up to the busy timeout), so
        that what it reads cannot change before it writes."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.conn.rollback()
            raise
        self.db.execute("COMMIT")

    def sync_catalog(self, catalog: Catalog) -> None:
        """Mirror the declarations' documents and variants, so captures can refer to them. Only the
        rows that differ are written: a catalog of thousands of variants, unchanged since the last
        run, costs one read of each table, not an upsert per row (half a second at 2,000)."""
        documents = {row[0]: row for row in self.db.execute("SELECT id, service, type, title FROM documents")}
        variants = {row[0]: row for row in self.db.execute(f"SELECT {', '.join(_VARIANT_COLUMNS)} FROM variants")}
        now = utcnow()
        document_rows, variant_rows = [], []
        for doc in catalog.documents:
            row = (doc.id, doc.service, doc.type, doc.title)
            if documents.get(doc.id) != row:
                document_rows.append(dict(zip(("id", "service", "type", "title"), row)))
            for v in doc.variants:
                rules = sha256(json.dumps([[s.to_json() for s in v.rules.select], list(v.rules.remove)]))
                before = variants.get(v.id)
                changed_at = before[-1] if before and before[-2] == rules else now
                row = (v.id, doc.id, v.service, v.region, v.language, v.url, v.fetch, Path(v.source).name, rules, changed_at)
                if before != row:
                    variant_rows.append(dict(zip(_VARIANT_COLUMNS, row)))
        with self.db.atomic():
            if document_rows:
                self.db["documents"].upsert_all(document_rows, pk="id")
            if variant_rows:
                self.db["variants"].upsert_all(variant_rows, pk="id")

    def start_run(self, trigger: str, only: tuple[str, ...] = (), planned: int | None = None, log_path: str | None = None) -> int:
        """Open a run, after closing as interrupted any run left ``running`` by a process that died."""
        self._close_abandoned_runs()
        with self.db.atomic():
            return self.db["runs"].insert(
                {"started_at": utcnow(), "trigger": trigger, "status": "running", "only": " ".join(only) or None,
                 "planned": planned, "log_path": log_path, "pid": os.getpid(), "host": socket.gethostname()}
            ).last_pk

    def _close_abandoned_runs(self) -> None:
        """A ``running`` run is abandoned when no other process holds the archive lock and its own
        process is gone (checked when it ran on this host). Its captures stay; it ends at its last one."""
        if held_elsewhere(self.path):
            return
        running = self.db.execute("SELECT id, started_at, pid, host FROM runs WHERE status = 'running'").fetchall()
        for run_id, started_at, pid, host in running:
            if host == socket.gethostname() and pid and alive(pid):
                continue
            last = self.db.execute("SELECT max(fetched_at) FROM captures WHERE run_id = ?", [run_id]).fetchone()[0]
            who = f"pid {pid} on {host}" if pid else "an earlier process"
            self.end_run(run_id, "interrupted", detail=f"its process ({who}) ended without closing the run; "
                         f"closed at {utcnow()} by the next start", ended_at=last or started_at)

    def run_counts(self, run_id: int) -> dict[str, int]:
        counts = {o: 0 for o in OUTCOMES}
        for outcome, n in self.db.execute("SELECT outcome, count(*) FROM captures WHERE run_id = ? GROUP BY outcome", [run_id]):
            counts[outcome] = n
        return counts

    def end_run(self, run_id: int, status: str, exit_code: int | None = None, detail: str | None = None,
                ended_at: str | None = None) -> dict[str, int]:
        counts = self.run_counts(run_id)
        status, detail = self._short_of_plan(run_id, status, sum(counts.values()), detail)
        new_versions = self.db.execute(
            "SELECT count(*) FROM versions JOIN captures ON captures.id = versions.capture_id WHERE captures.run_id = ?", [run_id]
        ).fetchone()[0]
        with self.db.atomic():
            self.db["runs"].update(
                run_id,
                {"ended_at": ended_at or utcnow(), "status": status, "attempted": sum(counts.values()),
                 **{k.replace("-", "_"): v for k, v in counts.items()},
                 "new_versions": new_versions, "exit_code": exit_code, "detail": detail},
            )
            self._seal()
        return counts

    def _short_of_plan(self, run_id: int, status: str, attempted: int, detail: str | None) -> tuple[str, str | None]:
        """A finished run whose recorded attempts fall short of its plan is ``incomplete``, and says by
        how many: an attempt that left no record must not pass for a run that captured everything."""
        planned = self.db.execute("SELECT planned FROM runs WHERE id = ?", [run_id]).fetchone()[0]
        if status != "finished" or not planned or attempted >= planned:
            return status, detail
        short = f"{attempted} of {planned} planned captures recorded: {count(planned - attempted, 'attempt')} {'has' if planned - attempted == 1 else 'have'} no record"
        return "incomplete", "; ".join(filter(None, (short, detail)))

    def _seal(self) -> None:
        """Close the run into the chain of custody (``custody.py``), in end_run's transaction."""
        seal(self.db)

    def keep_body(self, body: bytes, digest: str | None = None, packed: bytes | None = None) -> str | None:
        """Store the raw bytes once (content-addressed, compressed); return their SHA-256.

        ``digest`` and ``packed`` are ``sha256(body)`` and ``pack(body)`` when the caller computed
        them already (the crawl does, in a thread: both release the GIL).
        """
        if not body:
            return None
        digest = digest or sha256(body)
        if self.has_body(digest):
            return digest
        packed = packed if packed is not None else pack(body)
        with self.db.atomic():
            self.db.execute(
                "INSERT OR IGNORE INTO bodies (sha256, size, stored_size, compression, content) VALUES (?, ?, ?, ?, ?)",
                [digest, len(body), len(packed), CODEC, packed],
            )
        return digest

    def holds_capture(self, variant_id: str, fetched_at: str, body_sha256: str | None) -> bool:
        """Whether the variant has a capture of the bytes with this digest (None: no body) at this
        time already (an import of files imported before)."""
        return self.db.execute(
            "SELECT 1 FROM captures WHERE variant_id = ? AND fetched_at = ? AND body_sha256 IS ?",
            [variant_id, fetched_at, body_sha256],
        ).fetchone() is not None

    def holds_request(self, request_id: str) -> bool:
        """Whether the capture answering this queue request is recorded already (crawler/fleet/)."""
        return self.db.execute("SELECT 1 FROM captures WHERE request_id = ?", [request_id]).fetchone() is not None

    def has_body(self, digest: str) -> bool:
        return self.db.execute("SELECT 1 FROM bodies WHERE sha256 = ?", [digest]).fetchone() is not None

    def body(self, digest: str) -> bytes:
        row = self.db.execute("SELECT compression, content FROM bodies WHERE sha256 = ?", [digest]).fetchone()
        if row is None:
            raise KeyError(digest)
        return unpack(row[0], row[1])

    def headers(self, capture_id: int) -> dict[str, str]:
        """A capture's response headers exactly as received (names lowercased), in name order."""
        row = self.db.execute("SELECT headers FROM capture_headers WHERE capture_id = ?", [capture_id]).fetchone()
        return dict(sorted(json.loads(row[0]).items())) if row else {}

    def _seen(self, variant_id: str, when: str, after: bool) -> dict | None:
        """The version seen by the successful capture just before (or at) ``when``, or just after it."""
        order, compare = ("ASC, c.id ASC", ">") if after else ("DESC, c.id DESC", "<=")
        row = self.db.execute(
            f"""SELECT v.id, v.text_sha256, v.text, v.words, c.fetched_at, c.id FROM captures c
                JOIN versions v ON v.id = c.version_id
                WHERE c.variant_id = ? AND c.fetched_at {compare} ? ORDER BY c.fetched_at {order} LIMIT 1""",
            [variant_id, when],
        ).fetchone()
        return dict(zip(("id", "text_sha256", "text", "words", "fetched_at", "capture_id"), row)) if row else None

    def known_analysis(self, capture: Capture, digest: str | None) -> Analysis | None:
        """The analysis of bytes the variant served as its latest readable capture under its current
        selectors, when the exchange around them (error, status, redirect) is a readable one too: the
        same bytes give the same text, so a nightly check of an unchanged page skips extraction (and
        the bytes are not scanned for walls again). None: analyse them."""
        row = self.db.execute(
            """SELECT c.body_sha256, c.fetched_at >= v.rules_changed_at, c.detected_language, t.text, t.text_sha256,
                      c.words, c.page_words
               FROM captures c JOIN variants v ON v.id = c.variant_id JOIN versions t ON t.id = c.version_id
               WHERE c.variant_id = ? ORDER BY c.fetched_at DESC, c.id DESC LIMIT 1""",
            [capture.variant_id],
        ).fetchone()
        if not (digest and row and row[0] == digest and row[1]):
            return None
        if classify_response(capture.status, capture.body, capture.error_kind, capture.error, capture.requested_url,
                             capture.final_url, known_readable=True):
            return None
        return Analysis(OK, text=row[3], language=row[2], key=row[4], words=row[5], page_words=row[6])

    def record(self, capture: Capture, analysis: Analysis, run_id: int | None = None, body_sha256: str | None = None,
               page_digests: tuple[str | None, ...] = ()) -> Recorded:
        """Write one capture and, when its text is new for the variant, the version and change it makes.

        ``body_sha256`` is what ``keep_body`` returned for these bytes, when the caller kept them
        already (the pipeline does, before extraction): a page is then hashed once, not twice; and
        ``page_digests`` the same for each page of a multi-page document.
        """
        digest = body_sha256 or self.keep_body(capture.body)
        with self.db.atomic():
            row = capture_row(capture, analysis, run_id, digest)
            recorded = self._insert_capture(row, capture) if analysis.outcome != OK else self._version(row, capture, analysis)
            if capture.pages:
                self._keep_pages(recorded.capture_id, capture, analysis, page_digests)
            return recorded

    def _keep_pages(self, capture_id: int, capture: Capture, analysis: Analysis, digests: tuple[str | None, ...]) -> None:
        """One ``capture_pages`` row per page of a multi-page document, with its own outcome: the
        capture's says which page failed, these say what each page served."""
        digests = digests or tuple(self.keep_body(page.body) for page in capture.pages)
        for number, (page, digest) in enumerate(zip(capture.pages, digests), 1):
            judged = analysis.pages[number - 1] if number <= len(analysis.pages) else None
            self.db.execute(
                """INSERT INTO capture_pages (capture_id, page, requested_url, final_url, status, content_type, body_sha256,
                   body_size, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [capture_id, number, page.requested_url, page.final_url, page.status, page.content_type, digest, len(page.body),
                 judged.outcome if judged else analysis.outcome, judged.detail if judged else page.error])

    def record_error(self, capture: Capture, exc: BaseException, run_id: int | None, body_sha256: str | None) -> tuple[Recorded, Analysis]:
        """Record a capture the archive could not handle as its ``error`` outcome, naming the
        exception, so that it is never dropped (its bytes are kept when they can be)."""
        analysis = Analysis(ERROR, detail=f"{type(exc).__name__}: {exc}"[:1000])
        return self.record(capture, analysis, run_id, body_sha256=body_sha256), analysis

    def _insert_capture(self, row: dict, capture: Capture) -> Recorded:
        """One row in ``captures``, in plain SQL: every capture of a run passes here, and
        sqlite-utils' ``insert`` reads the table's schema each time (a third of an unchanged
        capture's writing)."""
        headers_id, http_date = keep_headers(self.db, capture.headers)
        row = {**row, "headers_id": headers_id, "http_date": http_date}
        capture_id = self.db.execute(
            f"INSERT INTO captures ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())).lastrowid
        return Recorded(capture_id, row["outcome"], row.get("version_id"))

    def _collapse(self, latest: dict, text: str) -> str | None:
        """Why ``text`` is a collapse of the latest version (``cutshort.collapsed``)."""
        if not collapsed(len(text.split()), latest["words"]):
            return None
        return f"text collapsed from {latest['words']} to {len(text.split())} words"

    def _thin(self, variant_id: str, analysis: Analysis) -> str | None:
        """Why the capture keeps too little of its page: under a third of the share of their pages
        that the variant's last readable captures kept (their median). A range that keeps one
        policy of three keeps a third of the page every time; a selector that matches a fraction of
        the policy keeps much less than usual, whatever the length of the text before it."""
        if not analysis.page_words or analysis.words is None:
            return None
        shares = sorted(words / page for words, page in self.db.execute(
            """SELECT words, page_words FROM captures WHERE variant_id = ? AND version_id IS NOT NULL AND page_words > 0
               ORDER BY fetched_at DESC, id DESC LIMIT ?""", [variant_id, USUAL_OF]))
        if not shares:
            return None
        usual, share = shares[len(shares) // 2], analysis.words / analysis.page_words
        if share >= usual * SHRUNK:
            return None
        return (f"keeps {analysis.words} of the {analysis.page_words} words its page shows ({share:.0%}), "
                f"where the variant's captures keep {usual:.0%}")

    def _unconfirmed(self, variant_id: str, text_hash: str) -> bool:
        """Whether fewer than ``CONFIRMATIONS - 1`` captures just before showed this suspect text."""
        before = self.db.execute(
            "SELECT outcome, text_sha256 FROM captures WHERE variant_id = ? ORDER BY fetched_at DESC, id DESC LIMIT ?",
            [variant_id, CONFIRMATIONS - 1],
        ).fetchall()
        return len(before) < CONFIRMATIONS - 1 or any(r != (SUSPECT, text_hash) for r in before)

    def _version(self, row: dict, capture: Capture, analysis: Analysis) -> Recorded:
        """Version a readable capture against the captures before and after it in time.

        Crawls arrive in order; imports and backfills may bring captures older than what the archive
        holds, and then the text is placed in the history where it belongs (see ``_insert_before``).
        Only a suspect capture keeps its text's hash (``_unconfirmed`` compares them): a versioned
        one's is its version's.
        """
        text = analysis.text
        when, text_hash = capture.fetched_at, analysis.key or sha256(comparable(text))
        before = self._seen(capture.variant_id, when, after=False)
        after = self._seen(capture.variant_id, when, after=True)
        if before and before["text_sha256"] != text_hash and not after:
            why = self._collapse(before, text) or self._thin(capture.variant_id, analysis)
            if why and self._unconfirmed(capture.variant_id, text_hash):
                detail = f"{why}; a version once {CONFIRMATIONS} captures agree"
                return self._insert_capture({**row, "outcome": SUSPECT, "detail": detail, "text_sha256": text_hash}, capture)
        # The text of the capture next to it in time: the one before, or, for a capture older than
        # all (an import), the earliest, whose version then reaches back to it. No new text either way.
        neighbour = before or after
        if neighbour and neighbour["text_sha256"] == text_hash:
            recorded = self._insert_capture({**row, "outcome": UNCHANGED, "version_id": neighbour["id"]}, capture)
            self.db.execute("UPDATE versions SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE id = ?",
                            [when, when, neighbour["id"]])
            if after:
                flag_if_later_is_longer(self.db, recorded.capture_id, capture.variant_id, when, neighbour["words"])
            return recorded
        recorded = self._insert_capture({**row, "outcome": CHANGED if before else NEW}, capture)
        words = len(text.split())
        existing = self.db.execute(
            "SELECT id, first_seen FROM versions WHERE variant_id = ? AND text_sha256 = ? AND same_words_as IS NULL",
            [capture.variant_id, text_hash],
        ).fetchone()
        if existing:
            version_id = existing[0]
            self.db.execute("UPDATE versions SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE id = ?",
                            [when, when, version_id])
        else:
            version_id = self.db.execute(  # plain SQL, as _insert_capture says why
                "INSERT INTO versions (variant_id, text_sha256, first_seen, last_seen, capture_id, words, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [capture.variant_id, text_hash, when, when, recorded.capture_id, words, text]).lastrowid
            self.db.execute("INSERT INTO versions_fts (rowid, text) VALUES (?, ?)", [version_id, text])
            index_version(self.db.conn, version_id, text, before["id"] if before else None)
            link_counterparts(self.db.conn, version_id, before["id"] if before else None)
        self.db.execute("UPDATE captures SET version_id = ? WHERE id = ?", [version_id, recorded.capture_id])
        is_return = bool(existing) and existing[1] <= when  # seen before, if only earlier in the same second
        change_id = self._change(capture.variant_id, before, version_id, text, when, recorded.capture_id, is_return) if before else None
        flag_earlier(self.db, capture.variant_id, when, words)
        if after:
            self._insert_before(capture.variant_id, after, version_id, text, text_hash, change_id)
            flag_if_later_is_longer(self.db, recorded.capture_id, capture.variant_id, when, words)
        return Recorded(recorded.capture_id, recorded.outcome, version_id, change_id)

    def _insert_before(self, variant_id: str, after: dict, version_id: int, text: str, text_hash: str,
                       change_id: int | None) -> None:
        """A text placed before later captures: the change those captures recorded into their version
        is superseded (never deleted) by the steps through the placed text. Their version may be
        another row with the same visible words (kept by migration 11): no step to it then."""
        if after["text_sha256"] != text_hash:
            change_id = self._change(variant_id, {"id": version_id, "text": text}, after["id"], after["text"],
                                     after["fetched_at"], after["capture_id"], is_return=False)
        if change_id is not None:
            self.db.execute(
                """UPDATE changes SET superseded_by = ? WHERE variant_id = ? AND to_version_id = ? AND detected_at = ?
                   AND superseded_by IS NULL AND id != ?""",
                [change_id, variant_id, after["id"], after["fetched_at"], change_id],
            )

    def _change(self, variant_id: str, before: dict, version_id: int, text: str, when: str, capture_id: int,
                is_return: bool) -> int:
        d = diffing.diff(before["text"], text)
        change_id = self.db["changes"].insert(
            {"variant_id": variant_id, "from_version_id": before["id"], "to_version_id": version_id,
             "detected_at": when, "capture_id": capture_id, "words_added": d.words_added,
             "words_removed": d.words_removed, "is_return": int(is_return), "visible": 1, "added_text": d.added_text,
             "removed_text": d.removed_text, "diff": json.dumps(diffing.compact(d.ops), ensure_ascii=False)}
        ).last_pk
        self.db.execute(
            "INSERT INTO changes_fts (rowid, added_text, removed_text) VALUES (?, ?, ?)", [change_id, d.added_text, d.removed_text]
        )
        for side, changed in (("added", d.added_text), ("removed", d.removed_text)):
            for term, matches in watched_in(changed).items():
                self.db["change_terms"].insert(
                    {"change_id": change_id, "variant_id": variant_id, "term": term, "side": side,
                     "matches": json.dumps(matches, ensure_ascii=False)}
                )
        return change_id
