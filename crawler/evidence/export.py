"""Export captures as WARC (ISO 28500) and as a WACZ package that standard replay tools open.

Each capture becomes a response record (the bytes as received, with the HTTP status and headers),
a request record (method, URL, Host and User-Agent: the other request headers were not kept), and a
metadata record (``application/warc-fields``) with its provenance: variant, region, language,
egress, renderer, time, the SHA-256 of the bytes and, for Wayback Machine captures, the memento. A
saved file imported without an HTTP exchange becomes a resource record instead of response and
request, named ``urn:policyarchive:import:SHA256`` after its bytes: no one recorded a URL it came
from, and a URL there would show replay tools a capture of that address that never happened. A
capture that got no response (a network error) has a request and a metadata record only. A
multi-page document's capture is its first page's exchange; each later page follows as a response
record of its own URL, marked ``WARC-Policyarchive-Page: CAPTURE/PAGE``. Block and
payload digests are SHA-256. ``policyarchive import`` reads the response and resource records back,
each into the variant its metadata record names. A warcinfo record opens the file with the scope,
the number of captures and the head of the chain of custody at the time of export.
"""

from __future__ import annotations

import contextlib
import io
import json
import mimetypes
import tempfile
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from crawler.archive import custody
from crawler.archive.provenance import imported_from, is_saved_file, ota_source, saved_file_urn
from crawler.archive.store import Archive
from crawler.common.clock import utcnow
from crawler.common.digests import sha256
from crawler.evidence import signing

# The capture columns an export carries, in the metadata record's order.
COLUMNS = ("id", "variant_id", "run_id", "fetched_at", "outcome", "status", "requested_url", "final_url",
           "body_sha256", "body_size", "region", "language", "proxy", "renderer", "user_agent", "source", "memento_url")
# The WARC header that marks a later page of a multi-page capture: CAPTURE ID/PAGE NUMBER.
PAGE_HEADER = "WARC-Policyarchive-Page"
# Headers that describe the transfer, not the bytes kept: the body is stored decoded and whole.
TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


class Sha256WARCWriter(WARCWriter):
    """warcio's writer with SHA-256 block and payload digests instead of SHA-1."""

    @staticmethod
    def _create_digester():
        return Digester("sha256")


@dataclass(frozen=True)
class Exported:
    path: Path
    captures: int
    with_bytes: int


def captures_in(db, only: tuple[str, ...] = ()) -> list[dict]:
    """The captures of the given services, documents or variants (all when none), oldest first."""
    where, params = "1", []
    if only:
        where = " OR ".join("variant_id = ? OR substr(variant_id, 1, ?) = ?" for _ in only)
        for scope in only:
            params += [scope, len(scope) + 1, scope + "/"]
    cursor = db.execute(f"SELECT {', '.join(COLUMNS)} FROM captures WHERE {where} ORDER BY fetched_at, id", params)
    return [dict(zip(COLUMNS, row)) for row in cursor.fetchall()]


def metadata_fields(capture: dict) -> dict[str, str]:
    """The metadata record of a capture; an empty value means the archive holds none (a Wayback
    capture's region, for one)."""
    names = {"id": "capture-id", "variant_id": "variant", "body_sha256": "sha256", "body_size": "size"}
    return {names.get(c, c.replace("_", "-")): "" if capture[c] is None else str(capture[c]) for c in COLUMNS}


def parse_fields(payload: bytes) -> dict[str, str]:
    """``application/warc-fields`` back into a dict."""
    fields = {}
    for line in payload.decode("utf-8").splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip()] = value.strip()
    return fields


def _warc_fields(fields: dict[str, str]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode("utf-8")


def _response_headers(archive: Archive, capture_id: int, size: int) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in archive.headers(capture_id).items() if k.lower() not in TRANSFER_HEADERS]
    return kept + [("content-length", str(size))]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _saved_type(capture: dict) -> str:
    """The media type of a saved file's bytes, from the file name its import recorded (for an Open
    Terms Archive version, its path in the repository: Markdown)."""
    name = imported_from(capture["source"]) or (ota_source(capture["source"]) or {}).get("path", "")
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def target_uri(capture: dict) -> str:
    """The URI a capture's records are about: the URL fetched, or a saved file's URN. Derived from
    the source, not the URL columns, which imports recorded before held the declared URL."""
    if is_saved_file(capture):
        return saved_file_urn(capture["body_sha256"] or sha256(b""))
    return capture["final_url"] or capture["requested_url"]


def _concurrent(records: list) -> dict[str, str]:
    return {"WARC-Concurrent-To": records[0].rec_headers.get_header("WARC-Record-ID")} if records else {}


