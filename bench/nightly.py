"""Benchmark 6, the nightly run: many variants on the local server, crawled once (not timed), then
1% of them changed (a clause added to their US policy, as a new edition of a site), then crawled
again: the wall time of that second ``policyarchive crawl``, process start to exit, as cron sees it.
"""

from __future__ import annotations

from pathlib import Path

from bench.report import Figure
from bench.site import VariantSite, crawl, fresh_db, last_run, tiktok_pages, write_declarations

NAME = "nightly"
TITLE = "second crawl of many variants, 1% changed since the first"
FULL_VARIANTS = 10_000


def run(work: Path, args) -> list[Figure]:
    variants = args.nightly_variants or (60 if args.quick else FULL_VARIANTS)
    site = VariantSite(tiktok_pages(), variants)
    db = fresh_db(work / "nightly.db")
    try:
        policies = write_declarations(work / "policies", site.urls)
        first = crawl(db, policies)
        print(f"  first crawl of {variants:,} variants: {first:.0f} s wall ({variants / first:.1f} variants/s)", flush=True)
        changed = range(0, variants, 100)
        for i in changed:
            site.change(i, f"Edition 2: we now keep data about variant {i} for 30 days.")
        second = crawl(db, policies)
    finally:
        site.close()
    outcomes = last_run(db)["outcomes"]
    if outcomes.get("changed") != len(changed) or outcomes.get("unchanged") != variants - len(changed):
        raise RuntimeError(f"second crawl: {outcomes}, expected {len(changed)} changed")
    return [Figure(f"nightly: second crawl of {variants:,} variants, 1% changed", second, "s", "<=", 60,
                   note=f"{outcomes['changed']} changed, {outcomes['unchanged']} unchanged; first crawl {first:.0f} s; "
                        f"{variants / second:.1f} variants/s")]
