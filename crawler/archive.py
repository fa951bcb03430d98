"""The archive: the one module that writes ``archive.db``.

Every attempt is a ``captures`` row; raw bytes are stored once per distinct body (content-addressed,
compressed) and response headers once per distinct set (the Date aside); a ``versions`` row exists
per distinct normalised text of a variant, and a ``changes`` row for each step from one version to
another. Nothing is updated in place but a version's ``last_seen`` and a run's end and counters;
nothing is deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from crawler import diff as diffing
from crawler.catalog import Catalog
from crawler.classify import FAILURES, OK, SUSPECT, Analysis
from crawler.extract import comparable
from crawler.items import Capture
from crawler.terms import watched_in

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
OUTCOMES = (NEW, CHANGED, UNCHANGED) + FAILURES
# A text shorter than this fraction of the version before it is suspect (a shell page, a partial
# render), until as many captures in a row as CONFIRMATIONS show the same text.
COLLAPSE = 1 / 3
CONFIRMATIONS = 3


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def pack(body: bytes) -> bytes:
    """A body as ``bodies`` stores it: zlib level 6, as small as level 9 on HTML (4.8x) in two
    thirds of the time."""
    return zlib.compress(body, 6)


def _migration_1(db: sqlite_utils.Database) -> None:
    db["documents"].create({"id": str, "service": str, "type": str, "title": str}, pk="id")
    db["variants"].create(
        {"id": str, "document_id": str, "service": str, "region": str, "language": str, "url": str,
         "fetch": str, "declared_in": str},
        pk="id", foreign_keys=[("document_id", "documents", "id")],
    )
    db["runs"].create(
        {"id": int, "started_at": str, "ended_at": str, "trigger": str, "status": str, "only": str,
         "attempted": int, "new": int, "changed": int, "unchanged": int, "http_error": int, "blocked": int,
         "empty": int, "network_error": int, "too_large": int},
        pk="id",
    )
    db["bodies"].create({"sha256": str, "size": int, "stored_size": int, "compression": str, "content": bytes}, pk="sha256")
    db["captures"].create(
        {"id": int, "variant_id": str, "run_id": int, "fetched_at": str, "outcome": str, "status": int,
         "requested_url": str, "final_url": str, "content_type": str, "body_sha256": str, "body_size": int,
         "version_id": int, "detail": str, "renderer": str, "region": str, "language": str, "proxy": str,
         "user_agent": str, "elapsed_ms": int, "source": str, "memento_url": str},
        pk="id",
        foreign_keys=[("variant_id", "variants", "id"), ("run_id", "runs", "id"), ("body_sha256", "bodies", "sha256")],
    )
    db["capture_headers"].create({"capture_id": int, "headers": str}, pk="capture_id", foreign_keys=[("capture_id", "captures", "id")])
    db["versions"].create(
        {"id": int, "variant_id": str, "text_sha256": str, "first_seen": str, "last_seen": str,
         "capture_id": int, "words": int, "text": str},
        pk="id", foreign_keys=[("variant_id", "variants", "id"), ("capture_id", "captures", "id")],
    )
    db["changes"].create(
        {"id": int, "variant_id": str, "from_version_id": int, "to_version_id": int, "detected_at": str,
         "capture_id": int, "words_added": int, "words_removed": int, "is_return": int,
         "added_text": str, "removed_text": str, "diff": str},
        pk="id",
        foreign_keys=[("variant_id", "variants", "id"), ("from_version_id", "versions", "id"),
                      ("to_version_id", "versions", "id"), ("capture_id", "captures", "id")],
    )
    db["captures"].create_index(["variant_id", "fetched_at"])
    db["captures"].create_index(["run_id"])
    db["captures"].create_index(["outcome"])
    db["versions"].create_index(["variant_id", "text_sha256"], unique=True)
    db["versions"].create_index(["first_seen"])
    db["changes"].create_index(["variant_id", "detected_at"])
    db["changes"].create_index(["detected_at"])
    db["versions"].enable_fts(["text"], tokenize="porter", create_triggers=False)
    db["changes"].enable_fts(["added_text", "removed_text"], tokenize="porter", create_triggers=False)


_BROWSE_JOINS = "JOIN variants ON variants.id = {0}.variant_id JOIN documents ON documents.id = variants.document_id"
_BROWSE_LABELS = "variants.service, documents.type AS document_type, variants.region, variants.language"
_CHANGES_BROWSE = f"""SELECT changes.id, changes.variant_id, {_BROWSE_LABELS}, changes.detected_at,
    changes.words_added, changes.words_removed, changes.is_return, changes.from_version_id, changes.to_version_id
    FROM changes {_BROWSE_JOINS.format("changes")}"""


def _migration_2(db: sqlite_utils.Database) -> None:
    """Narrow views of versions and changes with their variant's service, document type, region and
    language, for Datasette's search and facets; and the index the version page's captures need."""
    db.create_view("versions_browse", f"""SELECT versions.id, versions.variant_id, {_BROWSE_LABELS}, versions.first_seen,
        versions.last_seen, versions.words, versions.capture_id, versions.text_sha256
        FROM versions {_BROWSE_JOINS.format("versions")}""")
    db.create_view("changes_browse", _CHANGES_BROWSE)
    db["captures"].create_index(["version_id"])


def _migration_3(db: sqlite_utils.Database) -> None:
    """The run log (variants a run set out to capture, versions it made, how its process ended and
    why, where its log is, which process ran it) and ``variant_status``, each variant's freshness.

    A variant is stale when its last successful capture is more than 48 hours old, or it has none;
    ``hours_since_ok`` lets a query pick another threshold, as ``policyarchive status`` does.
    """
    for column, kind in (("planned", int), ("new_versions", int), ("exit_code", int), ("detail", str),
                         ("log_path", str), ("pid", int), ("host", str)):
        db["runs"].add_column(column, kind)
    ok = "('new', 'changed', 'unchanged')"
    latest = "SELECT id FROM captures WHERE variant_id = variants.id {} ORDER BY fetched_at DESC, id DESC LIMIT 1"
    db.create_view("variant_status", f"""SELECT variants.id AS variant_id, variants.service, variants.region,
        variants.language, variants.url, last.fetched_at AS last_capture_at, last.outcome AS last_outcome,
        last.detail AS last_detail, ok.fetched_at AS last_ok_at,
        round((julianday('now') - julianday(ok.fetched_at)) * 24, 1) AS hours_since_ok,
        CASE WHEN ok.id IS NULL OR julianday('now') - julianday(ok.fetched_at) > 2 THEN 1 ELSE 0 END AS stale
        FROM variants
        LEFT JOIN captures AS last ON last.id = ({latest.format("")})
        LEFT JOIN captures AS ok ON ok.id = ({latest.format("AND outcome IN " + ok)})""")


def _migration_4(db: sqlite_utils.Database) -> None:
    """The chain of custody (one manifest per run; the runs already ended are sealed once the schema
    is current, see ``Archive._migrate``) and the state of Wayback Machine backfills, so that a
    stopped backfill resumes without fetching again."""
    db["manifests"].create(
        {"id": int, "run_id": int, "sealed_at": str, "captures": int, "previous_sha256": str, "sha256": str, "manifest": str},
        pk="id", foreign_keys=[("run_id", "runs", "id")],
    )
    db["manifests"].create_index(["run_id"], unique=True)
    db["manifests"].create_index(["previous_sha256"], unique=True)
    db["backfills"].create(
        {"id": int, "variant_id": str, "wayback_url": str, "from_date": str, "to_date": str, "started_at": str,
         "updated_at": str, "status": str, "resume_key": str, "run_id": int, "fetched": int, "reused": int,
         "skipped": int, "collapsed": int},
        pk="id", foreign_keys=[("variant_id", "variants", "id"), ("run_id", "runs", "id")],
    )
    db["wayback_captures"].create(
        {"capture_id": int, "backfill_id": int, "variant_id": str, "timestamp": str, "digest": str, "digest_matches": int},
        pk="capture_id",
        foreign_keys=[("capture_id", "captures", "id"), ("backfill_id", "backfills", "id"), ("variant_id", "variants", "id")],
    )
    db["wayback_captures"].create_index(["variant_id", "timestamp"])
    db["wayback_captures"].create_index(["digest"])


def _migration_5(db: sqlite_utils.Database) -> None:
    """Language detection, suspect texts, and watched terms touched by each change."""
    db["captures"].add_column("detected_language", str)
    db["captures"].add_column("text_sha256", str)
    db["runs"].add_column("wrong_language", int)
    db["runs"].add_column("suspect", int)
    db["change_terms"].create(
        {"change_id": int, "variant_id": str, "term": str, "side": str, "matches": str},
        pk=("change_id", "term", "side"),
        foreign_keys=[("change_id", "changes", "id"), ("variant_id", "variants", "id")],
    )
    db["change_terms"].create_index(["term", "variant_id"])


def _migration_6(db: sqlite_utils.Database) -> None:
    """Captures imported out of order: a change recorded into a version is superseded, not deleted,
    when an older capture shows the text changed earlier or through another text."""
    db["changes"].add_column("superseded_by", int)
    db["changes"].create_index(["variant_id", "to_version_id", "detected_at"])
    db.execute("DROP VIEW changes_browse")
    db.create_view("changes_browse", _CHANGES_BROWSE + " WHERE changes.superseded_by IS NULL")


# Numbered schema changes, applied in order, each once, each in one transaction. Published column
# names change only through a new migration and a note in the changelog.
def _migration_7(db: sqlite_utils.Database) -> None:
    """The selectors each variant is extracted with, and since when, so that an unchanged body under
    unchanged selectors is known without extracting it again."""
    db["variants"].add_column("rules_sha256", str)
    db["variants"].add_column("rules_changed_at", str)


# A capture's headers: its header set with its own Date put back (the same JSON object as the
# capture_headers table held before migration 8, its keys in another order).
_CAPTURE_HEADERS = """SELECT captures.id AS capture_id,
    CASE WHEN captures.http_date IS NULL THEN header_sets.headers
         ELSE json_set(header_sets.headers, '$.date', captures.http_date) END AS headers
    FROM captures JOIN header_sets ON header_sets.id = captures.headers_id"""


def _headers_json(headers: dict) -> str:
    """The one serialisation a header set is stored and hashed in (capture_headers' before it)."""
    return json.dumps(headers, sort_keys=True)


def _keep_headers(db: sqlite_utils.Database, headers: dict) -> tuple[int | None, str | None]:
    """Store a response's headers but its Date once per distinct set (content-addressed, as bodies
    are); return the set's id and the Date, which differs from one response to the next by design
    and is kept with the capture. No headers at all (a saved file, a network error): no set."""
    if not headers:
        return None, None
    text = _headers_json({k: v for k, v in headers.items() if k != "date"})
    digest = sha256(text)
    row = db.execute("SELECT id FROM header_sets WHERE sha256 = ?", [digest]).fetchone()
    set_id = row[0] if row else db["header_sets"].insert({"sha256": digest, "headers": text}).last_pk
    return set_id, headers.get("date")


def _migration_8(db: sqlite_utils.Database) -> None:
    """An unchanged re-check adds its capture row and little else (issue 7, benchmark 2: it grew
    the archive by 1,167 bytes, 492 since).

    Response headers move from one ``capture_headers`` row per capture to ``header_sets``, one row
    per distinct set of all headers but the Date, which is kept on the capture (``http_date``);
    ``capture_headers`` becomes a view giving each capture's headers as they were, and every
    converted capture is checked against it before the table goes. Manifests sealed from now on
    are compressed (``compression``); those sealed before stay as they are. ``idx_captures_outcome``
    goes: only the outcome facet of the whole captures table used it (``runs`` counts each run's
    outcomes), for 40 bytes a capture.
    """
    db["header_sets"].create({"id": int, "sha256": str, "headers": str}, pk="id")
    db["header_sets"].create_index(["sha256"], unique=True)
    db.execute("ALTER TABLE captures ADD COLUMN headers_id INTEGER REFERENCES header_sets(id)")
    db.execute("ALTER TABLE captures ADD COLUMN http_date TEXT")
    for capture_id, text in db.execute("SELECT capture_id, headers FROM capture_headers"):
        set_id, date = _keep_headers(db, json.loads(text))
        db.execute("UPDATE captures SET headers_id = ?, http_date = ? WHERE id = ?", [set_id, date, capture_id])
    for capture_id, before, after in db.execute(f"""SELECT old.capture_id, old.headers, new.headers
            FROM capture_headers AS old LEFT JOIN ({_CAPTURE_HEADERS}) AS new ON new.capture_id = old.capture_id"""):
        if after is None or json.loads(after) != json.loads(before):
            raise RuntimeError(f"capture {capture_id}: its headers would not survive migration 8: {before} became {after}")
    db.execute("DROP TABLE capture_headers")
    db.create_view("capture_headers", _CAPTURE_HEADERS)
    db["manifests"].add_column("compression", str)
    db.execute("DROP INDEX idx_captures_outcome")


MIGRATIONS = {1: _migration_1, 2: _migration_2, 3: _migration_3, 4: _migration_4, 5: _migration_5, 6: _migration_6,
              7: _migration_7, 8: _migration_8}


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
        conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        self.db.conn.close()

    def _migrate(self) -> None:
        """Apply the pending migrations; with the last, seal the runs that ended before the archive
        had a chain of custody (migration 4), in the manifest format of the schema now current."""
        self.db.execute("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, applied_at TEXT)")
        done = {row[0] for row in self.db.execute("SELECT id FROM _migrations")}
        pending = [number for number in sorted(MIGRATIONS) if number not in done]
        for number in pending:
            with self.db.atomic():
                MIGRATIONS[number](self.db)
                self.db.execute("INSERT INTO _migrations VALUES (?, ?)", [number, utcnow()])
                if number == pending[-1]:
                    self._seal()

    def sync_catalog(self, catalog: Catalog) -> None:
        """Mirror the declarations' documents and variants, so captures can refer to them."""
        with self.db.atomic():
            for doc in catalog.documents:
                self.db["documents"].upsert({"id": doc.id, "service": doc.service, "type": doc.type, "title": doc.title}, pk="id")
                for v in doc.variants:
                    rules = sha256(json.dumps([[s.to_json() for s in v.rules.select], list(v.rules.remove)]))
                    before = self.db.execute("SELECT rules_sha256, rules_changed_at FROM variants WHERE id = ?", [v.id]).fetchone()
                    self.db["variants"].upsert(
                        {"id": v.id, "document_id": doc.id, "service": v.service, "region": v.region, "language": v.language,
                         "url": v.url, "fetch": v.fetch, "declared_in": Path(v.source).name, "rules_sha256": rules,
                         "rules_changed_at": before[1] if before and before[0] == rules else utcnow()},
                        pk="id",
                    )

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
        from crawler.lock import held_elsewhere

        if held_elsewhere(self.path):
            return
        running = self.db.execute("SELECT id, started_at, pid, host FROM runs WHERE status = 'running'").fetchall()
        for run_id, started_at, pid, host in running:
            if host == socket.gethostname() and pid and _alive(pid):
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

    def _seal(self) -> None:
        """Close the run into the chain of custody (crawler/custody.py), in end_run's transaction."""
        from crawler.custody import seal

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
                "INSERT OR IGNORE INTO bodies (sha256, size, stored_size, compression, content) VALUES (?, ?, ?, 'zlib', ?)",
                [digest, len(body), len(packed), packed],
            )
        return digest

    def holds_capture(self, variant_id: str, fetched_at: str, body_sha256: str | None) -> bool:
        """Whether the variant has a capture of the bytes with this digest (None: no body) at this
        time already (an import of files imported before)."""
        return self.db.execute(
            "SELECT 1 FROM captures WHERE variant_id = ? AND fetched_at = ? AND body_sha256 IS ?",
            [variant_id, fetched_at, body_sha256],
        ).fetchone() is not None

    def has_body(self, digest: str) -> bool:
        return self.db.execute("SELECT 1 FROM bodies WHERE sha256 = ?", [digest]).fetchone() is not None

    def body(self, digest: str) -> bytes:
        row = self.db.execute("SELECT compression, content FROM bodies WHERE sha256 = ?", [digest]).fetchone()
        if row is None:
            raise KeyError(digest)
        return zlib.decompress(row[1]) if row[0] == "zlib" else row[1]

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

    def known_text(self, variant_id: str, digest: str | None) -> Analysis | None:
        """The analysis of a body already seen as the variant's latest readable capture under its
        current selectors: the same bytes give the same text, so a nightly check of an unchanged
        page skips extraction."""
        row = self.db.execute(
            """SELECT c.body_sha256, c.fetched_at >= v.rules_changed_at, c.detected_language, t.text
               FROM captures c JOIN variants v ON v.id = c.variant_id JOIN versions t ON t.id = c.version_id
               WHERE c.variant_id = ? ORDER BY c.fetched_at DESC, c.id DESC LIMIT 1""",
            [variant_id],
        ).fetchone()
        if digest and row and row[0] == digest and row[1]:
            return Analysis(OK, text=row[3], language=row[2])
        return None

    def record(self, capture: Capture, analysis: Analysis, run_id: int | None = None, body_sha256: str | None = None) -> Recorded:
        """Write one capture and, when its text is new for the variant, the version and change it makes.

        ``body_sha256`` is what ``keep_body`` returned for these bytes, when the caller kept them
        already (the pipeline does, before extraction): a page is then hashed once, not twice.
        """
        digest = body_sha256 or self.keep_body(capture.body)
        with self.db.atomic():
            row = {
                "variant_id": capture.variant_id, "run_id": run_id, "fetched_at": capture.fetched_at,
                "outcome": analysis.outcome, "status": capture.status, "requested_url": capture.requested_url,
                "final_url": capture.final_url, "content_type": capture.content_type, "body_sha256": digest,
                "body_size": len(capture.body), "detail": analysis.detail, "renderer": capture.renderer,
                "region": capture.region, "language": capture.language, "proxy": capture.proxy,
                "user_agent": capture.user_agent, "elapsed_ms": capture.elapsed_ms, "source": capture.source,
                "memento_url": capture.memento_url, "detected_language": analysis.language,
            }
            if analysis.outcome != OK:
                return self._insert_capture(row, capture)
            return self._version(row, capture, analysis.text)

    def _insert_capture(self, row: dict, capture: Capture) -> Recorded:
        headers_id, http_date = _keep_headers(self.db, capture.headers)
        capture_id = self.db["captures"].insert({**row, "headers_id": headers_id, "http_date": http_date}).last_pk
        return Recorded(capture_id, row["outcome"], row.get("version_id"))

    def _collapsed(self, variant_id: str, latest: dict | None, text: str, text_hash: str) -> bool:
        """Whether ``text`` is a collapse of the latest version not yet confirmed by repeated captures."""
        if not latest or len(text.split()) >= latest["words"] * COLLAPSE:
            return False
        before = self.db.execute(
            "SELECT outcome, text_sha256 FROM captures WHERE variant_id = ? ORDER BY fetched_at DESC, id DESC LIMIT ?",
            [variant_id, CONFIRMATIONS - 1],
        ).fetchall()
        return len(before) < CONFIRMATIONS - 1 or any(r != (SUSPECT, text_hash) for r in before)

    def _version(self, row: dict, capture: Capture, text: str) -> Recorded:
        """Version a readable capture against the captures before and after it in time.

        Crawls arrive in order; imports and backfills may bring captures older than what the archive
        holds, and then the text is placed in the history where it belongs (see ``_insert_before``).
        Only a suspect capture keeps its text's hash (``_collapsed`` compares them): a versioned
        one's is its version's.
        """
        when, text_hash = capture.fetched_at, sha256(comparable(text))
        before = self._seen(capture.variant_id, when, after=False)
        after = self._seen(capture.variant_id, when, after=True)
        if before and before["text_sha256"] != text_hash and not after and self._collapsed(capture.variant_id, before, text, text_hash):
            detail = f"text collapsed from {before['words']} to {len(text.split())} words; a version once {CONFIRMATIONS} captures agree"
            return self._insert_capture({**row, "outcome": SUSPECT, "detail": detail, "text_sha256": text_hash}, capture)
        if before and before["text_sha256"] == text_hash:
            recorded = self._insert_capture({**row, "outcome": UNCHANGED, "version_id": before["id"]}, capture)
            self.db.execute("UPDATE versions SET last_seen = max(last_seen, ?) WHERE id = ?", [when, before["id"]])
            return recorded
        recorded = self._insert_capture({**row, "outcome": CHANGED if before else NEW}, capture)
        existing = self.db.execute(
            "SELECT id, first_seen FROM versions WHERE variant_id = ? AND text_sha256 = ?", [capture.variant_id, text_hash]
        ).fetchone()
        if existing:
            version_id = existing[0]
            self.db.execute("UPDATE versions SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE id = ?",
                            [when, when, version_id])
        else:
            version_id = self.db["versions"].insert(
                {"variant_id": capture.variant_id, "text_sha256": text_hash, "first_seen": when, "last_seen": when,
                 "capture_id": recorded.capture_id, "words": len(text.split()), "text": text}
            ).last_pk
            self.db.execute("INSERT INTO versions_fts (rowid, text) VALUES (?, ?)", [version_id, text])
        self.db.execute("UPDATE captures SET version_id = ? WHERE id = ?", [version_id, recorded.capture_id])
        is_return = bool(existing) and existing[1] < when
        change_id = self._change(capture.variant_id, before, version_id, text, when, recorded.capture_id, is_return) if before else None
        if after:
            self._insert_before(capture.variant_id, after, version_id, text, change_id)
        return Recorded(recorded.capture_id, recorded.outcome, version_id, change_id)

    def _insert_before(self, variant_id: str, after: dict, version_id: int, text: str, change_id: int | None) -> None:
        """A text placed before later captures: the change those captures recorded into their version
        is superseded (never deleted) by the steps through the placed text."""
        if after["id"] != version_id:
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
             "words_removed": d.words_removed, "is_return": int(is_return), "added_text": d.added_text,
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
