"""Import saved captures through the same classification, extraction and versioning as a crawl.

Three kinds of file: WARC (the variant's response records, and the saved files an export carried as
resource records), HTML pages and Markdown texts whose names begin with their capture time in ISO
8601 (``2020-08-12T14-41-08+02-00.html``, ``:`` written as ``-``). Markdown is taken as text already extracted (the version histories other archives publish).
Files are imported in order of their UTC capture time, whatever their names' offsets.

An import records only what the file says (``crawler/archive/provenance.py``): a saved file has no URL, a
WARC record its own target URI; neither has a region, language, egress or renderer, which belong to
a fetch policyarchive made. A WARC may hold several variants (an export of a whole archive): only
the records of the variant imported are taken, the others are counted and named, never mixed in.
"""

from __future__ import annotations

import logging
import os
import re
import zlib
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.archive.store import Archive
from crawler.common.clock import iso, parse as parse_time
from crawler.common.digests import sha256
from crawler.common.pool import extraction_pool
from crawler.declarations.catalog import Catalog, Variant
from crawler.text.classify import analyse_capture
from crawler.evidence.export import parse_fields
from crawler.capture.items import Capture
from crawler.common.exits import EXIT_OK, import_exit_code
from crawler.common.plural import count
from crawler.archive.provenance import WARC_SUFFIXES

logger = logging.getLogger(__name__)

_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[T_ ](\d{2})[-:](\d{2})(?:[-:](\d{2})(\.\d+)?)?(Z|[+-]\d{2}[-:]?\d{2})?")
TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
# A saved Markdown or text file in a WARC (an export's resource record) is text already extracted.
TEXT_TYPES = {"text/markdown", "text/plain"}


class UnreadableFile(ValueError):
    """A file that cannot be imported, with the reason."""


def time_from_name(name: str) -> datetime:
    """The UTC capture time a file name begins with; local offsets are honoured."""
    m = _STAMP.match(name)
    if not m:
        raise UnreadableFile(f"{name}: name does not begin with an ISO 8601 time (e.g. 2021-06-02T10-00-00+00-00.html)")
    date, hh, mm, ss, frac, zone = m.groups()
    offset = "+00:00" if zone in (None, "Z") else f"{zone[:3]}:{zone[-2:]}"
    try:
        return datetime.fromisoformat(f"{date}T{hh}:{mm}:{ss or '00'}{frac or ''}{offset}").astimezone(timezone.utc)
    except ValueError:
        raise UnreadableFile(f"{name}: {date}T{hh}:{mm}:{ss or '00'} is not a valid time") from None


def readable_name(path: Path) -> str:
    """A file's name as text that can be stored and printed: bytes that are not UTF-8 as ``\\xe9``."""
    return os.fsencode(path.name).decode("utf-8", "backslashreplace")


@dataclass
class Saved:
    capture: Capture
    is_text: bool
    where: str = ""  # the file, and the WARC record, for messages

    @cached_property
    def body_sha256(self) -> str | None:
        """The body's digest, taken once: it tells a capture already held, then keys the stored body."""
        return sha256(self.capture.body) if self.capture.body else None


@dataclass
class Found:
    """The captures of a variant in the files given, oldest first, and the WARC records left out
    because they are another variant's (by its id) or another URL's (by the URL)."""

    saved: list[Saved] = field(default_factory=list)
    other_variants: Counter = field(default_factory=Counter)
    other_urls: Counter = field(default_factory=Counter)

    def add(self, other: Found) -> None:
        self.saved += other.saved
        self.other_variants += other.other_variants
        self.other_urls += other.other_urls

    def skipped(self) -> str | None:
        """What was left out, in a line: ``skipped 6 records of other variants: …/eea-en (2), …``."""
        parts = [f"skipped {count(sum(c.values()), 'record')} of other {what}: "
                 + ", ".join(f"{key} ({n})" for key, n in sorted(c.items()))
                 for what, c in (("variants", self.other_variants), ("URLs", self.other_urls)) if c]
        return "; ".join(parts) or None


