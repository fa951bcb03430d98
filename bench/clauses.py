"""Benchmark: the clause index (issue 13). What indexing a version costs, and the reads built on it.

Indexing: each version of TikTok's US privacy policy (realdata/ota-vlopses-us-versions, as Markdown)
recorded in order into a fresh archive's tables, timing ``index_version`` against the full-text
insert every new version already pays (``versions_fts``), on the same texts.

Reads: a synthetic archive written in bulk SQL (not through the crawler): ``--versions`` versions
(full: 1,000,000) over one variant per 10 versions, each version 20 clauses of its variant, one of
them changed per version, each seen by one capture; one variant in 100 holds a clause naming
``faceprints``; one clause in 97 linked to a counterpart. Median of 20 runs of: who has a phrase (the
variants holding it, with its first appearance), a clause's lineage (per variant, first and last
seen), and the regional gap of two variants (the ``clause_gap`` query the compare page runs); and
the bytes the clause index takes a version (``index_bytes``, also measured by benchmark 4 on its
synthetic archive of real paragraphs).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.report import Figure
from bench.site import REALDATA
from crawler.archive.clauses import index_version
from crawler.archive.store import Archive
from crawler.web.gap import SQL as CLAUSE_GAP

NAME = "clauses"
TITLE = "clause index: indexing cost per version, who-has-it and lineage latency at scale"
US = REALDATA / "ota-vlopses-us-versions" / "TikTok" / "Privacy Policy"
CLAUSES_A_VERSION = 20
WHO_HAS_IT = """SELECT versions.variant_id, min(versions.first_seen) AS first_seen FROM clauses_fts
    JOIN version_clauses ON version_clauses.clause_id = clauses_fts.rowid
    JOIN versions ON versions.id = version_clauses.version_id
    WHERE clauses_fts MATCH ? GROUP BY versions.variant_id"""
LINEAGE = """SELECT versions.variant_id, min(versions.first_seen) AS first_seen, max(versions.last_seen) AS last_seen
    FROM version_clauses JOIN versions ON versions.id = version_clauses.version_id
    WHERE version_clauses.clause_id = ? GROUP BY versions.variant_id"""

# The clause index (migrations 17 and 19): these tables, their indexes and the full-text index of clauses.
INDEX_TABLES = ("clauses", "version_clauses", "clause_rewordings", "clause_counterparts")


def index_bytes(conn) -> int:
    """The bytes of the archive's pages that hold the clause index (SQLite's ``dbstat``)."""
    return conn.execute(f"""SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE aggregate = TRUE AND name IN (
        SELECT name FROM sqlite_schema WHERE tbl_name IN ({', '.join('?' * len(INDEX_TABLES))})
        OR tbl_name LIKE 'clauses^_fts%' ESCAPE '^')""", INDEX_TABLES).fetchone()[0]


def indexing(work: Path, limit: int | None) -> tuple[list[float], list[float], list[int]]:
    """Seconds ``index_version`` and the ``versions_fts`` insert took per version, and clause rows added."""
    texts = [p.read_text() for p in sorted(US.glob("*.md"))][:limit]
    work.mkdir(parents=True, exist_ok=True)
    archive = Archive(work / "index.db")
    conn = archive.db.conn
    conn.execute("BEGIN")
    conn.execute("INSERT INTO documents (id) VALUES ('tiktok/privacy-policy')")
    conn.execute("INSERT INTO variants (id, document_id) VALUES ('tiktok/privacy-policy/us-en', 'tiktok/privacy-policy')")
    ours, fts, rows = [], [], []
    for number, text in enumerate(texts, start=1):
        conn.execute("INSERT INTO versions (id, variant_id, text_sha256, text) VALUES (?, 'tiktok/privacy-policy/us-en', ?, ?)",
                     [number, str(number), text])
        started = time.perf_counter()
        conn.execute("INSERT INTO versions_fts (rowid, text) VALUES (?, ?)", [number, text])
        fts.append(time.perf_counter() - started)
        before = conn.execute("SELECT count(*) FROM version_clauses").fetchone()[0]
        started = time.perf_counter()
        index_version(conn, number, text, number - 1 if number > 1 else None)
        ours.append(time.perf_counter() - started)
        rows.append(conn.execute("SELECT count(*) FROM version_clauses").fetchone()[0] - before)
    conn.rollback()
    archive.close()
    return ours, fts, rows


def synthetic(path: Path, versions: int) -> None:
    """An archive of ``versions`` versions and their clause index, written in bulk."""
    archive = Archive(path)
    conn = archive.db.conn
    conn.execute("BEGIN")
    variants = max(1, versions // 10)
    conn.execute("INSERT INTO documents (id) VALUES ('s/privacy-policy')")
    conn.executemany("INSERT INTO variants (id, document_id) VALUES (?, 's/privacy-policy')",
                     ((f"s/privacy-policy/{v}",) for v in range(variants)))
    conn.executemany("INSERT INTO versions (id, variant_id, text_sha256, first_seen, last_seen, text) VALUES (?, ?, ?, ?, ?, '')",
                     ((i, f"s/privacy-policy/{i % variants}", str(i), f"2026-{1 + i // variants % 12:02}-01",
                       f"2026-{1 + i // variants % 12:02}-28") for i in range(versions)))
    pool = variants * (CLAUSES_A_VERSION + 10)
    conn.executemany("INSERT INTO clauses (id, key_sha256, text, words) VALUES (?, ?, ?, 8)",
                     ((c, str(c), _clause_text(c, variants)) for c in range(pool)))
    conn.execute("INSERT INTO clauses_fts (rowid, text) SELECT id, text FROM clauses")
    conn.executemany("INSERT INTO version_clauses (version_id, clause_id, position) VALUES (?, ?, ?)",
                     ((i, _clause_of(i, p, variants), p) for i in range(versions) for p in range(CLAUSES_A_VERSION)))
    conn.executemany("INSERT INTO captures (id, variant_id, fetched_at, outcome, version_id) VALUES (?, ?, ?, 'changed', ?)",
                     ((i, f"s/privacy-policy/{i % variants}", f"2026-{1 + i // variants % 12:02}-01T00:00:00Z", i)
                      for i in range(versions)))
    conn.execute("""INSERT INTO clause_counterparts SELECT a.clause_id, b.clause_id, 85 FROM version_clauses AS a
        JOIN version_clauses AS b ON b.version_id = a.version_id + 1 AND b.position = a.position
        WHERE a.version_id % 97 = 0 AND a.position = 5""")
    conn.commit()
    archive.close()


def _clause_of(version: int, position: int, variants: int) -> int:
    """The clause at ``position`` of ``version``: its variant's, the last one changing each version."""
    variant, step = version % variants, version // variants
    slot = position if position < CLAUSES_A_VERSION - 1 else CLAUSES_A_VERSION - 1 + step % 11
    return variant * (CLAUSES_A_VERSION + 10) + slot


