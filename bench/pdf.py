"""Benchmark pdf: text extraction from a real multi-page PDF, pdfminer.six (what ``crawler/text/pdf.py``
uses) against pypdf's ``extract_text``, measured in the same run.

The PDF is a real TikTok privacy page printed by Chromium (``page.pdf``, A4): dozens of pages of
text boxes, fonts and links, as a policy published as PDF is. pdfminer is the slower of the two and
is kept for fidelity: it gives text boxes, so a paragraph wrapped over lines stays one paragraph,
where pypdf gives lines and paragraphs cannot be told from line breaks. The figure is pages per
second, so an operator can tell what a catalog of PDFs costs a crawl.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from bench.report import Figure
from bench.site import tiktok_pages
from crawler.text.pdf import pdf_text

NAME = "pdf"
TITLE = "PDF text per page, pdfminer.six (kept, paragraphs) against pypdf (lines)"


def printed(html: bytes, work: Path) -> bytes:
    """``html`` as Chromium prints it to PDF, scripts off and network off (the page is a file)."""
    from playwright.sync_api import sync_playwright

    work.mkdir(parents=True, exist_ok=True)
    page_file = work / "page.html"
    page_file.write_bytes(html)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("POLICYARCHIVE_CHROMIUM", "/usr/bin/chromium"))
        try:
            context = browser.new_context(java_script_enabled=False, offline=True)
            page = context.new_page()
            page.goto(page_file.as_uri())
            return page.pdf(format="A4")
        finally:
            browser.close()


def with_pypdf(body: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def seconds(extract, body: bytes, rounds: int) -> float:
    """The best of ``rounds`` timings of ``extract(body)``: the machine is shared."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        extract(body)
        best = min(best, time.perf_counter() - started)
    return best


def run(work: Path, args) -> list[Figure]:
    from pypdf import PdfReader

    body = printed(tiktok_pages()[-1], work)
    pages = len(PdfReader(io.BytesIO(body)).pages)
    rounds = 1 if args.quick else 3
    ours, base = seconds(pdf_text, body, rounds), seconds(with_pypdf, body, rounds)
    print(f"  {pages} pages, {len(body) // 1024} KB: pdfminer {ours:.2f} s, pypdf {base:.2f} s", flush=True)
    return [Figure(f"PDF text extraction, a {pages}-page real policy", pages / ours, "pages/s",
                   baseline=pages / base, ratio=base / ours, ratio_note="pdfminer / pypdf speed")]
