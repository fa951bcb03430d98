"""Benchmark 8, recall: how much of the policy extraction keeps, on the real WhatsApp, Facebook and
Google snapshots (realdata/dkg-tosback-snapshots), against the Markdown Open Terms Archive published
for the same period (realdata/ota-contrib-versions), with the declared selectors and with the
main-content fallback (no selector: crawler/text/maintext.py), each with the browser's parser and with libxml2's
(as before issue 15), measured in the same run.

Token recall is the share of the reference's words (case folded, counted with repeats) that the
extraction keeps; precision the share of the extraction's words that the reference has. Each
snapshot is scored against the reference recorded within 150 days that gives it the highest F1 (the
reference history alternates between regional renderings). Snapshots ``analyse`` does not find
readable (WhatsApp's script-rendered shells) are left out; Google's en-GB renderings are in, and
score lower against the en-US references by their spelling (tests/realdata/test_reference_extraction.py).
"""

from __future__ import annotations

import collections
import re
from datetime import timedelta
from pathlib import Path

from bench.parsing import libxml2_parse
from bench.report import Figure
from bench.site import PROJECT, REALDATA
import crawler.text.extract as extract_module
from crawler.declarations.catalog import Rules, load_catalog
from crawler.intake.importer import time_from_name
from crawler.text.classify import analyse
from crawler.text.extract import comparable
from crawler.text.parse import parse

NAME = "recall"
TITLE = "extraction recall and precision against Open Terms Archive's references, selectors and fallback, both parsers"
VARIANTS = {"WhatsApp": "whatsapp/privacy-policy/row-en", "Facebook": "facebook/privacy-policy/us-en", "Google": "google/privacy-policy/us-en"}
WORD = re.compile(r"[^\W_]+")


def tokens(text: str) -> collections.Counter:
    return collections.Counter(WORD.findall(comparable(text).casefold()))


def scores(ours: collections.Counter, reference: collections.Counter) -> tuple[float, float, float]:
    """(F1, recall, precision) of ``ours`` against ``reference``."""
    overlap = sum((ours & reference).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    recall, precision = overlap / sum(reference.values()), overlap / sum(ours.values())
    return 2 * recall * precision / (recall + precision), recall, precision


def snapshots() -> list[tuple[str, Path, list[collections.Counter]]]:
    """(service, snapshot, the references within 150 days as tokens) of each readable snapshot."""
    found = []
    for service in VARIANTS:
        references = {p: tokens(p.read_text(encoding="utf-8"))
                      for p in (REALDATA / "ota-contrib-versions" / service / "Privacy Policy").glob("*.md")}
        for path in sorted((REALDATA / "dkg-tosback-snapshots" / service / "Privacy Policy").glob("*.html")):
            when = time_from_name(path.name)
            near = [t for p, t in references.items() if abs(time_from_name(p.name) - when) <= timedelta(days=150)]
            found.append((service, path, near))
    return found


def measure(rules_of, found) -> dict[str, tuple[float, float]]:
    """Lowest (recall, precision) per service over the snapshots ``analyse`` finds readable."""
    lowest: dict[str, tuple[float, float]] = {}
    for service, path, references in found:
        analysis = analyse(None, path.read_bytes(), None, None, rules_of(service, path), language="en")
        if analysis.outcome != "ok":
            continue  # a script-rendered shell: the policy is not in the HTML (recorded as empty)
        ours = tokens(analysis.text)
        _, recall, precision = max(scores(ours, reference) for reference in references)
        was = lowest.get(service, (1.0, 1.0))
        lowest[service] = (min(was[0], recall), min(was[1], precision))
    return lowest


def run(work: Path, args) -> list[Figure]:
    catalog = load_catalog(PROJECT / "policies")
    found = snapshots()
    ways = {"selectors": lambda service, path: catalog.variant(VARIANTS[service]).rules_at(time_from_name(path.name)),
            "fallback": lambda service, path: Rules()}
    figures = []
    for way, rules_of in ways.items():
        ours = measure(rules_of, found)
        extract_module.parse = libxml2_parse
        try:
            old = measure(rules_of, found)
        finally:
            extract_module.parse = parse
        for service in VARIANTS:
            (recall, precision), (old_recall, old_precision) = ours[service], old[service]
            print(f"  {way}, {service}: lowest recall {recall:.3f} (libxml2 {old_recall:.3f}), "
                  f"lowest precision {precision:.3f} (libxml2 {old_precision:.3f})", flush=True)
            figures += [
                Figure(f"{way}, {service}: lowest token recall", recall, "", ">=", 0.98, baseline=old_recall,
                       ratio=recall / old_recall if old_recall else None, ratio_note="lexbor / libxml2"),
                Figure(f"{way}, {service}: lowest token precision", precision, "", ">=", 0.95, baseline=old_precision,
                       ratio=precision / old_precision if old_precision else None, ratio_note="lexbor / libxml2"),
            ]
    return figures
