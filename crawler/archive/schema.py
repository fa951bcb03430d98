"""The archive's schema: numbered migrations, each applied once and in one transaction, in order.

Published table and column names are a public contract (journalists write SQL against them): they
change only through a new migration and a note in CHANGELOG.md (docs/decisions/0005-migrations.md).
"""

from __future__ import annotations

import json

import sqlite_utils

from crawler.archive.clauses import index_version, link_counterparts
from crawler.archive.cutshort import reexamine_all
from crawler.common.digests import sha256
from crawler.text.extract import comparable


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


def headers_json(headers: dict) -> str:
    """The one serialisation a header set is stored and hashed in (capture_headers' before it)."""
    return json.dumps(headers, sort_keys=True)


def keep_headers(db: sqlite_utils.Database, headers: dict) -> tuple[int | None, str | None]:
    """Store a response's headers but its Date once per distinct set (content-addressed, as bodies
    are); return the set's id and the Date, which differs from one response to the next by design
    and is kept with the capture. No headers at all (a saved file, a network error): no set."""
    if not headers:
        return None, None
    text = headers_json({k: v for k, v in headers.items() if k != "date"})
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
        set_id, date = keep_headers(db, json.loads(text))
        db.execute("UPDATE captures SET headers_id = ?, http_date = ? WHERE id = ?", [set_id, date, capture_id])
    for capture_id, before, after in db.execute(f"""SELECT old.capture_id, old.headers, new.headers
            FROM capture_headers AS old LEFT JOIN ({_CAPTURE_HEADERS}) AS new ON new.capture_id = old.capture_id"""):
        if after is None or json.loads(after) != json.loads(before):
            raise RuntimeError(f"capture {capture_id}: its headers would not survive migration 8: {before} became {after}")
    db.execute("DROP TABLE capture_headers")
    db.create_view("capture_headers", _CAPTURE_HEADERS)
    db["manifests"].add_column("compression", str)
    db.execute("DROP INDEX idx_captures_outcome")


def _migration_9(db: sqlite_utils.Database) -> None:
    """``variant_labels``: each variant with its document's type and title, the one join that pages,
    canned queries and feeds label variants by (they wrote it out eleven times). ``change_windows``:
    each change dated honestly, by the last readable capture before it (``last_before``, the old
    text's last sighting) and the first after (``first_after``, its ``detected_at``), with the days
    between: the change happened somewhere in that window, which may be years wide."""
    db.create_view("variant_labels", """SELECT variants.*, documents.type, documents.title
        FROM variants JOIN documents ON documents.id = variants.document_id""")
    last_before = """(SELECT max(c.fetched_at) FROM captures c WHERE c.variant_id = changes.variant_id
        AND c.version_id IS NOT NULL AND c.fetched_at < changes.detected_at)"""
    db.create_view("change_windows", f"""SELECT changes.id AS change_id, changes.variant_id, {last_before} AS last_before,
        changes.detected_at AS first_after, round(julianday(changes.detected_at) - julianday({last_before}), 1) AS days
        FROM changes""")


def _migration_10(db: sqlite_utils.Database) -> None:
    """Runs count the outcome ``error`` (issue 16): a capture the archive could not handle (an
    exception while extracting or versioning it) is recorded as such, never dropped."""
    db["runs"].add_column("error", int)


def _same_words(db: sqlite_utils.Database) -> None:
    """Point each version to the earliest (first seen, then first recorded) version of its variant
    with the same visible words, when it is not that one itself."""
    db.execute("""UPDATE versions SET same_words_as = (
        SELECT earliest.id FROM versions AS earliest
        WHERE earliest.variant_id = versions.variant_id AND earliest.text_sha256 = versions.text_sha256
        ORDER BY earliest.first_seen, earliest.id LIMIT 1)""")
    db.execute("UPDATE versions SET same_words_as = NULL WHERE same_words_as = id")


