"""CPU per page of ``policyarchive crawl`` over many variants (2,000 at full size), on the three
passes a catalog sees: fresh (first captures), unchanged (the nightly case) and 10% changed (a
clause added to every tenth page), against the bare Scrapy spider downloading the same pages in the
same run (issue 20: <= 25 ms a page fresh, <= 5 ms unchanged).

CPU is the crawl's process and everything it waited for (its extraction workers), from start to
exit, start-up included; the site's server runs in this process and is not counted. The pages are
the real TikTok snapshots (about 550 KB, the US policy selected by a range), as in ``crawl``, each
variant's bytes its own (``VariantSite(distinct=True)``): a first crawl of a real catalog stores
and compresses every page it fetches, which 69 bodies shared by 2,000 variants hid until issue 20's
second round (zlib's 10 ms a page, decision 0021).
"""

from __future__ import annotations

from pathlib import Path

from bench.report import Figure
from bench.site import VariantSite, bare_crawl, cpu_seconds, crawl, fresh_db, last_run, tiktok_pages, write_declarations

NAME = "cpu"
TITLE = "CPU per page of a crawl, fresh, unchanged and 10% changed, against the bare spider"
FULL_VARIANTS = 2_000
TARGETS = {"fresh": 25.0, "unchanged": 5.0, "changed": None}


def _ms_per_page(before: tuple[float, float], after: tuple[float, float], pages: int) -> float:
    return (after[0] - before[0]) * 1000 / pages


def run(work: Path, args) -> list[Figure]:
    variants = 200 if args.quick else FULL_VARIANTS
    site = VariantSite(tiktok_pages(), variants, distinct=True)
    db = fresh_db(work / "cpu.db")
    measured = {}
    try:
        policies = write_declarations(work / "policies", site.urls)
        before = cpu_seconds()
        bare_crawl(site.urls, work / "bare")
        bare = _ms_per_page(before, cpu_seconds(), variants)
        print(f"  bare spider: {bare:.1f} ms CPU a page", flush=True)
        for name, expected in (("fresh", "new"), ("unchanged", "unchanged"), ("changed", "changed")):
            if name == "changed":
                for i in range(0, variants, 10):
                    site.change(i, f"Edition 2: we now keep data about variant {i} for 30 days.")
            before = cpu_seconds()
            wall = crawl(db, policies)
            measured[name] = _ms_per_page(before, cpu_seconds(), variants)
            outcomes = last_run(db)["outcomes"]
            want = variants // 10 if name == "changed" else variants
            if outcomes.get(expected) != want:
                raise RuntimeError(f"{name} pass: {outcomes}, expected {want} {expected}")
            print(f"  {name}: {measured[name]:.1f} ms CPU a page, {wall:.1f} s wall ({outcomes})", flush=True)
    finally:
        site.close()
    return [
        Figure(f"CPU a page, {name} pass over {variants:,} variants", ms, "ms", "<=" if TARGETS[name] else None,
               TARGETS[name], baseline=bare, ratio=ms / bare, ratio_note="crawl / bare spider, CPU a page",
               note="the crawl's processes, start-up and extraction workers included")
        for name, ms in measured.items()
    ]
