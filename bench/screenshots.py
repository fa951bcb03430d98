"""Benchmark: a screenshot per new version (issue 17), what it adds to the archive and what it costs.

Real TikTok policy pages crawled with screenshots off (the baseline: the crawl's own time per
version), then pictured as ``policyarchive screenshots --missing`` does (one Chromium for the batch):
archive growth per version with its picture, and seconds per picture. Then the same pages crawled
again with screenshots on: an unchanged capture must still add <= 512 bytes and no picture.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import sqlite_utils

from bench.report import Figure
from bench.site import VariantSite, crawl, fresh_db, last_run, tiktok_pages, used_bytes, write_declarations
from crawler.archive.screenshots import fill, missing
from crawler.archive.store import Archive

NAME = "screenshots"
TITLE = "a screenshot per new version: archive growth and time per picture; unchanged captures add none"


def run(work: Path, args) -> list[Figure]:
    pages = tiktok_pages()[:4 if args.quick else 12]
    site = VariantSite(pages, len(pages))
    db = fresh_db(work / "screenshots.db")
    try:
        policies = write_declarations(work / "policies", site.urls)
        crawl_seconds = crawl(db, policies)
        versions = sqlite_utils.Database(db).execute("SELECT count(*) FROM versions").fetchone()[0]
        before, _ = used_bytes(db)
        archive = Archive(db)
        try:
            seconds, failed = fill(archive, missing(archive.db))
            assert not failed, failed
        finally:
            archive.close()
        pictured, tables = used_bytes(db)
        crawl(db, policies, "POLICYARCHIVE_SCREENSHOTS=1")
        again, _ = used_bytes(db)
    finally:
        site.close()
    unchanged = last_run(db)["outcomes"].get("unchanged", 0)
    shots = sqlite_utils.Database(db).execute(
        "SELECT count(*), sum(length(bytes)), max(height) FROM screenshots").fetchone()
    if unchanged != len(pages) or shots[0] > versions:
        raise RuntimeError(f"re-crawl: {last_run(db)['outcomes']}, {shots[0]} screenshots for {versions} versions")
    per_version = crawl_seconds / versions
    return [
        Figure("archive growth per new version's screenshot", (pictured - before) / versions, "bytes",
               note=f"{versions} versions share {shots[0]} distinct pictures of {shots[1] / shots[0] / 1e3:.0f} KB WebP on average, "
                    f"tallest {shots[2]} px; screenshots table {tables.get('screenshots', 0) // 1024} KB"),
        Figure("screenshot time per version (mean)", statistics.mean(seconds), "s", baseline=per_version,
               ratio=statistics.mean(seconds) / per_version, ratio_note="screenshot / crawl time per version",
               note=f"slowest {max(seconds):.2f} s; first includes Chromium start-up: {seconds[0]:.2f} s"),
        Figure("unchanged re-check with screenshots on, growth per capture", (again - pictured) / unchanged, "bytes", "<=", 512,
               note=f"{unchanged} unchanged captures, no picture taken"),
    ]