def _migration_11(db: sqlite_utils.Database) -> None:
    """Versions are told apart by their visible words (issue 15; docs/decisions/0008-visible-words.md).

    ``text_sha256`` is recomputed from each version's stored text with ``comparable`` as it is now.
    No version is removed or merged: a version whose visible words are those of an earlier version
    of its variant keeps its row, captures and text, and points to that version
    (``versions.same_words_as``); the change between two versions with the same visible words is
    kept and marked ``changes.visible = 0`` (only Markdown, quotes, invisible characters or the like
    changed), and current history (``changes_browse``, the pages, feeds and ``history``) leaves it
    out. One version per variant and visible words has ``same_words_as`` null, and a unique index
    holds that. A suspect capture's ``text_sha256`` keeps the old key: its text is not stored, and
    the confirmation of a collapse that spans the migration starts again. Captures record from now on
    the visible words of their text (``words``) and of their whole page (``page_words``): how much of
    what the page shows the extraction kept.
    """
    db["versions"].add_column("same_words_as", int)
    db["changes"].add_column("visible", int, not_null_default=1)
    db["captures"].add_column("words", int)
    db["captures"].add_column("page_words", int)
    db.execute("DROP INDEX idx_versions_variant_id_text_sha256")
    for version_id, text in db.execute("SELECT id, text FROM versions").fetchall():
        db.execute("UPDATE versions SET text_sha256 = ? WHERE id = ?", [sha256(comparable(text)), version_id])
    _same_words(db)
    db.execute("""CREATE UNIQUE INDEX idx_versions_visible_words ON versions (variant_id, text_sha256)
                  WHERE same_words_as IS NULL""")
    db.execute("""UPDATE changes SET visible = 0 WHERE
        (SELECT text_sha256 FROM versions WHERE id = changes.from_version_id)
        = (SELECT text_sha256 FROM versions WHERE id = changes.to_version_id)""")
    db.execute("DROP VIEW changes_browse")
    db.create_view("changes_browse", _CHANGES_BROWSE + " WHERE changes.superseded_by IS NULL AND changes.visible")


def _migration_12(db: sqlite_utils.Database) -> None:
    """The alerts outbox (crawler/archive/outbox.py): every alert is a row before anything is sent.

    ``alert_subscriptions`` remembers the run from which each subscription wants changes (a new one
    does not receive the archive's whole past); ``alerts`` is one message to one subscription, its
    attempts, last error and delivery; ``alert_changes`` the changes it covers, once per subscription.
    Only a subscription's name is kept: never a URL or its secret."""
    db["alert_subscriptions"].create({"name": str, "first_run_id": int, "first_seen_at": str}, pk="name")
    db["alerts"].create(
        {"id": int, "subscription": str, "created_at": str, "due_at": str, "changes": int, "status": str,
         "attempts": int, "last_error": str, "next_attempt_at": str, "delivered_at": str},
        pk="id", foreign_keys=[("subscription", "alert_subscriptions", "name")],
    )
    db["alerts"].create_index(["status", "due_at"])
    db["alert_changes"].create(
        {"subscription": str, "change_id": int, "alert_id": int}, pk=("subscription", "change_id"),
        foreign_keys=[("change_id", "changes", "id"), ("alert_id", "alerts", "id")],
    )
    db["alert_changes"].create_index(["alert_id"])


def _migration_13(db: sqlite_utils.Database) -> None:
    """A picture of each version as Chromium rendered it (crawler/archive/screenshots.py).

    ``screenshots`` is content-addressed like ``bodies``: the SHA-256 of the stored image (lossless
    WebP), so two versions that look alike share one row. ``version_screenshots`` links a version to
    its picture; a version without a row has none yet (``policyarchive screenshots --missing``)."""
    db["screenshots"].create({"sha256": str, "format": str, "width": int, "height": int, "bytes": bytes}, pk="sha256")
    db["version_screenshots"].create(
        {"version_id": int, "sha256": str, "taken_at": str, "source": str}, pk="version_id",
        foreign_keys=[("version_id", "versions", "id"), ("sha256", "screenshots", "sha256")],
    )


def _migration_14(db: sqlite_utils.Database) -> None:
    """Captures fetched by regional workers through a shared queue (crawler/fleet/): which worker
    fetched each (``worker``), on which host (``worker_host``), and the queue's request id
    (``request_id``), unique, so that a capture delivered twice is recorded once. A local crawl
    leaves the three null."""
    db["captures"].add_column("worker", str)
    db["captures"].add_column("worker_host", str)
    db["captures"].add_column("request_id", str)
    db.execute("CREATE UNIQUE INDEX idx_captures_request_id ON captures (request_id) WHERE request_id IS NOT NULL")


def _migration_15(db: sqlite_utils.Database) -> None:
    """The pages of a multi-page document's captures (docs/decisions/0015-multi-page-documents.md):
    per capture and page number, the page's URLs, status, body (content-addressed in ``bodies``,
    like a capture's) and outcome. The capture's own ``body_sha256`` is its first page's."""
    db.execute("""CREATE TABLE capture_pages (capture_id INTEGER NOT NULL REFERENCES captures(id),
                  page INTEGER NOT NULL, requested_url TEXT NOT NULL, final_url TEXT, status INTEGER, content_type TEXT,
                  body_sha256 TEXT REFERENCES bodies(sha256), body_size INTEGER NOT NULL, outcome TEXT NOT NULL,
                  detail TEXT, PRIMARY KEY (capture_id, page)) WITHOUT ROWID""")


