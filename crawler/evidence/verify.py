"""Verify the archive: every stored body and header set against its digest, the chain of custody,
and an export.

Each check yields problems as sentences that name what failed (the body, the capture, the manifest,
the export record), so that ``policyarchive verify`` can print them and exit non-zero. Nothing here
writes.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import sqlite_utils
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.archive import custody
from crawler.evidence import export, signing
from crawler.archive import open_read_only
from crawler.archive.compression import Undecodable, unpack
from crawler.common.digests import sha256
from crawler.common.plural import count

MIN_HEAD_PREFIX = 8  # hex characters, 4 billion values: two manifests of one archive rarely share them, and verify says when they do
_HEX = re.compile(r"[0-9a-f]+")
# Report.checked's keys, plural as the report has always named them, with their singular for a count of 1.
CHECKED_SINGULAR = {
    "bodies": "body", "header sets": "header set", "manifests": "manifest", "captures": "capture",
    "exported captures": "exported capture", "export signatures": "export signature", "version texts": "version text",
    "captures of runs not ended (not sealed yet)": "capture of a run not ended (not sealed yet)",
}


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    head: dict | None = None
    noted: dict | None = None  # the manifest that the head noted earlier (--head) names, when it is in the chain

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """What was checked, counted: ``3 bodies, 1 header set, ...``."""
        return ", ".join(count(n, CHECKED_SINGULAR.get(k, k), k) for k, n in self.checked.items())


class HeadError(ValueError):
    """A ``--head`` that is not a hash, or too short or too common a prefix to name one manifest: the
    user's to correct, and no sign that anything was altered."""


def head_form(head: str) -> str:
    """``head`` as it is matched: lower case, without the ellipsis a shortened hash is printed with
    (``5be1a0c3…``); HeadError unless it is 8 to 64 hex characters."""
    value = head.strip().lower().removesuffix("…").removesuffix("...")
    if not _HEX.fullmatch(value) or len(value) > 64:
        raise HeadError(f"{head!r} is not a SHA-256 hash: give the 64 hex characters, or a prefix of at least {MIN_HEAD_PREFIX}")
    if len(value) < MIN_HEAD_PREFIX:
        raise HeadError(f"{head!r} is too short to name one manifest: give the 64 hex characters, or a prefix of at least {MIN_HEAD_PREFIX}")
    return value


def find_head(db: sqlite_utils.Database, head: str) -> dict | None:
    """The manifest whose hash is ``head``, or the one whose hash begins with it; None if there is none,
    HeadError if several do (a prefix too short for this archive)."""
    value = head_form(head)
    found = [dict(zip(("id", "run_id", "sha256"), row)) for row in db.execute(
        "SELECT id, run_id, sha256 FROM manifests WHERE substr(sha256, 1, ?) = ? ORDER BY id LIMIT 3", [len(value), value])]
    if len(found) > 1:
        some = ", ".join(f"manifest {m['id']} {m['sha256'][:len(value) + 4]}…" for m in found[:2])
        raise HeadError(f"{head!r} begins the hash of more than one manifest ({some}): give more of the hash")
    return found[0] if found else None


def _missing_head(head: str) -> str:
    """The problem of a head noted earlier that is not in the chain: a full hash that is gone means
    the chain was rewritten; a prefix may also be mistyped, which the message must not hide."""
    value = head_form(head)
    if len(value) == 64:
        return f"no manifest has the hash {value}: the chain was rewritten after that head was noted"
    return (f"no manifest's hash begins with {value}: the prefix is mistyped, or the chain was rewritten after "
            f"that head was noted (compare it with the full hash noted)")


def _short(digest: str | None) -> str:
    return f"{digest[:12]}…" if digest else "none"


def _users(db: sqlite_utils.Database, digest: str) -> str:
    """The captures whose bytes a body is (looked up only for a body that failed: no index serves it)."""
    return "captures " + ", ".join(str(r[0]) for r in db.execute("SELECT id FROM captures WHERE body_sha256 = ? ORDER BY id", [digest]))


