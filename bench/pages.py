"""Benchmark pages: multi-page documents, each page fetched in turn and the document versioned as one.

The same 3 x N pages crawled as N documents of three pages and as 3 x N one-page documents: pages
per second of each (a document's pages are fetched one after another, documents in parallel), and
the archive's growth per unchanged three-page capture (its capture row and three ``capture_pages``
rows; the bodies are stored once).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.report import Figure
from bench.site import US_RANGE, VariantSite, crawl, fresh_db, last_run, tiktok_pages, used_bytes, write_declarations

NAME = "pages"
TITLE = "multi-page documents: pages per second against one-page documents, growth per unchanged capture"
PAGES = 3


def _documents(folder: Path, urls: list[str]) -> Path:
    """One service, one document per three consecutive URLs."""
    folder.mkdir(parents=True, exist_ok=True)
    documents = [{"type": f"doc-{i}", "variants": [{"region": "US", "language": "en", "select": [US_RANGE],
                                                    "pages": urls[i * PAGES:(i + 1) * PAGES]}]}
                 for i in range(len(urls) // PAGES)]
    path = folder / "bench.yml"
    path.write_text(yaml.safe_dump({"service": "Bench", "documents": documents}, sort_keys=False))
    return path


def run(work: Path, args) -> list[Figure]:
    documents = 10 if args.quick else 100
    site = VariantSite(tiktok_pages(), documents * PAGES)
    try:
        single_db, multi_db = fresh_db(work / "pages-single.db"), fresh_db(work / "pages-multi.db")
        single = crawl(single_db, write_declarations(work / "pages-single", site.urls))
        multi_policies = _documents(work / "pages-multi", site.urls)
        multi = crawl(multi_db, multi_policies)
        before, _ = used_bytes(multi_db)
        crawl(multi_db, multi_policies)
        after, _ = used_bytes(multi_db)
    finally:
        site.close()
    outcomes = last_run(multi_db)["outcomes"]
    if outcomes.get("unchanged", 0) != documents:
        raise RuntimeError(f"second crawl of the multi-page documents: {outcomes}, expected {documents} unchanged")
    pages = documents * PAGES
    return [
        Figure("multi-page documents, pages/s vs one-page documents", pages / multi, "pages/s", ">=", 0.5,
               baseline=pages / single, ratio=single / multi, ratio_note="multi-page / one-page", on_ratio=True,
               note=f"{documents} documents of {PAGES} pages: {multi:.1f} s; the {pages} pages as one-page documents: {single:.1f} s"),
        Figure("multi-page documents, growth per unchanged capture", (after - before) / documents, "bytes", "<=", 512 * PAGES,
               note=f"{documents} unchanged captures of {PAGES} pages each"),
    ]
