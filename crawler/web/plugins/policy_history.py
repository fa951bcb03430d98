"""A document, a variant and a version, each on a page with a permalink; and a capture's raw bytes.

``/-/document/SERVICE/TYPE``            its variants, one-click comparisons, a chart, its latest changes;
                                        ``?term=biometric`` (or any phrase): which variants carry it, since when
``/-/variant/SERVICE/TYPE/REGION-LANG`` the timeline of its versions and changes, and its captures
``/-/version/ID``                       the text, its hashes, the capture it came from, a citation block
``/-/clause/ID``                        a clause's lineage: per variant, when it appeared and last stood, and
                                        what it was reworded from and into (the clause index, issue 13)
``/-/capture/ID/body``                  the bytes as received, as a download: never rendered here
``/-/capture/ID/page/N/body``           the same for page N of a multi-page document
``/-/version/ID/screenshot.png``        the version's picture as a PNG (``.webp``: as stored)

Each query is a primary-key or indexed lookup, bounded by a limit where a list can grow. Captures
are shown with only what their source vouches for (``crawler/archive/provenance.py``): a citation never
lends an imported file or a Wayback Machine capture a URL, region or egress policyarchive did not see.
"""

import json

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from crawler.archive.compression import unpack
from crawler.archive.history import folded, term_presence
from crawler.archive.provenance import vouched
from crawler.archive.screenshots import as_png
from crawler.text.pdf import is_pdf
from crawler.text.terms import WATCHED
from crawler.web.plugins import clause_ids, row_id
from crawler.web.publish import page, public_url

CAPTURES_SHOWN = 50
CHANGES_SHOWN = 20
# Changes fetched for the latest CHANGES_SHOWN: a flip-flop folds into one row (crawler/archive/history.py),
# and the list should still be full; a bound, however many changes a document has.
CHANGES_FETCHED = 10 * CHANGES_SHOWN
DOCUMENT = r"(?P<document_id>[^/]+/[^/]+)"
VARIANT = r"(?P<variant_id>[^/]+/[^/]+/[^/]+)"


async def _one(db, sql: str, params, what: str) -> dict:
    row = (await db.execute(sql, params)).first()
    if row is None:
        raise NotFound(f"No such {what}")
    return dict(row)


async def screenshot_of(db, version_id: int) -> dict | None:
    """The version's picture (sha256, width, height), without its bytes; None if it has none."""
    row = (await db.execute("""select screenshots.sha256, width, height from version_screenshots
        join screenshots using (sha256) where version_id = ?""", [version_id])).first()
    return dict(row) if row else None


async def screenshot_bytes(db, version_id: int) -> bytes:
    row = (await db.execute("""select bytes from version_screenshots join screenshots using (sha256)
        where version_id = ?""", [version_id])).first()
    if row is None:
        raise NotFound("This version has no screenshot")
    return row["bytes"]


async def _rows(db, sql: str, params=()) -> list[dict]:
    return [dict(r) for r in await db.execute(sql, params)]


def _pairs_to_compare(variants: list[dict]) -> list[tuple[dict, dict]]:
    """Comparisons worth one click: each variant against the first of its language (a word diff),
    and each language of a region against the region's first (texts side by side); only variants
    the archive holds a version of, so that no click leads to a comparison with nothing."""
    pairs = []
    for key in ("language", "region"):
        first = {}
        for v in (v for v in variants if v["version_id"]):
            anchor = first.setdefault(v[key], v)
            if anchor is not v:
                pairs.append((anchor, v))
    return pairs


def _form_pair(variants: list[dict], pairs: list[tuple[dict, dict]]) -> tuple[str | None, str | None]:
    """The compare form's pair before anyone picks one: the first one-click comparison, else the
    first two variants the archive holds a version of, else the first two. The first two in
    order could be a variant never captured, and the form's first click then compared nothing."""
    if pairs:
        return pairs[0][0]["variant_id"], pairs[0][1]["variant_id"]
    held_first = sorted(variants, key=lambda v: not v["version_id"])  # stable: in order within each
    first, second = ([v["variant_id"] for v in held_first] + [None, None])[:2]
    return first, second


async def _who_has(db, document_id: str, term: str) -> list:
    """``term_presence`` for the document, run on Datasette's own read-only connection."""
    return await db.execute_fn(lambda conn: term_presence(sqlite_utils.Database(conn), term, document_id))


