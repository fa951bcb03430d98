"""The chain of custody: one manifest per run, each carrying the hash of the one before.

A manifest lists what the run captured (capture id, variant, time, URLs, status, provenance, the
SHA-256 of the bytes as received and of the response's header set, and its Date) as canonical
JSON, one array per field, and is stored zlib-compressed with that JSON's SHA-256 and the hash of
the previous manifest.
Since format 3 a manifest also seals the text of each version the run made (its id, first
capture and the SHA-256 of the text as stored, what readers, search and citations show); since
format 4, each capture's worker and its host (a capture fetched through the queue, crawler/fleet/);
since format 5, each page of a multi-page document's captures (``capture_pages``) and its bytes' SHA-256.
Altering or removing any past capture, body, header set, version text or manifest then breaks the
chain (``crawler/evidence/verify.py`` checks it). Changes are not in it: they are derived from the
versions' texts, which are.

Publishing the head hash (``policyarchive verify`` prints it) somewhere outside the archive makes
even a rewrite of the whole chain detectable.
"""

from __future__ import annotations

import json
import zlib

import sqlite_utils

from crawler.common.clock import utcnow
from crawler.common.digests import sha256

FORMAT = "policyarchive-manifest/5"
# Formats that hold one array per field (format 1 held one object per capture).
COLUMNAR = ("policyarchive-manifest/2", "policyarchive-manifest/3", "policyarchive-manifest/4", FORMAT)
# Formats that seal the text of the versions their run made.
WITH_VERSIONS = ("policyarchive-manifest/3", "policyarchive-manifest/4", FORMAT)
# Formats that list the pages of multi-page documents' captures.
WITH_PAGES = (FORMAT,)
GENESIS = "0" * 64
# What a manifest vouches for of each capture: what was fetched, when, from where, its bytes and
# its headers. Outcomes and version links are left out: they are derived from the bytes, not received.
FIELDS = ("id", "variant_id", "fetched_at", "status", "requested_url", "final_url", "body_sha256", "body_size",
          "region", "language", "proxy", "renderer", "user_agent", "source", "memento_url", "headers_sha256", "http_date",
          "worker", "worker_host")
# What the manifests of each format list, so that a manifest sealed before migration 8 (no
# headers, one object per capture, stored as text) or before migration 14 (no worker) is checked
# against what it vouched for.
LISTED = {"policyarchive-manifest/1": FIELDS[:-4], "policyarchive-manifest/2": FIELDS[:-2],
          "policyarchive-manifest/3": FIELDS[:-2], "policyarchive-manifest/4": FIELDS, FORMAT: FIELDS}
# What a manifest (format 3 on) seals of each version its run made.
VERSION_FIELDS = ("id", "capture_id", "text_sha256")
# What a manifest (format 5 on) lists of each page of a multi-page capture: what was fetched and its bytes.
PAGE_FIELDS = ("capture_id", "page", "requested_url", "final_url", "status", "body_sha256", "body_size")
# The one field that is not a column of captures.
_SQL = {"headers_sha256": "header_sets.sha256"}


def entries(db: sqlite_utils.Database, run_id: int, fields: tuple[str, ...] = FIELDS) -> list[dict]:
    """The run's captures as a manifest lists them, in id order."""
    columns = ", ".join(_SQL.get(name, f"captures.{name}") for name in fields)
    cursor = db.execute(f"""SELECT {columns} FROM captures LEFT JOIN header_sets ON header_sets.id = captures.headers_id
                            WHERE captures.run_id = ? ORDER BY captures.id""", [run_id])
    return [dict(zip(fields, row)) for row in cursor.fetchall()]


def listed(manifest: dict) -> list[dict]:
    """The captures a manifest lists, one dict each. Since format 2 a manifest holds one array per
    field rather than one object per capture: like values side by side compress to half the size."""
    captures = manifest["captures"]
    if manifest.get("format") not in COLUMNAR:
        return captures
    return [dict(zip(captures, values)) for values in zip(*captures.values())]


def canonical(manifest: dict) -> str:
    """The one serialisation a manifest is hashed in."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def text(compression: str | None, stored: str | bytes) -> str:
    """A manifest's canonical JSON from its stored form (text before migration 8, zlib since).
    Raises ``zlib.error`` when the stored bytes are not a zlib stream."""
    return zlib.decompress(stored).decode("utf-8") if compression == "zlib" else stored


def versions(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """The versions the run's captures made, as a manifest seals them: id, first capture, and the
    SHA-256 of the text as stored (not the compared form: a reader reads it whole)."""
    cursor = db.execute("""SELECT versions.id, versions.capture_id, versions.text FROM versions
                           JOIN captures ON captures.id = versions.capture_id
                           WHERE captures.run_id = ? ORDER BY versions.id""", [run_id])
    return [{"id": vid, "capture_id": capture_id, "text_sha256": sha256(text)} for vid, capture_id, text in cursor]


def pages(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """The pages of the run's multi-page captures, as a manifest lists them, in capture and page order."""
    cursor = db.execute(f"""SELECT {', '.join(f'p.{name}' for name in PAGE_FIELDS)} FROM capture_pages p
                            JOIN captures c ON c.id = p.capture_id WHERE c.run_id = ? ORDER BY p.capture_id, p.page""", [run_id])
    return [dict(zip(PAGE_FIELDS, row)) for row in cursor.fetchall()]


def head(db: sqlite_utils.Database) -> dict | None:
    """The latest manifest: ``id``, ``run_id`` and ``sha256``."""
    row = db.execute("SELECT id, run_id, sha256 FROM manifests ORDER BY id DESC LIMIT 1").fetchone()
    return dict(zip(("id", "run_id", "sha256"), row)) if row else None


def seal(db: sqlite_utils.Database) -> list[int]:
    """Write a manifest for every ended run that has none, oldest first; return the manifests' ids.

    Call it inside a transaction that has already written (``Archive.end_run`` does), so that two
    processes ending runs at once take turns and the chain never forks. One array per field and
    compressed, a manifest costs an unchanged capture about 45 bytes, not 470 (issue 7, benchmark 2).
    """
    runs = db.execute(
        """SELECT id, started_at, trigger FROM runs WHERE ended_at IS NOT NULL
           AND id NOT IN (SELECT run_id FROM manifests) ORDER BY id"""
    ).fetchall()
    sealed = []
    for run_id, started_at, trigger in runs:
        latest = head(db)
        captures, made = entries(db, run_id), versions(db, run_id)
        manifest = {"format": FORMAT, "run": {"id": run_id, "started_at": started_at, "trigger": trigger},
                    "previous": latest["sha256"] if latest else GENESIS,
                    "captures": {name: [entry[name] for entry in captures] for name in FIELDS},
                    "versions": {name: [v[name] for v in made] for name in VERSION_FIELDS},
                    "pages": {name: [p[name] for p in pages(db, run_id)] for name in PAGE_FIELDS}}
        serialised = canonical(manifest)
        sealed.append(db["manifests"].insert(
            {"run_id": run_id, "sealed_at": utcnow(), "captures": len(captures), "previous_sha256": manifest["previous"],
             "sha256": sha256(serialised), "compression": "zlib", "manifest": zlib.compress(serialised.encode("utf-8"), 9)}
        ).last_pk)
    return sealed