def check_bodies(db: sqlite_utils.Database, report: Report) -> Iterator[str]:
    """Every stored body decompresses to bytes whose SHA-256 is its key; every capture's body is there."""
    report.checked["bodies"] = 0
    for digest, size, compression, content in db.execute("SELECT sha256, size, compression, content FROM bodies"):
        report.checked["bodies"] += 1
        try:
            raw = unpack(compression, content)
        except Undecodable as exc:
            yield f"body {digest} ({_users(db, digest)}): {exc}: the body was altered"
            continue
        if sha256(raw) != digest:
            yield f"body {digest} ({_users(db, digest)}): stored bytes hash to {sha256(raw)}: the body was altered"
        elif len(raw) != size:
            yield f"body {digest} ({_users(db, digest)}): {count(len(raw), 'byte')} stored, {size} recorded"
    for capture_id, digest in db.execute(
        """SELECT c.id, c.body_sha256 FROM captures c LEFT JOIN bodies b ON b.sha256 = c.body_sha256
           WHERE c.body_sha256 IS NOT NULL AND b.sha256 IS NULL ORDER BY c.id"""
    ):
        yield f"capture {capture_id}: its body {digest} is missing from bodies"
    if "capture_pages" not in db.table_names():
        return
    for capture_id, page, digest in db.execute(
        """SELECT p.capture_id, p.page, p.body_sha256 FROM capture_pages p LEFT JOIN bodies b ON b.sha256 = p.body_sha256
           WHERE p.body_sha256 IS NOT NULL AND b.sha256 IS NULL ORDER BY p.capture_id, p.page"""
    ):
        yield f"capture {capture_id} page {page}: its body {digest} is missing from bodies"


def check_header_sets(db: sqlite_utils.Database, report: Report) -> Iterator[str]:
    """Every header set hashes to its key: a manifest lists that key for each capture since migration 8."""
    report.checked["header sets"] = 0
    for digest, headers in db.execute("SELECT sha256, headers FROM header_sets"):
        report.checked["header sets"] += 1
        if sha256(headers) != digest:
            users = ", ".join(str(r[0]) for r in db.execute(
                "SELECT c.id FROM captures c JOIN header_sets h ON h.id = c.headers_id WHERE h.sha256 = ? ORDER BY c.id", [digest]))
            yield f"header set {digest} (captures {users}): its headers hash to {sha256(headers)}: the headers were altered"


def _compare(db: sqlite_utils.Database, manifest_id: int, run_id: int, listed: list[dict], fields: tuple[str, ...]) -> Iterator[str]:
    """The run's captures as they are now against those its manifest lists."""
    now = {c["id"]: c for c in custody.entries(db, run_id, fields)}
    for entry in listed:
        current = now.pop(entry["id"], None)
        if current is None:
            yield (f"capture {entry['id']} ({entry.get('variant_id')}, {entry.get('fetched_at')}): listed in manifest {manifest_id} "
                   f"(run {run_id}) but missing from captures: the capture was deleted")
            continue
        for name in fields:
            if current[name] != entry.get(name):
                yield (f"capture {entry['id']}: {name} is {current[name]!r} but manifest {manifest_id} (run {run_id}) "
                       f"recorded {entry.get(name)!r}: the capture was altered")
    for capture_id in now:
        yield f"capture {capture_id}: in run {run_id} but not in its manifest {manifest_id}: added after the run was sealed"


class Unreadable(Exception):
    """Why a manifest's row holds no manifest that can be checked: ``seal`` wrote canonical JSON, but
    an edit of the row, or a truncation, can leave anything there."""


