"""Benchmark 2, the unchanged re-check: the same variants crawled twice, the same pages both times.

An unchanged check should add a capture row of a few hundred bytes and nothing else: the archive's
growth (pages in use, WAL checkpointed) divided by the unchanged captures, with the tables and
indexes that grew. Identical bodies are stored once: bodies rows against the distinct pages served.
Stored bodies are compressed: sum(size) / sum(stored_size).
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from bench.report import Figure
from bench.site import VariantSite, crawl, fresh_db, last_run, tiktok_pages, used_bytes, write_declarations

NAME = "recheck"
TITLE = "the same pages crawled twice: growth, bodies stored once, compression"


def run(work: Path, args) -> list[Figure]:
    quick = args.quick
    variants = 30 if quick else 200
    site = VariantSite(tiktok_pages(), variants)
    db = fresh_db(work / "recheck.db")
    try:
        policies = write_declarations(work / "policies", site.urls)
        crawl(db, policies)
        before, tables_before = used_bytes(db)
        crawl(db, policies)
        after, tables_after = used_bytes(db)
    finally:
        site.close()
    unchanged = last_run(db)["outcomes"].get("unchanged", 0)
    if unchanged != variants:
        raise RuntimeError(f"second crawl: {last_run(db)['outcomes']}, expected {variants} unchanged")
    grew = {name: tables_after.get(name, 0) - tables_before.get(name, 0) for name in tables_after}
    top = sorted(((n, g) for n, g in grew.items() if g), key=lambda x: -x[1])[:6]
    archive = sqlite_utils.Database(db)
    bodies, size, stored = archive.execute("SELECT count(*), sum(size), sum(stored_size) FROM bodies").fetchone()
    captures = archive.execute("SELECT count(*) FROM captures").fetchone()[0]
    distinct = len(set(site.bodies))
    return [
        Figure("unchanged re-check, archive growth per capture", (after - before) / unchanged, "bytes", "<=", 512,
               note=f"{unchanged} unchanged captures; grew (pages of 4 KB): " + ", ".join(f"{n} {g // 1024} KB" for n, g in top)),
        Figure("identical bodies stored once: bodies rows", bodies, "rows", "<=", distinct,
               note=f"{captures} captures of {distinct} distinct bodies"),
        Figure("compression of stored bodies, size / stored_size", size / stored, "x", ">=", 4,
               note=f"{size / 1e6:.1f} MB stored in {stored / 1e6:.1f} MB"),
    ]