async def document(datasette, request):
    db = datasette.get_database()
    doc = await _one(db, "select * from documents where id = ?", [request.url_vars["document_id"]], "document")
    term = request.args.get("term", "").strip().strip("\"").strip()
    variants = await _rows(db, """
        select variants.*, variants.id as variant_id, f.version_id, f.last_capture_at || ' ' || f.last_outcome as last_capture
        from variants left join variant_freshness as f on f.variant_id = variants.id
        where document_id = ? order by region, language""", [doc["id"]])
    changes = await _rows(db, """
        select changes.*, variants.region, variants.language, w.last_before, w.days,
          (select group_concat(distinct term) from change_terms where change_id = changes.id) as terms
        from changes join variants on variants.id = changes.variant_id join change_windows as w on w.change_id = changes.id
        where changes.variant_id in (select id from variants where document_id = ?) and changes.superseded_by is null and changes.visible
        order by changes.detected_at desc limit ?""", [doc["id"], CHANGES_FETCHED])
    presence = await _who_has(db, doc["id"], term) if term else None
    pairs = _pairs_to_compare(variants)
    return await page(datasette, request, "policy_document.html", {
        "doc": doc, "variants": variants, "changes": folded(changes)[:CHANGES_SHOWN], "pairs": pairs,
        "form_pair": _form_pair(variants, pairs),
        "term": term, "presence": presence, "attempted": {v["variant_id"] for v in variants if v["last_capture"]},
        "clause_ids": await clause_ids(db, [c for p in presence or [] for c in p.clauses]),
        "watched": [t for t in WATCHED if t != term], "watched_all": list(WATCHED), "database": db.name,
    })


async def variant(datasette, request):
    db = datasette.get_database()
    var = await _one(db, """select *, id as variant_id from variant_labels where id = ?""",
        [request.url_vars["variant_id"]], "variant")
    versions = await _rows(db, "select id, first_seen, last_seen, words from versions where variant_id = ? order by first_seen, id",
                           [var["id"]])
    changes = await _rows(db, """select changes.id, changes.variant_id, from_version_id, to_version_id, detected_at, words_added,
          words_removed, is_return, w.last_before, w.days
        from changes join change_windows as w on w.change_id = changes.id
        where changes.variant_id = ? and superseded_by is null and visible order by detected_at desc""", [var["id"]])
    terms = await _rows(db, """select change_id, group_concat(distinct term) as terms from change_terms
        where change_id in (select value from json_each(?)) group by change_id""", [json.dumps([c["id"] for c in changes])])
    by_change = {t["change_id"]: t["terms"] for t in terms}
    captures = [vouched(c) for c in await _rows(db, """select id, fetched_at, outcome, status, final_url, renderer, region,
        proxy, version_id, detail, cut_short, source, words, page_words from captures where variant_id = ? order by fetched_at desc limit ?""",
        [var["id"], CAPTURES_SHOWN])]
    outcomes = await _rows(db, "select outcome, count(*) as n from captures where variant_id = ? group by outcome order by n desc",
                           [var["id"]])
    coverage = await _rows(db, """select fetched_at, words, page_words from captures where variant_id = ? and page_words > 0
        and words is not null order by fetched_at desc, id desc limit 1""", [var["id"]])
    cut = await _rows(db, """select count(*) as n, min(fetched_at) as first, max(fetched_at) as last from captures
        where variant_id = ? and cut_short is not null""", [var["id"]])
    return await page(datasette, request, "policy_variant.html", {
        "coverage": coverage[0] if coverage else None, "cut_short": cut[0] if cut and cut[0]["n"] else None,
        "var": var, "versions": versions, "words": {v["id"]: v["words"] for v in versions},
        "changes": folded([{**c, "terms": by_change.get(c["id"])} for c in changes]), "change_count": len(changes),
        "captures": captures, "more_captures": len(captures) == CAPTURES_SHOWN, "outcomes": outcomes, "database": db.name,
    })


async def version(datasette, request):
    db = datasette.get_database()
    ver = await _one(db, """select versions.*, variants.document_id, variants.service, variants.region, variants.language,
          variants.url as declared_url, variants.type, variants.title
        from versions join variant_labels as variants on variants.id = versions.variant_id
        where versions.id = ?""", [row_id(request.url_vars["version_id"], "version")], "version")
    capture = vouched(await _one(db, "select * from captures where id = ?", [ver["capture_id"]], "capture"))
    seen = [vouched(c) for c in await _rows(db, """select id, fetched_at, outcome, region, proxy, renderer, source, memento_url
        from captures where version_id = ? order by fetched_at limit ?""", [ver["id"], CAPTURES_SHOWN])]
    neighbours = (await db.execute("""select
        (select id from versions where variant_id = :v and first_seen < :t order by first_seen desc limit 1) as previous,
        (select id from versions where variant_id = :v and first_seen > :t order by first_seen limit 1) as next""",
        {"v": ver["variant_id"], "t": ver["first_seen"]})).first()
    # A text the variant came back to was not there throughout its first to last seen: the others seen between.
    interrupted = await _rows(db, """select version_id, min(fetched_at) as first_seen, max(fetched_at) as last_seen
        from captures where variant_id = ? and version_id != ? and fetched_at > ? and fetched_at < ?
        group by version_id order by first_seen""", [ver["variant_id"], ver["id"], ver["first_seen"], ver["last_seen"]])
    permalink = public_url(datasette, request, f"/-/version/{ver['id']}")
    return await page(datasette, request, "policy_version.html", {
        "ver": ver, "capture": capture, "seen": seen, "previous": neighbours["previous"], "next": neighbours["next"],
        "interrupted": interrupted,
        "permalink": permalink, "view": request.args.get("view", "markdown"), "pdf": _pdf(capture),
        "screenshot": await screenshot_of(db, ver["id"]),
    })