def _text(compression: str | None, stored: str | bytes | None) -> str | bytes:
    """The manifest's JSON text (bytes for a text manifest that an edit stored as a blob, which
    ``json`` reads alike)."""
    if stored is None:
        raise Unreadable("its manifest column is empty (NULL)")
    try:
        return custody.text(compression, stored)
    except (zlib.error, TypeError) as exc:  # TypeError: text where the compressed blob belongs
        raise Unreadable(f"its stored bytes do not decompress ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise Unreadable(f"it decompresses to bytes that are not UTF-8 ({exc})") from exc


def _object(text: str | bytes) -> dict:
    """The manifest's JSON object, with the keys ``check_chain`` reads of it and of the types it reads them as."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise Unreadable(f"its text is not JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise Unreadable("its JSON is not an object")
    for key in ("previous", "captures"):
        if key not in body:
            raise Unreadable(f"it has no {key!r}")
    for key in ("previous", "format"):
        if not isinstance(body.get(key, ""), str):
            raise Unreadable(f"its {key!r} is not a string")
    return body


def _listed(body: dict) -> list[dict]:
    """The captures the manifest lists, each with the integer id it is looked up by: ``custody.listed``
    trusts the shape of its format, which an edit need not keep."""
    captures = body["captures"]
    if body.get("format") in custody.COLUMNAR:
        if not isinstance(captures, dict) or not all(isinstance(values, list) for values in captures.values()):
            raise Unreadable("its 'captures' are not one array per field")
    elif not isinstance(captures, list) or not all(isinstance(entry, dict) for entry in captures):
        raise Unreadable("its 'captures' are not a list of objects")
    listed = custody.listed(body)
    for position, entry in enumerate(listed, 1):
        if not isinstance(entry.get("id"), int):
            raise Unreadable(f"capture #{position} in it has no integer 'id'")
    return listed


def _sealed_versions(body: dict) -> list[dict]:
    """The versions a manifest seals (format 3 on; none before), each with an integer id."""
    if body.get("format") not in custody.WITH_VERSIONS:
        return []
    sealed = body.get("versions")
    if not isinstance(sealed, dict) or not all(isinstance(sealed.get(k), list) for k in custody.VERSION_FIELDS):
        raise Unreadable("its 'versions' are not one array per field")
    versions = [dict(zip(custody.VERSION_FIELDS, values)) for values in zip(*(sealed[k] for k in custody.VERSION_FIELDS))]
    if not all(isinstance(v["id"], int) for v in versions):
        raise Unreadable("a version in it has no integer 'id'")
    return versions


def _listed_pages(body: dict) -> list[dict] | None:
    """The pages of multi-page captures a manifest lists (format 5 on; None before: not listed)."""
    if body.get("format") not in custody.WITH_PAGES:
        return None
    listed = body.get("pages")
    if not isinstance(listed, dict) or not all(isinstance(listed.get(k), list) for k in custody.PAGE_FIELDS):
        raise Unreadable("its 'pages' are not one array per field")
    return [dict(zip(custody.PAGE_FIELDS, values)) for values in zip(*(listed[k] for k in custody.PAGE_FIELDS))]


def _read(compression: str | None, stored: str | bytes | None) -> tuple[str | bytes, dict, list[dict], list[dict]]:
    """A manifest's text (for its hash), its JSON object, the captures it lists and the versions it
    seals; ``Unreadable`` when the row holds no such manifest, so that verify names it and goes on."""
    text = _text(compression, stored)
    body = _object(text)
    return text, body, _listed(body), _sealed_versions(body)


def _compare_pages(db: sqlite_utils.Database, manifest_id: int, run_id: int, listed: list[dict] | None) -> Iterator[str]:
    """The pages of the run's multi-page captures as they are now against those its manifest lists."""
    if listed is None:
        return
    now = {(p["capture_id"], p["page"]): p for p in custody.pages(db, run_id)}
    for entry in listed:
        key = (entry["capture_id"], entry["page"])
        current = now.pop(key, None)
        if current is None:
            yield (f"capture {key[0]} page {key[1]}: listed in manifest {manifest_id} (run {run_id}) but missing "
                   f"from capture_pages: the page was deleted")
        elif current != entry:
            name = next(n for n in custody.PAGE_FIELDS if current[n] != entry[n])
            yield (f"capture {key[0]} page {key[1]}: {name} is {current[name]!r} but manifest {manifest_id} (run {run_id}) "
                   f"recorded {entry[name]!r}: the page was altered")
    for capture_id, page in now:
        yield f"capture {capture_id} page {page}: in run {run_id} but not in its manifest {manifest_id}: added after the run was sealed"


def _compare_versions(db: sqlite_utils.Database, manifest_id: int, run_id: int, sealed: list[dict]) -> Iterator[str]:
    """Each version's text as readers see it now against the hash its run's manifest sealed."""
    for version in sealed:
        row = db.execute("SELECT variant_id, first_seen, text FROM versions WHERE id = ?", [version["id"]]).fetchone()
        if row is None:
            yield (f"version {version['id']}: sealed in manifest {manifest_id} (run {run_id}) but missing from versions: "
                   f"the version was deleted")
        elif sha256(row[2] or "") != version["text_sha256"]:
            yield (f"version {version['id']} ({row[0]}, first seen {row[1]}): its text hashes to {_short(sha256(row[2] or ''))} "
                   f"but manifest {manifest_id} (run {run_id}) sealed {_short(version['text_sha256'])}: the text was altered")


def check_chain(db: sqlite_utils.Database, report: Report) -> Iterator[str]:
    """Each manifest hashes to its recorded hash, names the one before, and still matches its run.
    One that cannot be read is named as such and the next checked, as for any other tampering."""
    previous = custody.GENESIS
    manifests = db.execute(
        "SELECT id, run_id, previous_sha256, sha256, compression, manifest FROM manifests ORDER BY id").fetchall()
    report.checked["manifests"] = len(manifests)
    report.checked["captures"] = report.checked["version texts"] = 0
    for manifest_id, run_id, previous_sha256, digest, compression, stored in manifests:
        try:
            text, body, captures, versions = _read(compression, stored)
            pages = _listed_pages(body)
        except Unreadable as exc:
            yield (f"manifest {manifest_id} (run {run_id}): unreadable, {exc}: the manifest was altered, "
                   f"so the captures of run {run_id} were not checked against it")
            previous = digest
            continue
        if sha256(text) != digest:
            yield f"manifest {manifest_id} (run {run_id}): its text hashes to {sha256(text)}, not {digest}: the manifest was altered"
        if previous_sha256 != previous or body["previous"] != previous:
            yield (f"manifest {manifest_id} (run {run_id}): names {_short(body['previous'])} as the one before, "
                   f"but that one hashes to {_short(previous)}: the chain is broken (a manifest was removed or altered)")
        previous = digest
        report.checked["captures"] += len(captures)
        report.checked["version texts"] += len(versions)
        yield from _compare(db, manifest_id, run_id, captures, custody.LISTED.get(body.get("format"), custody.FIELDS))
        yield from _compare_versions(db, manifest_id, run_id, versions)
        yield from _compare_pages(db, manifest_id, run_id, pages)
    for run_id, ended_at in db.execute(
        "SELECT id, ended_at FROM runs WHERE ended_at IS NOT NULL AND id NOT IN (SELECT run_id FROM manifests) ORDER BY id"
    ):
        yield f"run {run_id} ended at {ended_at} but has no manifest: its manifest was removed"
    open_runs = db.execute(
        "SELECT count(*) FROM captures WHERE run_id IS NULL OR run_id NOT IN (SELECT id FROM runs WHERE ended_at IS NOT NULL)"
    ).fetchone()[0]
    if open_runs:
        report.checked["captures of runs not ended (not sealed yet)"] = open_runs
    report.head = custody.head(db)


def _warcs(path: Path) -> Iterator[tuple[str, io.BufferedIOBase]]:
    """The WARC files of an export: the file itself, or those in a WACZ package's archive/ folder."""
    if path.suffix != ".wacz":
        with path.open("rb") as stream:
            yield path.name, stream
        return
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.startswith("archive/") and ".warc" in name:
                with package.open(name) as stream:
                    yield name, stream


def check_export(db: sqlite_utils.Database, path: Path, report: Report) -> Iterator[str]:
    """Every record's digests hold, and every exported capture is in the archive with the same
    provenance and the same bytes."""
    payloads: dict[str, str] = {}
    promised = seen = 0
    pages: dict[str, int] = {}  # later pages exported, per capture id
    exported: list[str] = []
    try:
        for name, stream in _warcs(path):
            for record in ArchiveIterator(stream, check_digests=True):
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                content = record.raw_stream.read()
                if record.digest_checker.passed is False:
                    yield f"export {name}: record {record_id} ({record.rec_type}): {'; '.join(record.digest_checker.problems)}"
                if record.rec_type == "warcinfo":
                    promised += int(export.parse_fields(content).get("captures", 0))
                elif record.rec_headers.get_header(export.PAGE_HEADER):
                    page = record.rec_headers.get_header(export.PAGE_HEADER)
                    pages[page.partition("/")[0]] = pages.get(page.partition("/")[0], 0) + 1
                    yield from _compare_page(db, name, page, sha256(content))
                elif record.rec_type in ("response", "resource"):
                    payloads[record_id] = sha256(content)
                elif record.rec_type == "metadata":
                    seen += 1
                    fields = export.parse_fields(content)
                    exported.append(fields.get("capture-id", "?"))
                    yield from _compare_export(db, name, fields, payloads.get(record.rec_headers.get_header("WARC-Concurrent-To")))
    except (ArchiveLoadFailed, zipfile.BadZipFile, OSError, EOFError) as exc:
        yield f"export {path.name}: unreadable after {count(seen, 'capture')} ({exc})"
    report.checked["exported captures"] = seen
    yield from _missing_pages(db, path.name, exported, pages)
    if seen != promised:
        yield f"export {path.name}: its warcinfo promises {count(promised, 'capture')} but it holds {seen}: the export is incomplete"


def _missing_pages(db: sqlite_utils.Database, name: str, exported: list[str], pages: dict[str, int]) -> Iterator[str]:
    """Each exported multi-page capture carries every page after its first that got a response (its
    first is the capture's own response)."""
    if "capture_pages" not in db.table_names():
        return
    for capture_id in exported:
        held = db.execute("SELECT count(*) FROM capture_pages WHERE capture_id = ? AND page > 1 AND status IS NOT NULL",
                          [capture_id]).fetchone()[0]
        if held != pages.get(capture_id, 0):
            yield (f"export {name}: capture {capture_id}: {pages.get(capture_id, 0)} of its {held} later pages "
                   f"are in the export: the export is incomplete")


def _compare_page(db: sqlite_utils.Database, name: str, page: str, payload_sha: str) -> Iterator[str]:
    """A later page of a multi-page capture (``CAPTURE/PAGE``) against the bytes its page holds."""
    capture_id, _, number = page.partition("/")
    row = db.execute("SELECT body_sha256 FROM capture_pages WHERE capture_id = ? AND page = ?", [capture_id, number]).fetchone()
    if row is None:
        yield f"export {name}: capture {capture_id} page {number} is not in the archive"
    elif row[0] != payload_sha:
        yield f"export {name}: capture {capture_id} page {number}: exported bytes hash to {payload_sha}, the archive recorded {row[0]}"


def _compare_export(db: sqlite_utils.Database, name: str, fields: dict[str, str], payload_sha: str | None) -> Iterator[str]:
    capture_id = fields.get("capture-id", "?")
    row = db.execute(f"SELECT {', '.join(export.COLUMNS)} FROM captures WHERE id = ?", [capture_id]).fetchone()
    if row is None:
        yield f"export {name}: capture {capture_id} ({fields.get('variant')}, {fields.get('fetched-at')}) is not in the archive"
        return
    expected = export.metadata_fields(dict(zip(export.COLUMNS, row)))
    for key, value in expected.items():
        if fields.get(key) != value:
            yield f"export {name}: capture {capture_id}: {key} is {fields.get(key)!r} in the export, {value!r} in the archive"
    if expected["sha256"] and payload_sha != expected["sha256"]:
        yield f"export {name}: capture {capture_id}: exported bytes hash to {payload_sha}, the archive recorded {expected['sha256']}"


def verify(path: str | Path, exported: str | Path | None = None, head: str | None = None,
           public_key: bytes | None = None) -> Report:
    """Run every check on the archive at ``path`` (and on ``exported``), read-only; a report of what failed.

    ``head`` is a chain head noted earlier, whole or a prefix (HeadError when it cannot name one manifest).
    ``public_key`` (SubjectPublicKeyInfo DER) must have signed ``exported``, a WACZ."""
    report = Report()
    if not Path(path).exists():
        report.problems.append(f"no archive at {path}")
        return report
    db = open_read_only(path)
    try:
        _check(db, path, report, exported, head, public_key)
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"{path}: reading it failed ({exc}): the archive file is damaged")
    finally:
        db.conn.close()
    return report