def _page_key(url: str) -> tuple[str, str, str, str]:
    """A URL as the same page whichever way a WARC writer spelled it: scheme and host in any case,
    with or without its default port, an empty path or ``/``."""
    p = urlsplit(url)
    scheme, netloc = p.scheme.lower(), p.netloc.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    return scheme, netloc.removesuffix(default) if default else netloc, p.path or "/", p.query


def _warc_owners(path: Path) -> dict[str, str]:
    """The variant each record of a policyarchive export is of, by record id, from the metadata
    record written with it; empty for WARCs from other tools."""
    owners = {}
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            concurrent = record.rec_headers.get_header("WARC-Concurrent-To")
            if record.rec_type == "metadata" and concurrent and record.content_type == "application/warc-fields":
                variant_id = parse_fields(record.content_stream().read()).get("variant")
                if variant_id:
                    owners[concurrent] = variant_id
    return owners


def _warc_record(record, path: Path, variant: Variant) -> Saved:
    """A response record as the capture of its target URI; a resource record (a saved file an
    export carried) as a saved file, with no URL: its target names the file, not where it came from.
    A record without a readable date or status, or whose bytes do not match its digests, is refused."""
    where = f"{readable_name(path)}: record {record.rec_headers.get_header('WARC-Record-ID')}"
    date = record.rec_headers.get_header("WARC-Date")
    try:
        when = parse_time(date or "")
    except ValueError:
        raise UnreadableFile(f"{where} has no valid WARC-Date ({date!r})") from None
    common = {"variant_id": variant.id, "fetched_at": iso(when), "body": record.content_stream().read(),
              "renderer": None, "source": f"import:{readable_name(path)}"}
    if record.digest_checker.passed is False:
        raise UnreadableFile(f"{where}: {'; '.join(record.digest_checker.problems)}: its bytes are not those its digests name")
    if record.rec_type == "resource":
        media_type = (record.content_type or "").split(";")[0].strip()
        return Saved(Capture(requested_url=None, **common), is_text=media_type in TEXT_TYPES, where=where)
    uri, status = record.rec_headers.get_header("WARC-Target-URI"), record.http_headers.get_statuscode()
    if not status.isdigit():
        raise UnreadableFile(f"{where} has no valid HTTP status ({status!r})")
    return Saved(Capture(requested_url=uri, final_url=uri, status=int(status),
                         headers={k.lower(): v for k, v in record.http_headers.headers}, **common), is_text=False, where=where)


def _warc_captures(path: Path, variant: Variant) -> Found:
    """The variant's records in a WARC, and the others' counted.

    A record is the variant's when the export that wrote it says so (its metadata record names the
    variant) or, in a WARC from another tool, when its target is the variant's declared URL. A
    resource record is taken only from an export: elsewhere it may be anything (a screenshot).
    A WARC that holds no record of the variant is refused: the wrong file, or the wrong variant.
    """
    owners = _warc_owners(path)
    found = Found()
    with path.open("rb") as stream:
        records = ArchiveIterator(stream, check_digests=True)
        for record in records:
            owner = owners.get(record.rec_headers.get_header("WARC-Record-ID"))
            is_response = record.rec_type == "response" and record.http_headers is not None
            if not is_response and not (record.rec_type == "resource" and owner):
                continue
            target = record.rec_headers.get_header("WARC-Target-URI")
            if owner == variant.id or (owner is None and target and _page_key(target) == _page_key(variant.url)):
                found.saved.append(_warc_record(record, path, variant))
            elif owner:
                found.other_variants[owner] += 1
            else:
                found.other_urls[target] += 1
        if records.offset != path.stat().st_size:
            raise UnreadableFile(f"{readable_name(path)}: cut short or damaged after {count(records.offset, 'byte')} of "
                                 f"{path.stat().st_size}: its last record is incomplete")
    if not found.saved:
        raise UnreadableFile(f"{path.name}: no record of {variant.id} (declared URL {variant.url}); "
                             + (found.skipped() or "it holds no response record"))
    return found