async def clause(datasette, request):
    """A clause's lineage, read from the clause index by ``clause_id`` (idx_version_clauses_clause)."""
    db = datasette.get_database()
    found = await _one(db, "select id, text, words from clauses where id = ?",
                       [row_id(request.url_vars["clause_id"], "clause")], "clause")
    spans = await _rows(db, """select variants.id as variant_id, variants.document_id, variants.service, variants.type,
          variants.region, variants.language, count(*) as versions,
          min(versions.first_seen) as first_seen, max(versions.last_seen) as last_seen
        from version_clauses join versions on versions.id = version_clauses.version_id
        join variant_labels as variants on variants.id = versions.variant_id
        where version_clauses.clause_id = ? group by versions.variant_id order by first_seen""", [found["id"]])
    for span in spans:
        span["stands"] = (await db.execute("""select exists(select 1 from version_clauses where clause_id = ? and version_id =
            (select id from versions where variant_id = ? order by last_seen desc limit 1))""", [found["id"], span["variant_id"]])).first()[0]
        span["appeared"] = (await db.execute("""select changes.from_version_id, changes.to_version_id, changes.detected_at,
              w.last_before, w.days
            from changes join change_windows as w on w.change_id = changes.id
            where changes.superseded_by is null and changes.to_version_id = (select versions.id from version_clauses
              join versions on versions.id = version_clauses.version_id
              where version_clauses.clause_id = ? and versions.variant_id = ? order by versions.first_seen, versions.id limit 1)
            order by changes.detected_at limit 1""", [found["id"], span["variant_id"]])).first()
    reworded = await _rows(db, """select 'from' as direction, clauses.id, clauses.text, score from clause_rewordings
          join clauses on clauses.id = from_clause_id where clause_id = :c
        union all select 'into', clauses.id, clauses.text, score from clause_rewordings
          join clauses on clauses.id = clause_id where from_clause_id = :c""", {"c": found["id"]})
    return await page(datasette, request, "policy_clause.html", {
        "clause": found, "spans": spans, "reworded": reworded,
        "permalink": public_url(datasette, request, f"/-/clause/{found['id']}"),
    })


def _pdf(capture: dict) -> bool:
    """Whether a capture is a PDF document, by its media type or the name of the file it was imported
    from, without reading its body (a PDF may be megabytes)."""
    return is_pdf(b"", capture["content_type"]) or (capture["imported_from"] or "").lower().endswith(".pdf")


async def screenshot(datasette, request):
    """The picture, as PNG whatever its stored format (converted here), or as the WebP kept."""
    stored = await screenshot_bytes(datasette.get_database(), row_id(request.url_vars["version_id"], "version"))
    if request.url_vars["format"] == "webp":
        return Response(stored, content_type="image/webp", headers={"cache-control": "public, max-age=31536000, immutable"})
    return Response(as_png(stored), content_type="image/png", headers={"cache-control": "public, max-age=31536000, immutable"})


async def capture_body(datasette, request):
    """The raw body as an attachment of a type no browser renders, so captured HTML never runs here."""
    db = datasette.get_database()
    row = await _one(db, """select captures.id, captures.body_sha256, captures.content_type, bodies.compression, bodies.content
        from captures join bodies on bodies.sha256 = captures.body_sha256 where captures.id = ?""",
        [row_id(request.url_vars["capture_id"], "capture")], "captured body")
    return _download(row, f"capture-{row['id']}")


async def capture_page_body(datasette, request):
    """One page of a multi-page document's capture, downloaded as ``capture_body`` serves a capture's."""
    db = datasette.get_database()
    capture_id = row_id(request.url_vars["capture_id"], "capture")
    row = await _one(db, """select capture_pages.body_sha256, capture_pages.content_type, bodies.compression, bodies.content
        from capture_pages join bodies on bodies.sha256 = capture_pages.body_sha256
        where capture_pages.capture_id = ? and capture_pages.page = ?""",
        [capture_id, int(request.url_vars["page"])], "captured page")
    return _download(row, f"capture-{capture_id}-page-{request.url_vars['page']}")


def _download(row: dict, name: str) -> Response:
    body = unpack(row["compression"], row["content"])
    suffix = "pdf" if is_pdf(body, row["content_type"]) else "html" if "html" in (row["content_type"] or "") else "bin"
    return Response(body, content_type="application/octet-stream", headers={
        "content-disposition": f'attachment; filename="{name}-{row["body_sha256"][:12]}.{suffix}"',
        "content-security-policy": "sandbox",
        "x-content-type-options": "nosniff",
    })


@hookimpl
def register_routes():
    return [
        (rf"^/-/document/{DOCUMENT}$", document),
        (rf"^/-/variant/{VARIANT}$", variant),
        (r"^/-/version/(?P<version_id>\d+)$", version),
        (r"^/-/clause/(?P<clause_id>\d+)$", clause),
        (r"^/-/version/(?P<version_id>\d+)/screenshot\.(?P<format>png|webp)$", screenshot),
        (r"^/-/capture/(?P<capture_id>\d+)/body$", capture_body),
        (r"^/-/capture/(?P<capture_id>\d+)/page/(?P<page>\d{1,6})/body$", capture_page_body),
    ]