def _records(writer: WARCWriter, archive: Archive, capture: dict) -> list:
    """response + request + metadata for an HTTP exchange; resource + metadata for a saved file
    (imported bytes that came with no HTTP exchange, and no request anyone made); request + metadata
    when no response came."""
    uri = target_uri(capture)
    dated = {"WARC-Date": capture["fetched_at"]}
    body = archive.body(capture["body_sha256"]) if capture["body_sha256"] else b""
    saved = is_saved_file(capture)
    records = []
    if capture["status"] is not None:
        http = StatusAndHeaders(_status_line(capture["status"]), _response_headers(archive, capture["id"], len(body)),
                                protocol="HTTP/1.1")
        records.append(writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http,
                                                 warc_headers_dict=dated))
    elif body:
        records.append(writer.create_warc_record(uri, "resource", payload=io.BytesIO(body), warc_headers_dict=dated,
                                                 warc_content_type=_saved_type(capture)))
    if not saved and (capture["status"] is not None or not body):
        records.append(writer.create_warc_record(uri, "request", http_headers=_request(uri, capture["user_agent"]),
                                                 warc_headers_dict={**dated, **_concurrent(records)}))
    records.append(writer.create_warc_record(
        uri, "metadata", payload=io.BytesIO(_warc_fields(metadata_fields(capture))),
        warc_content_type="application/warc-fields", warc_headers_dict={**dated, **_concurrent(records)},
    ))
    return records + _later_pages(writer, archive, capture, dated)


def _later_pages(writer: WARCWriter, archive: Archive, capture: dict, dated: dict) -> list:
    """A response record per page after the first of a multi-page capture that got a response (only
    the first page's headers are kept: each later page carries its media type alone)."""
    if "capture_pages" not in archive.db.table_names():
        return []
    records = []
    for page, url, status, content_type, digest in archive.db.execute(
            """SELECT page, coalesce(final_url, requested_url), status, content_type, body_sha256 FROM capture_pages
               WHERE capture_id = ? AND page > 1 AND status IS NOT NULL ORDER BY page""", [capture["id"]]).fetchall():
        body = archive.body(digest) if digest else b""
        http = StatusAndHeaders(_status_line(status), [("content-type", content_type or "application/octet-stream"),
                                                            ("content-length", str(len(body)))], protocol="HTTP/1.1")
        records.append(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                                 warc_headers_dict={**dated, PAGE_HEADER: f"{capture['id']}/{page}"}))
    return records


def _request(uri: str, user_agent: str | None) -> StatusAndHeaders:
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc)] + ([("User-Agent", user_agent)] if user_agent else [])
    return StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)


def write_warc(archive: Archive, captures: list[dict], path: Path, scope: str) -> int:
    """Write ``captures`` to ``path`` (gzipped per record when it ends in .gz); return how many carried bytes."""
    head = custody.head(archive.db)
    with_bytes = 0
    with path.open("wb") as out:
        writer = Sha256WARCWriter(out, gzip=path.name.endswith(".gz"), warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {
            "software": "policyarchive", "format": "WARC File Format 1.1", "scope": scope,
            "captures": str(len(captures)), "exported-at": utcnow(),
            "chain-head": head["sha256"] if head else "", "archive": archive.path.name,
        }))
        for capture in captures:
            for record in _records(writer, archive, capture):
                with_bytes += record.rec_type in ("response", "resource") and not record.rec_headers.get_header(PAGE_HEADER)
                writer.write_record(record)
    return with_bytes


def _pages(captures: list[dict]) -> str:
    """pages.jsonl for the WACZ: one page per capture with a body and a URL. A saved file has no URL
    to replay it at: it is in the WARC, not in the page list."""
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": "Captures"}]
    lines += [{"url": target_uri(c), "ts": c["fetched_at"], "title": f"{c['variant_id']} {c['fetched_at']}"}
              for c in captures if c["body_sha256"] and not is_saved_file(c)]
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def write_wacz(archive: Archive, captures: list[dict], path: Path, scope: str) -> int:
    """Package the captures' WARC with its index and page list as WACZ, with the ``wacz`` tool."""
    from wacz.main import main as wacz

    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / f"{path.stem}.warc.gz"
        with_bytes = write_warc(archive, captures, warc, scope)
        pages = Path(tmp) / "pages.jsonl"
        pages.write_text(_pages(captures))
        said = io.StringIO()
        with contextlib.redirect_stdout(said):
            code = wacz(["create", "-o", str(path), "-p", str(pages), "--title", f"policyarchive: {scope}", str(warc)])
        if code:
            raise RuntimeError(f"wacz create failed ({code}): {said.getvalue().strip()}")
    return with_bytes


def export(db: str | Path, path: str | Path, only: tuple[str, ...] = (), sign_key: str | Path | None = None) -> Exported:
    """Export the captures of the services, documents or variants in ``only`` (all when empty) to
    ``path``: WACZ when it ends in .wacz, else WARC (.warc or .warc.gz). A WACZ is signed with the
    PEM private key at ``sign_key`` when given."""
    path = Path(path)
    archive = Archive.reading(db)
    try:
        captures = captures_in(archive.db, only)
        scope = " ".join(only) or "all"
        write = write_wacz if path.suffix == ".wacz" else write_warc
        done = Exported(path, len(captures), write(archive, captures, path, scope))
    finally:
        archive.close()
    if sign_key:
        signing.sign_wacz(path, sign_key)
    return done
