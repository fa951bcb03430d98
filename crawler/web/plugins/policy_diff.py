"""What changed: the diff between two versions of a variant, and one document compared across variants.

``/-/diff/FROM/TO``          word-level, inline or side by side (``?layout=side``), the Markdown
                             typeset (``crawler.web.readable``): added text in ``<ins>``, removed in
                             ``<del>``, unchanged stretches folded, paragraphs that only moved marked
                             as moved, those moved and reworded shown with their old wording; each
                             watched term the change touches said added, removed or reworded, with
                             links to its marks; ``?term=`` (a watched term or any phrase, as the "who
                             says" page passes it) is judged and marked first. A stored change's ops
                             are reused (``diff.expand``); other pairs are diffed on the fly (``diff.diff``).
``/-/compare/SERVICE/TYPE``  two variants as they stood at a date (``?a=&b=&at=YYYY-MM-DD``, default
                             now): the same language opens with the answer, the clauses only in one
                             and those reworded (``crawler/web/gap.py``, the clause index), then the
                             word diff, folded (side by side unless ``?layout=inline``); different
                             languages give the texts side by side, aligned by section heading; both,
                             the watched terms each text holds, in every language they are known in.
"""

import json
import re
from datetime import date
from difflib import SequenceMatcher
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from crawler.archive.provenance import vouched
from crawler.archive.screenshots import changed_boxes
from crawler.common.clock import iso, parse as parse_time
from crawler.text.diff import diff, expand
from crawler.text.terms import WATCHED, watched_in
from crawler.web.gap import regional_gap
from crawler.web.plugins import row_id
from crawler.web.plugins.policy_history import screenshot_bytes, screenshot_of
from crawler.web.publish import page
from crawler.web.readable import anchor_key, render, verdicts

_HEADING = re.compile(r"^(#{1,6})\s+\S")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def sections(text: str) -> list[dict]:
    """The text cut at its Markdown headings: each section with its heading level and lines."""
    out = [{"level": 0, "text": ""}]
    for line in text.splitlines(keepends=True):
        heading = _HEADING.match(line)
        if heading:
            out.append({"level": len(heading[1]), "text": ""})
        out[-1]["text"] += line
    return [s for s in out if s["text"].strip()]


