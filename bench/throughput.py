"""Benchmark 1, crawl throughput: ``policyarchive crawl`` (keep the body, classify and extract in
worker processes, version) against a bare Scrapy spider that only downloads, with the same settings,
over the same real pages (TikTok snapshots, about 550 KB each) served as distinct variants.

Pages per second over the spider's open-to-close window (for the pipeline, ``runs.started_at`` to
``ended_at``). Runs alternate bare, pipeline, bare, pipeline...; the best of each is kept, since
the machine is shared and the slowest run measures the neighbours rather than the code.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import Figure
from bench.site import VariantSite, bare_crawl, cpu_seconds, crawl, fresh_db, last_run, tiktok_pages, write_declarations
from crawler.capture.settings import DOWNLOAD_HANDLERS as PLAYWRIGHT_HANDLERS

NAME = "crawl"
TITLE = "the full pipeline against a bare Scrapy spider, same real pages"


def _per_page(before: tuple[float, float], after: tuple[float, float], pages: int) -> str:
    crawl, server = ((a - b) * 1000 / pages for a, b in zip(after, before))
    return f"{crawl:.1f} ms in the crawl's processes + {server:.1f} ms serving"


def run(work: Path, args) -> list[Figure]:
    quick = args.quick
    variants, rounds = (40, 1) if quick else (500, 2)
    site = VariantSite(tiktok_pages(), variants)
    try:
        policies = write_declarations(work / "policies", site.urls)
        bare, full = [], []
        for n in range(rounds):
            start = cpu_seconds()
            b = bare_crawl(site.urls, work / "bare")
            bare.append(b["pages"] / b["seconds"])
            middle = cpu_seconds()
            db = fresh_db(work / f"pipeline-{n}.db")
            wall = crawl(db, policies)
            end = cpu_seconds()
            summary = last_run(db)
            captured = sum(summary["outcomes"].get(k, 0) for k in ("new", "changed", "unchanged"))
            if captured != variants:
                raise RuntimeError(f"pipeline captured {summary['outcomes']} of {variants} variants")
            full.append(captured / summary["seconds"])
            print(f"  round {n + 1}: bare {bare[-1]:.1f} pages/s, pipeline {full[-1]:.1f} pages/s "
                  f"({summary['seconds']:.1f} s in the run, {wall:.1f} s wall)", flush=True)
            print(f"    CPU per page: bare spider {_per_page(start, middle, variants)}; "
                  f"pipeline {_per_page(middle, end, variants)} (the two cores give {2000 / max(bare):.1f} ms of CPU a page "
                  f"at the bare spider's best rate)", flush=True)
        through_playwright = bare_crawl(site.urls, work / "bare", f"DOWNLOAD_HANDLERS={json.dumps(PLAYWRIGHT_HANDLERS)}")
    finally:
        site.close()
    best_bare, best_full = max(bare), max(full)
    playwright_rate = through_playwright["pages"] / through_playwright["seconds"]
    return [
        Figure("crawl throughput, pipeline vs bare spider", best_full, "pages/s", ">=", 0.9, baseline=best_bare,
               ratio=best_full / best_bare, ratio_note="pipeline / bare spider", on_ratio=True,
               note=f"{variants} variants of {len(tiktok_pages())} real pages, best of {rounds}"),
        Figure("crawl throughput, bare spider through scrapy-playwright's handler", playwright_rate, "pages/s",
               baseline=best_bare, ratio=playwright_rate / best_bare, ratio_note="scrapy-playwright's handler / Scrapy's",
               note="context: what an HTTP-only crawl costs when scrapy-playwright's handler stays in DOWNLOAD_HANDLERS"),
    ]