def _check(db: sqlite_utils.Database, path: str | Path, report: Report, exported: str | Path | None, head: str | None,
           public_key: bytes | None = None) -> None:
    """The checks of ``verify``, SQLite's own first: a damaged page may hide rows from every other."""
    report.problems += check_integrity(db)
    if "manifests" not in db.table_names():
        report.problems.append(f"{path} has no chain of custody yet: any crawl, import or backfill seals its runs")
        return
    if "header_sets" not in db.table_names():
        report.problems.append(f"{path} predates header sets (migration 8): any crawl, import or backfill migrates it")
        return
    report.noted = find_head(db, head) if head else None
    for name, check in (("bodies", check_bodies), ("header sets", check_header_sets), ("the chain", check_chain)):
        report.problems += _to_the_end(name, check(db, report))
    if head and report.noted is None:
        report.problems.append(_missing_head(head))
    if exported:
        report.problems += check_export(db, Path(exported), report)
    if exported and Path(exported).suffix == ".wacz":
        report.problems += check_package(Path(exported), report, public_key)


def check_package(path: Path, report: Report, public_key: bytes | None) -> list[str]:
    """A WACZ's files against its package list, and its signature when it has one."""
    problems = signing.check_wacz(path, public_key)
    if not problems and signing.is_signed(path):
        report.checked["export signatures"] = 1
    return problems


# integrity_check reports at most this many problems: the first ones say the file is damaged.
INTEGRITY_LINES = 10


def check_integrity(db: sqlite_utils.Database) -> list[str]:
    """SQLite's ``PRAGMA integrity_check``: a damaged page (an index, a table) is named, even one no
    other check reads."""
    lines = [row[0] for row in db.execute(f"PRAGMA integrity_check({INTEGRITY_LINES})")]
    if lines == ["ok"]:
        return []
    return [f"the archive file is damaged: SQLite's integrity_check says: {line}" for line in lines]


def _to_the_end(name: str, problems: Iterator[str]) -> list[str]:
    """A check's problems, and, if a damaged page stops it, that as one more."""
    found = []
    try:
        found.extend(problems)
    except sqlite3.DatabaseError as exc:
        found.append(f"{name}: reading stopped ({exc}): the archive file is damaged, what follows it was not checked")
    return found