def _migration_16(db: sqlite_utils.Database) -> None:
    """Where each Open Terms Archive import stopped (crawler/intake/ota.py): per repository,
    collection and file, the last commit read, so that the next import reads only the commits after
    it, and an import cut short resumes where it was."""
    db["ota_imports"].create({"repo": str, "collection": str, "path": str, "last_commit": str, "imported_at": str},
                             pk=("repo", "collection", "path"))


def _migration_17(db: sqlite_utils.Database) -> None:
    """Clauses as data (issue 13; docs/decisions/0014-clause-index.md): each clause stored once,
    each version's clauses in order, and rewordings linked. Every version held is indexed here, in
    the order its variant saw them, so an archive gains the index without losing anything."""
    db.execute("""CREATE TABLE clauses (id INTEGER PRIMARY KEY, key_sha256 TEXT NOT NULL UNIQUE,
                  text TEXT NOT NULL, words INTEGER NOT NULL)""")
    db["clauses"].enable_fts(["text"], tokenize="porter", create_triggers=False)
    db.execute("""CREATE TABLE version_clauses (version_id INTEGER NOT NULL REFERENCES versions(id),
                  clause_id INTEGER NOT NULL REFERENCES clauses(id), position INTEGER NOT NULL, section TEXT,
                  PRIMARY KEY (version_id, position)) WITHOUT ROWID""")
    db.execute("CREATE INDEX idx_version_clauses_clause ON version_clauses (clause_id, version_id)")
    db.execute("""CREATE TABLE clause_rewordings (clause_id INTEGER NOT NULL REFERENCES clauses(id),
                  from_clause_id INTEGER NOT NULL REFERENCES clauses(id), score INTEGER NOT NULL,
                  PRIMARY KEY (clause_id, from_clause_id)) WITHOUT ROWID""")
    db.execute("CREATE INDEX idx_clause_rewordings_from ON clause_rewordings (from_clause_id)")
    previous: dict[str, int] = {}
    for version_id, variant_id, text in db.execute(
            "SELECT id, variant_id, text FROM versions ORDER BY variant_id, first_seen, id").fetchall():
        index_version(db.conn, version_id, text or "", previous.get(variant_id))
        previous[variant_id] = version_id


def _migration_18(db: sqlite_utils.Database) -> None:
    """``captures.cut_short``: why a readable capture is now thought cut short, set when a later
    version of its variant arrives that is far longer (crawler/archive/cutshort.py, ``COLLAPSE``). Its
    outcome, version and changes stay as recorded: the flag is added to history, never rewrites it.
    Archives migrated here are re-examined once, in order of time."""
    db["captures"].add_column("cut_short", str)
    reexamine_all(db)


def _migration_19(db: sqlite_utils.Database) -> None:
    """Clause counterparts across regions (issue 13; docs/decisions/0016-clause-counterparts.md): a
    clause linked to the clause it rewords in another variant of its document in the same language,
    so that the gap between two regions (the ``clause_gap`` query) tells a reworded clause from one
    only a region has. Every version held is linked here, in the order its variant saw them."""
    db.execute("""CREATE TABLE clause_counterparts (clause_id INTEGER NOT NULL REFERENCES clauses(id),
                  counterpart_id INTEGER NOT NULL REFERENCES clauses(id), score INTEGER NOT NULL,
                  PRIMARY KEY (clause_id, counterpart_id)) WITHOUT ROWID""")
    db.execute("CREATE INDEX idx_clause_counterparts_counterpart ON clause_counterparts (counterpart_id)")
    previous: dict[str, int] = {}
    for version_id, variant_id in db.execute(
            "SELECT id, variant_id FROM versions ORDER BY variant_id, first_seen, id").fetchall():
        link_counterparts(db.conn, version_id, previous.get(variant_id))
        previous[variant_id] = version_id


# A variant's state from its captures, as ``variant_freshness`` holds it: its latest capture, its
# latest successful one and the version of its latest versioned one, each the latest by time, then
# by id (the order every page reads a variant's captures in). ``{variant}`` is the variant's id.
_LATEST = "SELECT {} FROM captures WHERE variant_id = {{variant}} {} ORDER BY fetched_at DESC, id DESC LIMIT 1"
FRESHNESS = f"""UPDATE variant_freshness SET
    (last_capture_id, last_capture_at, last_outcome, last_detail) = ({_LATEST.format("id, fetched_at, outcome, detail", "")}),
    (last_ok_id, last_ok_at) = ({_LATEST.format("id, fetched_at", "AND outcome IN ('new', 'changed', 'unchanged')")}),
    version_id = ({_LATEST.format("version_id", "AND version_id IS NOT NULL")})
    WHERE variant_id = {{variant}}"""
