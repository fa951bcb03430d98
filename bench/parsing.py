"""Benchmark 7, parse: ``analyse`` per page on the 69 real TikTok snapshots (about 520 KB each, the
US policy selected by the range ``#privacy-us``..``#privacy-eea``), with the page parsed as a
browser parses it (lexbor, ``crawler/text/parse.py``) against libxml2's HTML parser, which
``extract`` used before issue 15 (``lxml.html.fromstring``, then scripts, styles and embedded
objects dropped), measured in the same run.

The machine is shared: rounds alternate (browser's parser, libxml2, ...) and the best round of
each is kept, so that a neighbour's burst does not decide the ratio. The parse alone is timed too.
"""

from __future__ import annotations

import time
from pathlib import Path

import lxml.html

import crawler.text.extract as extract_module
from bench.report import Figure
from bench.site import US_RANGE, tiktok_pages
from crawler.declarations.catalog import Rules, Selector
from crawler.text.classify import analyse
from crawler.text.extract import decode
from crawler.text.parse import HIDDEN, Page, parse, visible_words

NAME = "parse"
TITLE = "analyse per page on the real TikTok pages: the browser's parsing algorithm (lexbor) against libxml2"
RULES = Rules(select=(Selector(start=US_RANGE["start"], end=US_RANGE["end"]),))


def libxml2_parse(html: str) -> Page:
    """The page as ``extract`` parsed it before issue 15: libxml2, then what is never text dropped."""
    doc = lxml.html.fromstring(html)
    for el in doc.iter(*HIDDEN):
        el.drop_tree()
    body = doc.find("body")
    return Page(doc, visible_words(" ".join((body if body is not None else doc).itertext())))


def analyse_all(pages: list[bytes]) -> float:
    """Seconds per page of ``analyse`` over ``pages``; every page must be readable."""
    started = time.perf_counter()
    for page in pages:
        analysis = analyse(200, page, "text/html; charset=utf-8", None, RULES, language="en")
        assert analysis.outcome == "ok", analysis.detail
    return (time.perf_counter() - started) / len(pages)


def parse_all(texts: list[str], parser) -> float:
    """Seconds per page of ``parser`` alone."""
    started = time.perf_counter()
    for text in texts:
        parser(text)
    return (time.perf_counter() - started) / len(texts)


def with_libxml2(pages: list[bytes]) -> float:
    """``analyse_all`` with ``extract`` parsing through libxml2, as it did before (restored after)."""
    extract_module.parse = libxml2_parse
    try:
        return analyse_all(pages)
    finally:
        extract_module.parse = parse


def run(work: Path, args) -> list[Figure]:
    pages = tiktok_pages()
    texts = [decode(p, "text/html; charset=utf-8") for p in pages]
    rounds = 2 if args.quick else 5
    ours, old, ours_parse, old_parse = [], [], [], []
    for r in range(rounds):
        ours.append(analyse_all(pages))
        old.append(with_libxml2(pages))
        ours_parse.append(parse_all(texts, parse))
        old_parse.append(parse_all(texts, libxml2_parse))
        print(f"  round {r + 1}: analyse {ours[-1] * 1000:.1f} ms a page (libxml2 {old[-1] * 1000:.1f}); "
              f"parse {ours_parse[-1] * 1000:.1f} ms (libxml2 {old_parse[-1] * 1000:.1f})", flush=True)
    best, base = min(ours), min(old)
    return [
        Figure("analyse per page, real TikTok pages (browser's parser)", best * 1000, "ms", baseline=base * 1000,
               ratio=best / base, ratio_note="lexbor / libxml2",
               note=f"{len(pages)} pages, best of {rounds} alternating rounds"),
        Figure("parse per page, real TikTok pages (lexbor, copied into lxml)", min(ours_parse) * 1000, "ms",
               baseline=min(old_parse) * 1000, ratio=min(ours_parse) / min(old_parse), ratio_note="lexbor / libxml2"),
    ]