def _clause_text(clause: int, variants: int) -> str:
    variant, slot = divmod(clause, CLAUSES_A_VERSION + 10)
    rare = " such as faceprints and voiceprints" if slot == 3 and variant % 100 == 0 else ""
    return f"Clause {slot} of variant {variant}: we collect information you provide{rare}."


def median_ms(conn, sql: str, params) -> float:
    conn.execute(sql, params).fetchall()
    times = []
    for _ in range(20):
        started = time.perf_counter()
        conn.execute(sql, params).fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(work: Path, args) -> list[Figure]:
    versions = args.versions or (20_000 if args.quick else 1_000_000)
    ours, fts, added = indexing(work, 5 if args.quick else None)
    first, later = ours[0] * 1000, statistics.median(ours[1:]) * 1000 if len(ours) > 1 else 0.0
    print(f"  {len(ours)} TikTok US versions: first {first:.1f} ms, later median {later:.1f} ms; "
          f"versions_fts {fts[0] * 1000:.1f} ms; {added[0]} clauses a version", flush=True)
    path = work / f"clauses-{versions}.db"
    if not path.exists():
        started = time.perf_counter()
        synthetic(path, versions)
        print(f"  synthetic archive of {versions:,} versions written in {time.perf_counter() - started:.0f} s", flush=True)
    archive = Archive.reading(path)
    conn = archive.db.conn
    who = median_ms(conn, WHO_HAS_IT, ['"faceprints and voiceprints"'])
    lineage = median_ms(conn, LINEAGE, [3])
    gap = median_ms(conn, CLAUSE_GAP, {"a": "s/privacy-policy/1", "b": "s/privacy-policy/2", "at": "2026-06-01"})
    size = index_bytes(conn) / versions
    archive.close()
    return [
        Figure("clause index, first TikTok version", first, "ms", "<=", 31.0, baseline=fts[0] * 1000,
               ratio=first / (fts[0] * 1000), ratio_note="index / versions_fts insert"),
        Figure("clause index, later TikTok versions (median)", later, "ms"),
        Figure("clause rows a version (TikTok US)", float(added[0]), "rows"),
        Figure(f"clause index bytes a version at {versions:,}", size, "B"),
        Figure(f"who has a phrase at {versions:,} versions", who, "ms", "<=", 150.0),
        Figure(f"clause lineage at {versions:,} versions", lineage, "ms", "<=", 150.0),
        Figure(f"regional gap of two variants (clause_gap) at {versions:,} versions", gap, "ms", "<=", 150.0),
    ]