def saved_captures(paths: list[Path], variant: Variant) -> Found:
    """Every capture of ``variant`` in ``paths`` (files or folders), oldest first."""
    files: list[Path] = []
    for p in paths:
        files += _files_in(p) if p.is_dir() else [p]
    found = Found()
    for f in files:
        if f.name.endswith(WARC_SUFFIXES):
            found.add(_warc_file(f, variant))
            continue
        when = time_from_name(readable_name(f))
        found.saved.append(Saved(
            Capture(variant_id=variant.id, requested_url=None, fetched_at=iso(when), body=f.read_bytes(), renderer=None,
                    source=f"import:{readable_name(f)}"),
            is_text=f.suffix.lower() in TEXT_SUFFIXES, where=readable_name(f),
        ))
    _refuse_the_future(found.saved)
    found.saved.sort(key=lambda s: (s.capture.fetched_at, s.capture.source))
    return found


def _files_in(folder: Path) -> list[Path]:
    """The files of ``folder``, not of its subfolders; a folder with none is refused, naming its
    subfolders: a mistyped or one-level-too-high path is never an import of nothing."""
    files = sorted(f for f in folder.iterdir() if f.is_file())
    if not files:
        subfolders = sorted(readable_name(f) for f in folder.iterdir() if f.is_dir())
        shown = ", ".join(subfolders[:5]) + (f" and {len(subfolders) - 5} more" if len(subfolders) > 5 else "")
        raise UnreadableFile(f"{readable_name(folder)}: no file to import" + (f" (subfolders are not read: {shown})" if subfolders else ""))
    return files


def same_time(saved: list[Saved]) -> list[str]:
    """A warning per capture time that several saved files share (offsets hide it: ``10-00-00+00-00``
    and ``12-00-00+02-00`` are one instant): their order is then the names', which says nothing of
    which came first. Fractions of a second in the names order them. WARC records of one file keep
    the file's order."""
    files = Counter(s.capture.fetched_at for s in saved if not s.capture.source.endswith(WARC_SUFFIXES))
    return [f"{n} files share the capture time {iso(parse_time(when)).replace('.000000', '')} and their names give no "
            f"fraction of a second: imported in name order ("
            + ", ".join(s.capture.source.removeprefix("import:") for s in saved if s.capture.fetched_at == when)
            + "); a change between them is dated that second"
            for when, n in files.items() if n > 1]


def _warc_file(path: Path, variant: Variant) -> Found:
    """``_warc_captures``, with a file warcio cannot read refused by name rather than a traceback."""
    try:
        return _warc_captures(path, variant)
    except (ArchiveLoadFailed, EOFError, OSError, zlib.error) as exc:
        raise UnreadableFile(f"{readable_name(path)}: cut short or damaged ({type(exc).__name__}: {_shortened(str(exc))})") from None


def _shortened(reason: str, limit: int = 160) -> str:
    """A reason that may quote the file's own bytes (warcio quotes a first line), cut to one
    printable line: a junk file must not flood the terminal or send it escape codes."""
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in reason[:limit])
    return printable + ("…" if len(reason) > limit else "")


def _refuse_the_future(saved: list[Saved]) -> None:
    """Refuse captures dated after the import: placed in the history by their time, such a capture
    would be the current text until that date came, whatever was crawled meanwhile."""
    now = datetime.now(timezone.utc)
    late = [s for s in saved if parse_time(s.capture.fetched_at) > now]
    if late:
        raise UnreadableFile("; ".join(f"{s.where}: dated {parse_time(s.capture.fetched_at):%Y-%m-%dT%H:%M:%SZ}, "
                                       f"after the time of the import ({now:%Y-%m-%dT%H:%M:%SZ})" for s in late)
                             + ": a capture cannot come from the future")


