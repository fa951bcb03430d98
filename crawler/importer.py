"""Import saved captures through the same classification, extraction and versioning as a crawl.

Three kinds of file: WARC (every response record), HTML pages and Markdown texts whose names begin
with their capture time in ISO 8601 (``2020-08-12T14-41-08+02-00.html``, ``:`` written as ``-``).
Markdown is taken as text already extracted (the version histories other archives publish).
Files are imported in order of their UTC capture time, whatever their names' offsets.
"""

from __future__ import annotations

import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator

from crawler.archive import Archive
from crawler.catalog import Catalog, Variant
from crawler.classify import analyse
from crawler.items import Capture

_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[T_ ](\d{2})[-:](\d{2})(?:[-:](\d{2})(\.\d+)?)?(Z|[+-]\d{2}[-:]?\d{2})?")
TEXT_SUFFIXES = {".md", ".markdown", ".txt"}


class UnreadableFile(ValueError):
    """A file that cannot be imported, with the reason."""


def time_from_name(name: str) -> datetime:
    """The UTC capture time a file name begins with; local offsets are honoured."""
    m = _STAMP.match(name)
    if not m:
        raise UnreadableFile(f"{name}: name does not begin with an ISO 8601 time (e.g. 2021-06-02T10-00-00+00-00.html)")
    date, hh, mm, ss, frac, zone = m.groups()
    offset = "+00:00" if zone in (None, "Z") else f"{zone[:3]}:{zone[-2:]}"
    return datetime.fromisoformat(f"{date}T{hh}:{mm}:{ss or '00'}{frac or ''}{offset}").astimezone(timezone.utc)


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Saved:
    capture: Capture
    is_text: bool


def _warc_captures(path: Path, variant: Variant) -> Iterator[Saved]:
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            when = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date").replace("Z", "+00:00"))
            headers = {k.lower(): v for k, v in record.http_headers.headers}
            yield Saved(
                Capture(
                    variant_id=variant.id, requested_url=record.rec_headers.get_header("WARC-Target-URI"),
                    final_url=record.rec_headers.get_header("WARC-Target-URI"), fetched_at=iso(when),
                    status=int(record.http_headers.get_statuscode()), headers=headers,
                    body=record.content_stream().read(), renderer=None, region=variant.region,
                    language=variant.language, source=f"import:{path.name}",
                ),
                is_text=False,
            )


def saved_captures(paths: list[Path], variant: Variant) -> list[Saved]:
    """Every capture in ``paths`` (files or folders), oldest first."""
    files: list[Path] = []
    for p in paths:
        files += sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
    saved: list[Saved] = []
    for f in files:
        if f.name.endswith((".warc", ".warc.gz")):
            saved += _warc_captures(f, variant)
            continue
        when = time_from_name(f.name)
        saved.append(Saved(
            Capture(variant_id=variant.id, requested_url=variant.url, final_url=None, fetched_at=iso(when),
                    body=f.read_bytes(), renderer=None, region=variant.region, language=variant.language,
                    source=f"import:{f.name}"),
            is_text=f.suffix.lower() in TEXT_SUFFIXES,
        ))
    return sorted(saved, key=lambda s: s.capture.fetched_at)


def _analyse(saved: Saved, variant: Variant):
    c = saved.capture
    rules = variant.rules_at(datetime.fromisoformat(c.fetched_at.replace("Z", "+00:00")))
    return analyse(c.status, c.body, c.content_type, c.final_url or c.requested_url, rules, is_text=saved.is_text,
                   language=variant.language, requested_url=c.requested_url)


def import_paths(db: str, catalog: Catalog, variant_id: str, paths: list[Path], workers: int = 2) -> dict[str, int]:
    """Import saved captures of one variant into ``db`` as one run; return its counts of each outcome."""
    variant = catalog.variant(variant_id)
    saved = saved_captures(paths, variant)
    archive = Archive(db)
    try:
        archive.sync_catalog(catalog)
        run_id = archive.start_run("import", (variant_id,))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            analyses = pool.map(_analyse, saved, [variant] * len(saved), chunksize=4)
            for item, analysis in zip(saved, analyses):
                archive.record(item.capture, analysis, run_id)
        return archive.end_run(run_id, "finished")
    finally:
        archive.close()
