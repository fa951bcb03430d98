"""What ``policyarchive status`` says each morning: what ran, what failed and why, what went stale.

A variant is stale when it has had no successful capture (new, changed or unchanged) for longer
than a threshold: blocked, moved, gone, or never captured at all. The archive's ``variant_status``
view holds each variant's last capture and last success; this module reads it with the threshold
asked for, and the runs with the failures of each.
"""

from __future__ import annotations

import re

import sqlite_utils

from crawler.common.outcomes import FAILURES
from crawler.common.exits import MEANINGS
from crawler.archive.lock import held_elsewhere, holder
from crawler.common.plural import count

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([mhdw])")
_HOURS = {"m": 1 / 60, "h": 1, "d": 24, "w": 168}
FAILURES_SHOWN = 10
COVERAGE_SHOWN = 5


def parse_duration(text: str) -> float:
    """Hours in a duration such as ``48h``, ``2d``, ``90m``, ``1w`` or ``1d12h``."""
    parts = _DURATION.findall(text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != text.strip().lower():
        raise ValueError(f"{text!r} is not a duration like 48h, 2d, 90m or 1w")
    return sum(float(n) * _HOURS[u] for n, u in parts)


def last_runs(db: sqlite_utils.Database, limit: int) -> list[dict]:
    return list(db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]))