def aligned(a: str, b: str) -> list[tuple[dict | None, dict | None]]:
    """Sections of two texts in different languages, paired by the shape of their headings."""
    left, right = sections(a), sections(b)
    pairs = []
    matcher = SequenceMatcher(None, [s["level"] for s in left], [s["level"] for s in right], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            pairs.append((left[i1 + k] if i1 + k < i2 else None, right[j1 + k] if j1 + k < j2 else None))
    return pairs


async def _version(db, version_id: int) -> dict:
    row = (await db.execute(
        """select versions.*, variants.document_id, variants.service, variants.region, variants.language, variants.type
           from versions join variant_labels as variants on variants.id = versions.variant_id
           where versions.id = ?""", [version_id])).first()
    if row is None:
        raise NotFound(f"No version {version_id}")
    return dict(row)


async def diff_page(datasette, request):
    db = datasette.get_database()
    old, new = [await _version(db, row_id(request.url_vars[k], "version")) for k in ("from", "to")]
    if old["variant_id"] != new["variant_id"]:
        return Response.html("These versions belong to different variants: compare them on the document's compare page.", status=400)
    stored = (await db.execute(
        """select id, diff, words_added, words_removed, detected_at, w.last_before, w.days
           from changes join change_windows as w on w.change_id = changes.id
           where changes.variant_id = ? and from_version_id = ? and to_version_id = ? limit 1""",
        [old["variant_id"], old["id"], new["id"]])).first()
    if stored:
        ops, counts = expand(json.loads(stored["diff"]), old["text"]), (stored["words_added"], stored["words_removed"])
    else:
        computed = diff(old["text"], new["text"])
        ops, counts = computed.ops, (computed.words_added, computed.words_removed)
    layout = _layout(request)
    asked = (request.args.get("term") or "").strip()
    return await page(datasette, request, "policy_diff.html", {
        "old": old, "new": new, "change": dict(stored) if stored else None, "added": counts[0], "removed": counts[1],
        "layout": layout, "layout_urls": _layout_urls(request), **_rendered(ops, layout, asked),
        "asked": asked, "asked_verdict": verdicts(old["text"], new["text"], [asked]).get(asked) if asked else None,
        "verdicts": {t: v for t, v in verdicts(old["text"], new["text"]).items() if t != asked},
        "pictures": await _pictures(db, old["id"], new["id"]),
    })


async def _pictures(db, old_id: int, new_id: int) -> dict | None:
    """Both versions' screenshots and the changed regions of the after picture, as percentages of
    its size (so the boxes scale with the image; a region past its end, removed, is boxed at its
    foot); None unless both versions have one."""
    before, after = await screenshot_of(db, old_id), await screenshot_of(db, new_id)
    if not (before and after):
        return None
    boxes = changed_boxes(await screenshot_bytes(db, old_id), await screenshot_bytes(db, new_id))
    width, height = after["width"], after["height"]

    def percent(value: int, whole: int) -> float:
        return 100 * min(value, whole) / whole

    return {"before": before, "after": after, "boxes": [
        {"left": percent(l, width), "top": min(percent(t, height), 99.0), "width": percent(r, width) - percent(l, width),
         "height": max(percent(b, height) - percent(t, height), 1.0)}
        for l, t, r, b in boxes]}


def _layout(request, default: str = "inline") -> str:
    return request.args.get("layout") if request.args.get("layout") in ("inline", "side") else default


def _layout_urls(request) -> dict:
    """This page in each layout, other parameters kept."""
    args = [(k, v) for k, v in parse_qsl(request.query_string) if k != "layout"]
    return {layout: request.path + "?" + urlencode(args + [("layout", layout)]) for layout in ("inline", "side")}


def _rendered(ops, layout: str, asked: str = "") -> dict:
    rendered = render(ops, layout, asked)
    return {"inline": rendered.inline, "blocks": rendered.blocks, "moved": rendered.moved, "reworded": rendered.reworded,
            "marks": rendered.marks, "anchor_key": anchor_key}


async def diff_form(datasette, request):
    """The variant page's two-version form, sent on to the diff's permalink."""
    if not (request.args.get("from") and request.args.get("to")):
        return Response.html("Choose two versions: /-/diff?from=ID&to=ID", status=400)
    a, b = row_id(request.args["from"], "version"), row_id(request.args["to"], "version")
    return Response.redirect(datasette.urls.path(f"/-/diff/{a}/{b}"))


def _cutoff(at: str) -> str:
    """The last archive time (UTC, as stored) a reader's date or time includes: a date means its whole day."""
    if not at:
        return "9999"
    if _DATE.match(at):
        return f"{date.fromisoformat(at)}T23:59:59.999999Z"
    return iso(parse_time(at))


async def _at(db, variant_id: str, cutoff: str) -> dict | None:
    """The version a variant's latest successful capture up to ``cutoff`` saw, with that capture."""
    row = (await db.execute(
        """select versions.id, versions.text, versions.words, versions.first_seen, versions.last_seen,
             captures.id as capture_id, captures.fetched_at, captures.region, captures.proxy,
             captures.source, captures.memento_url
           from captures join versions on versions.id = captures.version_id
           where captures.variant_id = ? and captures.fetched_at <= ? and captures.version_id is not null
           order by captures.fetched_at desc limit 1""", [variant_id, cutoff])).first()
    return vouched(dict(row)) if row else None


async def compare(datasette, request):
    db = datasette.get_database()
    doc = (await db.execute("select * from documents where id = ?", [request.url_vars["document_id"]])).first()
    if doc is None:
        raise NotFound("No such document")
    variants = [dict(r) for r in await db.execute(
        "select *, id as variant_id from variants where document_id = ? order by region, language", [doc["id"]])]
    by_id = {v["id"]: v for v in variants}
    a_id = request.args.get("a") or (variants[0]["id"] if variants else None)
    b_id = request.args.get("b") or (variants[1]["id"] if len(variants) > 1 else a_id)
    if a_id not in by_id or b_id not in by_id:
        raise NotFound("Both variants must be variants of this document")
    at = request.args.get("at") or ""
    try:
        cutoff = _cutoff(at)
    except ValueError:
        return Response.html("Give the date as YYYY-MM-DD, or a UTC time as YYYY-MM-DDTHH:MM:SSZ.", status=400)
    a, b = by_id[a_id], by_id[b_id]
    va, vb = await _at(db, a_id, cutoff), await _at(db, b_id, cutoff)
    context = {"doc": dict(doc), "variants": variants, "a": a, "b": b, "va": va, "vb": vb, "at": at,
               "same_language": a["language"] == b["language"], "layout": _layout(request, "side"), "layout_urls": _layout_urls(request), "pairs": None, "terms": [], "gap": None,
               "database": db.name}
    if va and vb:
        if context["same_language"]:
            context["gap"] = await db.execute_fn(lambda conn: regional_gap(conn, a_id, b_id, cutoff))
            computed = diff(va["text"], vb["text"])
            context.update(_rendered(computed.ops, context["layout"]), added=computed.words_added, removed=computed.words_removed)
        else:
            context["pairs"] = aligned(va["text"], vb["text"])
        found_a, found_b = watched_in(va["text"]), watched_in(vb["text"])
        context["terms"] = [(term, found_a.get(term, []), found_b.get(term, [])) for term in WATCHED]
    return await page(datasette, request, "policy_compare.html", context)


@hookimpl
def register_routes():
    return [
        (r"^/-/diff/(?P<from>\d+)/(?P<to>\d+)$", diff_page),
        (r"^/-/diff$", diff_form),
        (r"^/-/compare/(?P<document_id>[^/]+/[^/]+)$", compare),
    ]
