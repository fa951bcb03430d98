"""Versions over time, one row per variant of a document, as an SVG drawn on the server.

``/-/document/SERVICE/TYPE/chart.svg``: a line for the time each variant has been captured, a hollow
mark for its first text and a filled mark for each change (its size grows with the words changed),
so that a change made in one region and not the others stands out. No script, no external library:
the machine that serves it may be offline, and the SVG can be saved into a story as it is.
"""

import math
from datetime import datetime, timedelta

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from crawler.common.clock import parse as parse_time

WIDTH, LEFT, RIGHT, TOP, ROW, AXIS = 760, 120, 24, 16, 30, 36
TICKS = 3


def _tick_label(moment: datetime, span: timedelta) -> str:
    if span > timedelta(days=3):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M" if span > timedelta(hours=2) else "%Y-%m-%d %H:%M:%S")


def draw(variants: list[dict], changes: list[dict]) -> str:
    """The chart for variants (with ``first``, ``start``, ``end`` times) and their changes."""
    moments = [parse_time(t) for v in variants for t in (v["start"], v["end"]) if t]
    if not moments:
        moments = [parse_time("2000-01-01T00:00:00Z")]
    t0, t1 = min(moments), max(moments)
    span = (t1 - t0) or timedelta(days=1)
    plot = WIDTH - LEFT - RIGHT

    def x(value: str) -> float:
        return round(LEFT + plot * ((parse_time(value) - t0) / span), 1)

    height = TOP + ROW * len(variants) + AXIS
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" '
                    'font-family="system-ui, sans-serif" font-size="12" role="img">').format(WIDTH, height, WIDTH, height),
             Markup('<rect width="100%" height="100%" fill="#fff"/>')]
    rows = {v["id"]: TOP + ROW * i + ROW / 2 for i, v in enumerate(variants)}
    for v in variants:
        y = rows[v["id"]]
        parts.append(Markup('<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{} · {}</text>').format(
            LEFT - 10, y, v["region"] or "no region", v["language"]))
        if v["start"]:
            parts.append(Markup('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#bbb" stroke-width="2"/>').format(
                x(v["start"]), x(v["end"]), y, y))
        if v["first"]:
            parts.append(Markup('<circle cx="{}" cy="{}" r="5" fill="#fff" stroke="#555" stroke-width="2">'
                                '<title>first text {}</title></circle>').format(x(v["first"]), y, v["first"]))
    for c in changes:
        radius = round(4 + min(6, math.log1p(c["words_added"] + c["words_removed"])), 1)
        parts.append(Markup('<circle class="change" cx="{}" cy="{}" r="{}" fill="{}" fill-opacity="0.85">'
                            '<title>{}: +{} −{} words</title></circle>').format(
            x(c["detected_at"]), rows[c["variant_id"]], radius, "#888" if c["is_return"] else "#c0392b",
            c["detected_at"], c["words_added"], c["words_removed"]))
    axis_y = TOP + ROW * len(variants) + 8
    parts.append(Markup('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#333"/>').format(LEFT, LEFT + plot, axis_y, axis_y))
    for i in range(TICKS + 1):
        moment = t0 + span * i / TICKS
        tx = LEFT + plot * i / TICKS
        anchor = "start" if i == 0 else "end" if i == TICKS else "middle"
        parts.append(Markup('<text x="{}" y="{}" text-anchor="{}" fill="#333">{}</text>').format(
            round(tx, 1), axis_y + 18, anchor, _tick_label(moment, span)))
    parts.append(Markup("</svg>"))
    return str(Markup("").join(parts))


async def chart(datasette, request):
    db = datasette.get_database()
    document_id = request.url_vars["document_id"]
    variants = [dict(r) for r in await db.execute(
        """select id, region, language,
             (select min(first_seen) from versions where variant_id = variants.id) as first,
             (select min(fetched_at) from captures where variant_id = variants.id) as start,
             (select max(fetched_at) from captures where variant_id = variants.id) as "end"
           from variants where document_id = ? order by region, language""", [document_id])]
    if not variants:
        raise NotFound("No such document")
    changes = [dict(r) for r in await db.execute(
        """select variant_id, detected_at, words_added, words_removed, is_return from changes
           where variant_id in (select id from variants where document_id = ?) and superseded_by is null and visible""", [document_id])]
    return Response(draw(variants, changes), content_type="image/svg+xml; charset=utf-8")


@hookimpl
def register_routes():
    return [(r"^/-/document/(?P<document_id>[^/]+/[^/]+)/chart\.svg$", chart)]