def run_failures(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    marks = ", ".join("?" * len(FAILURES))
    return list(db.query(
        f"SELECT variant_id, outcome, status, detail FROM captures WHERE run_id = ? AND outcome IN ({marks}) ORDER BY id",
        [run_id, *FAILURES],
    ))


def stale_variants(db: sqlite_utils.Database, hours: float, declared: list[str] | None = None) -> list[dict]:
    """Variants with no successful capture for more than ``hours``, or none ever, from ``variant_status``.

    ``declared`` (variant ids) limits them to the declarations in force; a declared variant the
    archive has never seen is stale too.
    """
    rows = {r["variant_id"]: r for r in db.query(
        "SELECT * FROM variant_status WHERE hours_since_ok IS NULL OR hours_since_ok > ? ORDER BY variant_id", [hours]
    )}
    if declared is None:
        return list(rows.values())
    known = {r["variant_id"] for r in db.query("SELECT variant_id FROM variant_status")}
    return [rows.get(v) or {"variant_id": v, "last_capture_at": None} for v in sorted(declared) if v in rows or v not in known]


def coverage(db: sqlite_utils.Database, declared: list[str] | None = None) -> list[dict]:
    """Each variant's latest capture that counted its page's words: the words its extraction kept
    against the words the page shows, lowest share first. One indexed look-up per variant (the
    captures of a variant, newest first), not a pass over every capture."""
    variants = declared if declared is not None else [r[0] for r in db.execute("SELECT id FROM variants ORDER BY id")]
    found = []
    for variant_id in variants:
        row = db.execute(
            """SELECT fetched_at, words, page_words, outcome FROM captures WHERE variant_id = ? AND page_words > 0
               AND words IS NOT NULL ORDER BY fetched_at DESC, id DESC LIMIT 1""", [variant_id]).fetchone()
        if row:
            found.append({"variant_id": variant_id, "fetched_at": row[0], "words": row[1], "page_words": row[2], "outcome": row[3]})
    return sorted(found, key=lambda r: (r["words"] / r["page_words"], r["variant_id"]))


def _coverage_line(row: dict) -> str:
    share = row["words"] / row["page_words"]
    suspect = f" ({row['outcome']})" if row["outcome"] not in ("new", "changed", "unchanged") else ""
    return (f"  {row['variant_id']}: {row['words']:,} of the {row['page_words']:,} words its page shows ({share:.0%}), "
            f"{row['fetched_at'][:19]}Z{suspect}")


def cut_short(db: sqlite_utils.Database, declared: list[str] | None = None) -> list[dict]:
    """Per variant, the captures flagged cut short (``captures.cut_short``): how many, and the
    latest's detail."""
    found = db.query("""SELECT variant_id, count(*) AS n, max(fetched_at) AS last,
        (SELECT cut_short FROM captures d WHERE d.variant_id = c.variant_id AND d.cut_short IS NOT NULL
         ORDER BY fetched_at DESC LIMIT 1) AS detail
        FROM captures c WHERE cut_short IS NOT NULL GROUP BY variant_id ORDER BY variant_id""")
    return [r for r in found if declared is None or r["variant_id"] in declared]


def _cut_short_lines(db: sqlite_utils.Database, declared: list[str] | None) -> list[str]:
    rows = cut_short(db, declared)
    if not rows:
        return []
    return ["cut short (versions far shorter than a later one; kept as recorded):"] + [
        f"  {r['variant_id']}: {count(r['n'], 'capture')} up to {r['last'][:19]}Z: {r['detail']}" for r in rows]


def outcome_counts(run: dict) -> str:
    """A run's captures by outcome, those it had: `1 changed, 3 unchanged, 1 http-error`."""
    outcomes = ("new", "changed", "unchanged") + FAILURES
    return ", ".join(f"{run[o.replace('-', '_')]} {o}" for o in outcomes if run.get(o.replace("-", "_"))) or "nothing captured"


def _run_lines(db: sqlite_utils.Database, run: dict, busy: bool) -> list[str]:
    status = run["status"]
    if status == "running" and not busy:
        status = "running? no process holds the archive: it was killed, and the next run marks it interrupted"
    code = run.get("exit_code")
    exit_text = f", exit {code} ({MEANINGS.get(code, 'unexpected')})" if code is not None else ""
    attempted = run["attempted"] or 0
    # A crawl makes one capture per variant; an import or a backfill many of one variant.
    unit = "capture" if run["trigger"] in ("import", "backfill") else "variant"
    variants = f"{attempted} of {count(run['planned'], unit)}" if run.get("planned") is not None else count(attempted, unit)
    lines = [
        f"run {run['id']}  {run['started_at'][:19]}Z -> {run['ended_at'][:19] + 'Z' if run['ended_at'] else '...'}  {run['trigger']}"
        f"{'  only ' + run['only'] if run['only'] else ''}: {status}{exit_text}",
        f"    {variants} attempted: {outcome_counts(run)}; {count(run.get('new_versions') or 0, 'new version')}",
    ]
    if run.get("detail"):
        lines.append(f"    why: {run['detail']}")
    if run.get("log_path"):
        lines.append(f"    log: {run['log_path']}")
    failures = run_failures(db, run["id"])
    for f in failures[:FAILURES_SHOWN]:
        lines.append(f"    failed: {f['variant_id']}  {f['outcome']}{' ' + str(f['status']) if f['status'] else ''}: {f['detail'] or ''}")
    if len(failures) > FAILURES_SHOWN:
        lines.append(f"    ... and {count(len(failures) - FAILURES_SHOWN, 'more failure')}: select * from captures where run_id = {run['id']}")
    return lines


def _stale_line(row: dict) -> str:
    if not row.get("last_capture_at"):
        return f"  {row['variant_id']}: never captured"
    last = f"last capture {row['last_capture_at'][:19]}Z {row['last_outcome']}" + (f" ({row['last_detail']})" if row["last_detail"] else "")
    if not row.get("last_ok_at"):
        return f"  {row['variant_id']}: never captured successfully; {last}"
    hours = row["hours_since_ok"]
    ago = f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"
    return f"  {row['variant_id']}: last success {row['last_ok_at'][:19]}Z, {ago} ago; {last}"


def report(db: sqlite_utils.Database, db_path: str, stale_after: float, runs: int = 5,
           declared: list[str] | None = None) -> list[str]:
    """The lines ``policyarchive status`` prints."""
    busy = held_elsewhere(db_path)
    lines = [f"a run is in progress: {holder(db_path)}" if busy else "no run in progress"]
    recent = last_runs(db, runs)
    lines.append(f"last {count(len(recent), 'run')}, newest first (UTC):" if recent else "no runs yet")
    for run in recent:
        lines += _run_lines(db, run, busy)
    kept = coverage(db, declared)
    if kept:
        lines.append("coverage, lowest first (the words the latest capture kept, of the words its page shows):")
        lines += [_coverage_line(row) for row in kept[:COVERAGE_SHOWN]]
        if len(kept) > COVERAGE_SHOWN:
            lines.append(f"  ... and {count(len(kept) - COVERAGE_SHOWN, 'more variant')}")
    lines += _cut_short_lines(db, declared)
    stale = stale_variants(db, stale_after, declared)
    scope = count(len(declared), "declared variant") if declared is not None else "all variants"
    lines.append(f"stale: {len(stale)} of {scope} without a successful capture for {count(stale_after, 'hour')}"
                 + (":" if stale else ""))
    lines += [_stale_line(row) for row in stale]
    return lines