# The variant's labels that ``variant_status`` shows, copied from ``variants``.
_LABELS = ("service", "region", "language", "url")


def _migration_20(db: sqlite_utils.Database) -> None:
    """``variant_freshness`` (issue 13 item 8; docs/decisions/0019-variant-freshness.md): one row per
    variant, with the labels ``variant_status`` shows, its latest capture, latest successful capture
    and current version, so that the view and the pages read one row of one table per variant
    instead of searching its captures (2.2 s for the view's page at 100,000 variants) or joining
    ``variants`` (a join SQLite keeps for a count). Triggers keep it in the transaction of every write
    that can move it, whichever module writes: a variant's row is made with the variant and its labels
    follow it; its capture columns are recomputed from its captures (``FRESHNESS``) at every insert
    of a capture, and every update of a column they are made of. Archives migrated here are filled
    from the variants and captures they hold. Indexes serve the view's facets and its default order
    (oldest success first, ``last_ok_at``), the facets of the ``variants`` table page, the pages
    that list a document's variants (by region and language), which scanned them all, and the
    numbering of a variant's versions (``version_number``), which scanned every version: the only
    index on ``versions.variant_id`` is partial (migration 11)."""
    labels = ", ".join(_LABELS)
    db.execute(f"""CREATE TABLE variant_freshness (variant_id TEXT PRIMARY KEY REFERENCES variants(id),
                   service TEXT, region TEXT, language TEXT, url TEXT,
                   last_capture_id INTEGER REFERENCES captures(id), last_capture_at TEXT, last_outcome TEXT,
                   last_detail TEXT, last_ok_id INTEGER REFERENCES captures(id), last_ok_at TEXT,
                   version_id INTEGER REFERENCES versions(id)) WITHOUT ROWID""")
    db.execute(f"""CREATE TRIGGER variant_freshness_variant AFTER INSERT ON variants BEGIN
                   INSERT INTO variant_freshness (variant_id, {labels}) VALUES (NEW.id, {", ".join("NEW." + c for c in _LABELS)});
                   {FRESHNESS.format(variant="NEW.id")}; END""")
    db.execute(f"""CREATE TRIGGER variant_freshness_labels AFTER UPDATE OF {labels} ON variants BEGIN
                   UPDATE variant_freshness SET ({labels}) = ({", ".join("NEW." + c for c in _LABELS)})
                   WHERE variant_id = NEW.id; END""")
    recompute = FRESHNESS.format(variant="NEW.variant_id")
    db.execute(f"CREATE TRIGGER variant_freshness_capture AFTER INSERT ON captures BEGIN {recompute}; END")
    db.execute(f"""CREATE TRIGGER variant_freshness_capture_update AFTER UPDATE OF fetched_at, outcome, detail, version_id
                   ON captures BEGIN {recompute}; END""")
    db.execute(f"INSERT INTO variant_freshness (variant_id, {labels}) SELECT id, {labels} FROM variants")
    db.execute(FRESHNESS.format(variant="variant_freshness.variant_id"))
    for column in ("last_ok_at", "last_outcome", "service"):
        db["variant_freshness"].create_index([column])
    for columns in (["service"], ["region"], ["language"], ["fetch"], ["document_id", "region", "language"]):
        db["variants"].create_index(columns)
    db["versions"].create_index(["variant_id", "first_seen"])
    db.execute("DROP VIEW variant_status")
    db.create_view("variant_status", f"""SELECT variant_id, {labels}, last_capture_at, last_outcome, last_detail, last_ok_at,
        round((julianday('now') - julianday(last_ok_at)) * 24, 1) AS hours_since_ok,
        CASE WHEN last_ok_at IS NULL OR julianday('now') - julianday(last_ok_at) > 2 THEN 1 ELSE 0 END AS stale
        FROM variant_freshness""")


MIGRATIONS = {1: _migration_1, 2: _migration_2, 3: _migration_3, 4: _migration_4, 5: _migration_5, 6: _migration_6,
              7: _migration_7, 8: _migration_8, 9: _migration_9, 10: _migration_10,
              11: _migration_11, 12: _migration_12,
              13: _migration_13, 14: _migration_14, 15: _migration_15, 16: _migration_16, 17: _migration_17, 18: _migration_18,
              19: _migration_19, 20: _migration_20}


def pending(conn) -> list[int]:
    """The migrations not applied to the archive open on ``conn`` (read only: nothing is created)."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    applied = {row[0] for row in conn.execute("SELECT id FROM _migrations")} if "_migrations" in tables else set()
    return sorted(set(MIGRATIONS) - applied)
