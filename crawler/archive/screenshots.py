"""The picture of each version: kept content-addressed as lossless WebP, linked to its version.

A version's picture is rendered from the bytes its first capture stored (crawler/capture/render.py),
whichever way they came (a crawl, an import, a Wayback backfill), so every version can have one and
an unchanged capture adds none. ``changed_boxes`` marks where two pictures differ, for the diff page.
"""

from __future__ import annotations

import io
import time
from PIL import Image, ImageChops

from crawler.common.clock import utcnow
from crawler.common.digests import sha256
from crawler.text.pdf import PDF_TYPE, is_pdf

# Rows of pixels merged into one band when looking for changed regions, and the gap that splits two boxes.
BAND = 8


def webp(png: bytes) -> tuple[bytes, int, int]:
    """The picture as lossless WebP (a third to a half of the PNG), and its size."""
    image = Image.open(io.BytesIO(png))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="WEBP", lossless=True, method=4)
    return out.getvalue(), image.width, image.height


def as_png(stored: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(stored)).save(out, format="PNG", optimize=False)
    return out.getvalue()


def keep(db, version_id: int, png: bytes, source: str) -> str:
    """Store the picture once by its SHA-256 and link the version to it, in one transaction (the
    archive is opened in autocommit mode); returns the SHA-256."""
    data, width, height = webp(png)
    digest = sha256(data)
    db.execute("BEGIN IMMEDIATE")
    try:
        _insert(db, version_id, digest, data, width, height, source)
    except BaseException:
        db.conn.rollback()
        raise
    db.execute("COMMIT")
    return digest


def _insert(db, version_id: int, digest: str, data: bytes, width: int, height: int, source: str) -> None:
    db.execute("INSERT OR IGNORE INTO screenshots (sha256, format, width, height, bytes) VALUES (?, 'webp', ?, ?, ?)",
               [digest, width, height, data])
    db.execute("INSERT OR REPLACE INTO version_screenshots (version_id, sha256, taken_at, source) VALUES (?, ?, ?, ?)",
               [version_id, digest, utcnow(), source])


def missing(db, run_id: int | None = None) -> list[dict]:
    """Versions with a stored body and no picture (those of one run if ``run_id``), oldest first."""
    where = "AND captures.run_id = ?" if run_id is not None else ""
    return [dict(zip(("id", "body_sha256", "url", "content_type"), row)) for row in db.execute(f"""
        SELECT versions.id, captures.body_sha256, COALESCE(captures.final_url, captures.requested_url), captures.content_type
        FROM versions JOIN captures ON captures.id = versions.capture_id
        WHERE captures.body_sha256 IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM version_screenshots WHERE version_id = versions.id) {where}
        ORDER BY versions.id""", [run_id] if run_id is not None else [])]


def fill(archive, versions: list[dict]) -> tuple[list[float], dict[int, str]]:
    """Render and keep a picture for each of ``versions`` (rows of ``missing``), one transaction
    each. Returns the seconds each picture took and, by version id, why the others have none: a
    page Chromium cannot picture, or a Chromium that does not start, never costs the run that made
    the versions its outcome, and ``missing`` still lists them for a later try."""
    from crawler.capture.render import RenderError, renderer

    seconds, failed = [], {}
    try:
        with renderer() as render:
            for version in versions:
                started = time.monotonic()
                body = archive.body(version["body_sha256"])
                content_type = PDF_TYPE if is_pdf(body, version["content_type"]) else version["content_type"]
                try:
                    png = render.png(body, version["url"], content_type)
                except RenderError as exc:
                    failed[version["id"]] = str(exc)
                    continue
                keep(archive.db, version["id"], png, source="rendered from the stored bytes")
                seconds.append(time.monotonic() - started)
    except RenderError as exc:
        failed.update({version["id"]: f"Chromium did not start: {exc}" for version in versions[len(seconds) + len(failed):]})
    return seconds, failed


def changed_boxes(before: bytes, after: bytes) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom, in the after picture's pixels) around the bands of rows
    that differ between two pictures; rows past the shorter picture count as changed."""
    a, b = Image.open(io.BytesIO(before)).convert("RGB"), Image.open(io.BytesIO(after)).convert("RGB")
    width, height = max(a.width, b.width), max(a.height, b.height)
    canvas_a, canvas_b = Image.new("RGB", (width, height), "white"), Image.new("RGB", (width, height), "white")
    canvas_a.paste(a)
    canvas_b.paste(b)
    difference = ImageChops.difference(canvas_a, canvas_b).convert("L")
    boxes: list[list[int]] = []
    for top in range(0, height, BAND):
        box = difference.crop((0, top, width, min(top + BAND, height))).getbbox()
        if box is None:
            continue
        left, right, bottom = box[0], box[2], min(top + BAND, height)
        if boxes and boxes[-1][3] >= top:
            last = boxes[-1]
            last[0], last[2], last[3] = min(last[0], left), max(last[2], right), bottom
        else:
            boxes.append([left, top + box[1], right, bottom])
    return [tuple(b) for b in boxes]
