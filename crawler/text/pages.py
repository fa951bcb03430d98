"""The text of a multi-page document: each page analysed with its own selectors, then combined.

A document is its pages in order, so a capture is readable only when every page is: one page that
failed, was blocked or gave no text makes the whole capture that failure, named by the page ("page 2
of 3: HTTP 404"), never a version shorter by a page (docs/decisions/0015-multi-page-documents.md).
"""

from __future__ import annotations

from dataclasses import replace

from crawler.capture.items import Capture
from crawler.common.clock import parse as parse_time
from crawler.common.digests import sha256
from crawler.common.outcomes import ERROR, OK
from crawler.declarations.catalog import Variant
from crawler.text.classify import Analysis, analyse, declared_type
from crawler.text.extract import comparable


def analyse_pages(capture: Capture, variant: Variant) -> Analysis:
    """The combined analysis of a multi-page capture, its pages' own in ``pages``."""
    when, total = parse_time(capture.fetched_at), len(variant.pages)
    analyses = []
    for number, page in enumerate(capture.pages, 1):
        url = page.final_url or page.requested_url
        analysis = analyse(page.status, page.body, declared_type(page, variant), url, variant.page_rules(number, when),
                           page.error_kind, page.error, language=variant.language, requested_url=page.requested_url)
        analyses.append(analysis)
        if analysis.outcome != OK:
            return replace(analysis, detail=f"page {number} of {total}: {analysis.detail}", pages=tuple(analyses))
    if len(analyses) < total:  # the spider stops at a failed page, which is analysed above
        return Analysis(ERROR, detail=f"only {len(analyses)} of {total} pages were captured", pages=tuple(analyses))
    text = "\n\n".join(a.text.rstrip("\n") for a in analyses) + "\n"
    compared = comparable(text)
    page_words = [a.page_words for a in analyses]
    return Analysis(OK, text=text, language=analyses[0].language, key=sha256(compared), words=len(compared.split()),
                    page_words=None if None in page_words else sum(page_words), pages=tuple(analyses))