def analyse_saved(saved: Saved, variant: Variant):
    """``analyse_capture`` of a saved capture, which may be extracted text already."""
    return analyse_capture(saved.capture, variant, is_text=saved.is_text)


def _not_held(archive: Archive, variant_id: str, saved: list[Saved]) -> tuple[list[Saved], str | None]:
    """The captures the archive does not hold yet (the variant's capture at the same time of the
    same bytes), and a line saying how many it does: importing the same files again adds nothing."""
    new = [s for s in saved if not archive.holds_capture(variant_id, s.capture.fetched_at, s.body_sha256)]
    held = len(saved) - len(new)
    return new, f"{count(held, 'capture')} already in the archive, not imported again" if held else None


def _record(archive: Archive, item: Saved, analysis: Future, run_id: int) -> None:
    """Record one saved capture; any exception on the way is its recorded ``error``, not the end
    of the import with the run left open."""
    digest = None
    try:
        digest = archive.keep_body(item.capture.body, item.body_sha256)
        archive.record(item.capture, analysis.result(), run_id, body_sha256=digest)
    except Exception as exc:
        logger.warning("%s: could not be imported: %s: %s", item.where, type(exc).__name__, exc)
        archive.record_error(item.capture, exc, run_id, digest)


def import_paths(db: str, catalog: Catalog, variant_id: str, paths: list[Path], workers: int = 2) -> dict[str, int]:
    """Import saved captures of one variant into ``db`` as one run; return its counts of each outcome.

    WARC records of other variants are left out: the run's ``detail`` says which, and so does a
    warning (on stderr, from the command line).
    """
    variant = catalog.variant(variant_id)
    found = saved_captures(paths, variant)
    archive = Archive(db)
    try:
        found.saved, held = _not_held(archive, variant_id, found.saved)
        notes = [note for note in (found.skipped(), held, *same_time(found.saved)) if note]
        for note in notes:
            logger.warning("%s", note)
        archive.sync_catalog(catalog)
        run_id = archive.start_run("import", (variant_id,), planned=len(found.saved))
        try:
            with extraction_pool(workers) as pool:
                for item, analysis in zip(found.saved, [pool.submit(analyse_saved, s, variant) for s in found.saved]):
                    _record(archive, item, analysis, run_id)
        except BaseException as exc:
            archive.end_run(run_id, "interrupted", detail=f"stopped by {type(exc).__name__}: {exc}")
            raise
        counts = archive.run_counts(run_id)
        after = [note for note in (mixed_sources(archive, variant_id), nothing_versioned(counts)) if note]
        for note in after:
            logger.warning("%s", note)
        return archive.end_run(run_id, "finished", exit_code=import_exit_code(counts), detail="; ".join(notes + after) or None)
    finally:
        archive.close()


def mixed_sources(archive: Archive, variant_id: str) -> str | None:
    """A warning when the variant's versioned captures come from Markdown another tool extracted and
    from pages extracted here: two extractors differ (tables, lists, what is chrome) where the
    wording does not, so a change where the source switches may be theirs."""
    kinds = Counter(Path(source or "").suffix.lower() in TEXT_SUFFIXES for (source,) in archive.db.execute(
        "SELECT source FROM captures WHERE variant_id = ? AND version_id IS NOT NULL", [variant_id]))
    if not (kinds[True] and kinds[False]):
        return None
    return (f"{variant_id} mixes extraction sources: {count(kinds[True], 'capture')} of text extracted by another tool "
            f"(Markdown), {kinds[False]} of pages extracted here; a change where the source switches may be the "
            "extractors' difference, not a new wording")


def nothing_versioned(counts: dict[str, int]) -> str | None:
    """Why an import that versioned nothing failed, by outcome (exit status 3)."""
    if import_exit_code(counts) == EXIT_OK:
        return None
    failed = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
    return f"nothing versioned: every one of {count(sum(counts.values()), 'capture')} failed ({failed})"
