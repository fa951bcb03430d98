"""The chain of custody: one manifest per run, each carrying the hash of the one before.

A manifest lists what the run captured (capture id, variant, time, URLs, status, provenance and the
SHA-256 of the bytes as received) as canonical JSON, and is stored with that JSON's SHA-256 and the
hash of the previous manifest. Altering or removing any past capture, body or manifest then breaks
the chain (``crawler/verify.py`` checks it). Versions and changes are not in it: they are derived
from the bodies, which are.

Publishing the head hash (``policyarchive verify`` prints it) somewhere outside the archive makes
even a rewrite of the whole chain detectable.
"""

from __future__ import annotations

import json

import sqlite_utils

from crawler.archive import sha256, utcnow

FORMAT = "policyarchive-manifest/1"
GENESIS = "0" * 64
# The capture columns a manifest vouches for: what was fetched, when, from where, and its bytes.
# Outcomes and version links are left out: they are derived from the bytes, not received.
FIELDS = ("id", "variant_id", "fetched_at", "status", "requested_url", "final_url", "body_sha256", "body_size",
          "region", "language", "proxy", "renderer", "user_agent", "source", "memento_url")


def entries(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """The run's captures as its manifest lists them, in id order."""
    cursor = db.execute(f"SELECT {', '.join(FIELDS)} FROM captures WHERE run_id = ? ORDER BY id", [run_id])
    return [dict(zip(FIELDS, row)) for row in cursor.fetchall()]


def canonical(manifest: dict) -> str:
    """The one serialisation a manifest is hashed in."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def head(db: sqlite_utils.Database) -> dict | None:
    """The latest manifest: ``id``, ``run_id`` and ``sha256``."""
    row = db.execute("SELECT id, run_id, sha256 FROM manifests ORDER BY id DESC LIMIT 1").fetchone()
    return dict(zip(("id", "run_id", "sha256"), row)) if row else None


def seal(db: sqlite_utils.Database) -> list[int]:
    """Write a manifest for every ended run that has none, oldest first; return the manifests' ids.

    Call it inside a transaction that has already written (``Archive.end_run`` does), so that two
    processes ending runs at once take turns and the chain never forks.
    """
    runs = db.execute(
        """SELECT id, started_at, trigger FROM runs WHERE ended_at IS NOT NULL
           AND id NOT IN (SELECT run_id FROM manifests) ORDER BY id"""
    ).fetchall()
    sealed = []
    for run_id, started_at, trigger in runs:
        latest = head(db)
        listed = entries(db, run_id)
        manifest = {"format": FORMAT, "run": {"id": run_id, "started_at": started_at, "trigger": trigger},
                    "previous": latest["sha256"] if latest else GENESIS, "captures": listed}
        text = canonical(manifest)
        sealed.append(db["manifests"].insert(
            {"run_id": run_id, "sealed_at": utcnow(), "captures": len(listed), "previous_sha256": manifest["previous"],
             "sha256": sha256(text), "manifest": text}
        ).last_pk)
    return sealed
