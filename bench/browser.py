"""Benchmark 5, the browser path: ``fetch: browser`` variants through ``policyarchive crawl``
(scrapy-playwright, Debian's Chromium, a context per egress and locale, the pipeline) against a bare
scrapy-playwright spider on the same local JavaScript pages, both at concurrency 4; and the peak
memory of Chromium's processes while the pipeline runs: the sum of their PSS (proportional set
size, shared pages divided among the processes sharing them), sampled every 0.2 s from
/proc/PID/smaps_rollup of the crawl's descendant processes.

Each page writes a real policy (TikTok's US privacy policy, the Markdown histories) into the DOM
from a script: without JavaScript it has no text.
"""

from __future__ import annotations

import html
import json
import os
import time
from pathlib import Path

from bench.report import Figure
from bench.site import REALDATA, VariantSite, bare_crawl, crawl, fresh_db, last_run, write_declarations

NAME = "browser"
TITLE = "Chromium path against bare scrapy-playwright, and Chromium's peak PSS"
CONCURRENCY = 4
US_HISTORY = REALDATA / "ota-vlopses-us-versions" / "TikTok" / "Privacy Policy"


def js_pages() -> list[bytes]:
    """One page per real text; the text is only in a script, which builds the article."""
    pages = []
    for path in sorted(US_HISTORY.glob("*.md")):
        paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        script = ("const paragraphs = " + json.dumps(paragraphs).replace("</", "<\\/") + ";"
                  "const article = document.createElement('article'); article.id = 'policy';"
                  "for (const text of paragraphs) { const p = document.createElement('p'); p.textContent = text; article.appendChild(p); }"
                  "document.getElementById('app').appendChild(article);")
        pages.append(f"<!doctype html><html lang='en'><head><title>{html.escape(path.stem)}</title></head>"
                     f"<body><div id='app'></div><script>{script}</script></body></html>".encode())
    return pages


class PeakPss:
    """Samples the PSS of Chromium's processes below a process, keeping the peak."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak, self.samples = interval, 0, 0

    def __call__(self, root: int) -> None:
        while _exists(root):
            self.peak = max(self.peak, sum(_pss(p) for p in _descendants(root) if _is_chromium(p)))
            self.samples += 1
            time.sleep(self.interval)


def _exists(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _is_chromium(pid: int) -> bool:
    try:
        return "chromium" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return False


def _pss(pid: int) -> int:
    """PSS of a process in bytes (0 if it is gone)."""
    try:
        for row in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if row.startswith("Pss:"):
                return int(row.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(work: Path, args) -> list[Figure]:
    variants, rounds = (8, 1) if args.quick else (120, 2)
    site = VariantSite(js_pages(), variants)
    settings = (f"CONCURRENT_REQUESTS={CONCURRENCY}",)
    try:
        policies = write_declarations(work / "policies", site.urls, fetch="browser", wait_for="#policy", select=["#policy"])
        bare, full, peaks = [], [], []
        for n in range(rounds):
            b = bare_crawl(site.urls, work / "bare", *settings, browser=True, wait_for="#policy")
            bare.append(b["pages"] / b["seconds"])
            db = fresh_db(work / f"browser-{n}.db")
            pss = PeakPss()
            wall = crawl(db, policies, *settings, watch=pss)
            summary = last_run(db)
            captured = sum(summary["outcomes"].get(k, 0) for k in ("new", "changed", "unchanged"))
            if captured != variants:
                raise RuntimeError(f"browser pipeline captured {summary['outcomes']} of {variants} variants")
            full.append(captured / summary["seconds"])
            peaks.append(pss.peak)
            print(f"  round {n + 1}: bare {bare[-1]:.1f} pages/s, pipeline {full[-1]:.1f} pages/s ({wall:.1f} s wall), "
                  f"Chromium peak PSS {pss.peak / 2**20:.0f} MiB over {pss.samples} samples", flush=True)
    finally:
        site.close()
    best_bare, best_full = max(bare), max(full)
    return [
        Figure("browser throughput, pipeline vs bare scrapy-playwright", best_full, "pages/s", ">=", 0.9, baseline=best_bare,
               ratio=best_full / best_bare, ratio_note="pipeline / bare", on_ratio=True,
               note=f"{variants} JavaScript pages, concurrency {CONCURRENCY}, best of {rounds}"),
        Figure("browser: Chromium peak PSS at concurrency 4", max(peaks) / 2**20, "MiB", "<=", 1024,
               note="sum over Chromium's processes, sampled every 0.2 s"),
    ]
