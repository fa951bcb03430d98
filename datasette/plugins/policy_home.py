"""The archive's front door: what it holds, the latest changes, and search across texts and changes.

``/`` replaces Datasette's list of databases (still one click away, as "Tables and SQL");
``/-/search`` runs FTS5 over versions and changes, with highlighted snippets and facets on service,
document type, region and language. Every query is indexed or bounded: totals come from ``max(id)``
(nothing is ever deleted, so ids count rows) rather than full counts, and search looks at the newest
``MATCHES`` matching versions only, and says so when there are more.
"""

import json
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

RECENT_CHANGES = 10
HITS = 100
MATCHES = 5000  # matching versions that search looks at, newest first
# Facet name -> column; the only SQL the request's parameters choose.
FACETS = {"service": "variants.service", "type": "documents.type", "region": "variants.region", "language": "variants.language"}
# Snippet markers no policy text contains; the text is escaped, then they become <mark>.
OPEN, CLOSE = "\x02", "\x03"


def highlighted(snippet: str | None) -> Markup:
    return Markup(str(escape(snippet or "")).replace(OPEN, "<mark>").replace(CLOSE, "</mark>"))


async def home(datasette, request):
    db = datasette.get_database()
    holds = (await db.execute(
        """select (select count(distinct service) from documents) as services, (select count(*) from documents) as documents,
             (select count(*) from variants) as variants, (select max(id) from captures) as captures,
             (select max(id) from versions) as versions, (select max(id) from changes) as changes"""
    )).first()
    documents = await db.execute(
        """select documents.id, documents.service, documents.type, documents.title,
             group_concat(variants.region || ' ' || variants.language, ' · ') as variants
           from documents left join variants on variants.document_id = documents.id
           group by documents.id order by documents.service, documents.type limit 500"""
    )
    last_run = (await db.execute("select * from runs order by id desc limit 1")).first()
    changes = await db.execute(
        """select changes.id, changes.variant_id, changes.detected_at, changes.words_added, changes.words_removed,
             changes.is_return, changes.from_version_id, changes.to_version_id, variants.service, variants.region,
             variants.language, documents.type, substr(changes.added_text, 1, 240) as added,
             (select group_concat(distinct term) from change_terms where change_terms.change_id = changes.id) as terms
           from changes join variants on variants.id = changes.variant_id join documents on documents.id = variants.document_id
           where changes.superseded_by is null
           order by changes.detected_at desc limit ?""",
        [RECENT_CHANGES],
    )
    return await _page(datasette, request, "policy_home.html", {
        "holds": dict(holds), "documents": [dict(r) for r in documents], "last_run": dict(last_run) if last_run else None,
        "changes": [dict(r) for r in changes], "database": db.name, "title": datasette.metadata("title") or "policyarchive",
        "queries": await datasette.get_canned_queries(db.name, request.actor),
    })


def _filters(request) -> tuple[str, dict]:
    chosen = {name: request.args.get(name) for name in FACETS if request.args.get(name)}
    sql = "".join(f" and {FACETS[name]} = :{name}" for name in chosen)
    return sql, chosen


def _matched(where: str) -> str:
    """The newest MATCHES versions whose text matches, with their labels: what hits and facets count.
    A bound, so that a word in every policy costs no more than a rare one."""
    return f"""with matched as (
        select versions.id, versions.variant_id, versions.first_seen, variants.document_id,
          {', '.join(f'{column} as {name}' for name, column in FACETS.items())}
        from versions_fts join versions on versions.id = versions_fts.rowid
          join variants on variants.id = versions.variant_id join documents on documents.id = variants.document_id
        where versions_fts match :q {where} order by versions_fts.rowid desc limit {MATCHES})"""


async def search(datasette, request):
    db = datasette.get_database()
    q = (request.args.get("q") or "").strip()
    where, chosen = _filters(request)
    context = {"q": q, "chosen": chosen, "facets": {}, "variants": [], "changes": [], "database": db.name, "capped": False}
    if q:
        params = {"q": escape_fts(q), **chosen}
        facets, matched = await _facets(db, where, params)
        context.update(
            facets=_linked(datasette, q, chosen, facets), capped=matched >= MATCHES, matches=MATCHES,
            clear={name: _search_url(datasette, q, {**chosen, name: None}) for name in chosen},
            variants=await _variant_hits(db, where, params), changes=await _change_hits(db, where, params),
        )
    return await _page(datasette, request, "policy_search.html", context)


async def _facets(db, where: str, params: dict) -> tuple[dict, int]:
    """Matching variants counted by service, document type, region and language in one pass; and
    how many versions matched (at most MATCHES)."""
    rows = await db.execute(
        f"""{_matched(where)} select {', '.join(FACETS)}, count(distinct variant_id) as n, count(*) as versions
            from matched group by {', '.join(FACETS)}""",
        params,
    )
    facets = {name: {} for name in FACETS}
    versions = 0
    for row in rows:
        versions += row["versions"]
        for name in FACETS:
            facets[name][row[name]] = facets[name].get(row[name], 0) + row["n"]
    return {name: sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))) for name, counts in facets.items()}, versions


def _search_url(datasette, q: str, chosen: dict) -> str:
    return datasette.urls.path("/-/search") + "?" + urlencode({"q": q, **{k: v for k, v in chosen.items() if v}})


def _linked(datasette, q: str, chosen: dict, facets: dict) -> dict:
    """Each facet value with its count and the search narrowed to it."""
    return {name: [(value, n, _search_url(datasette, q, {**chosen, name: value})) for value, n in counts]
            for name, counts in facets.items()}


async def _variant_hits(db, where: str, params: dict) -> list[dict]:
    """One hit per variant, grouped by service: its latest matching version, with a highlighted snippet."""
    rows = [dict(r) for r in await db.execute(
        f"""{_matched(where)} select variant_id, service, document_id, type, region, language,
              max(first_seen) as first_seen, id as version_id, count(*) as versions
            from matched group by variant_id order by service, type, region, language limit {HITS}""",
        params,
    )]
    snippets = dict(list(await db.execute(
        f"""select rowid, snippet(versions_fts, 0, '{OPEN}', '{CLOSE}', ' … ', 24) from versions_fts
            where versions_fts match :q and rowid in (select value from json_each(:ids))""",
        {"q": params["q"], "ids": json.dumps([r["version_id"] for r in rows])},
    )))
    return [{**r, "snippet": highlighted(snippets.get(r["version_id"]))} for r in rows]


async def _change_hits(db, where: str, params: dict) -> list[dict]:
    """The newest changes whose added or removed text matches, newest first, with a snippet."""
    rows = await db.execute(
        f"""select changes.id, changes.variant_id, changes.detected_at, changes.from_version_id, changes.to_version_id,
              changes.words_added, changes.words_removed, variants.service, documents.type, variants.region, variants.language,
              snippet(changes_fts, -1, '{OPEN}', '{CLOSE}', ' … ', 24) as snippet
            from changes_fts join changes on changes.id = changes_fts.rowid
              join variants on variants.id = changes.variant_id join documents on documents.id = variants.document_id
            where changes_fts match :q and changes.superseded_by is null {where}
            order by changes_fts.rowid desc limit {HITS}""",
        params,
    )
    hits = [{**dict(r), "snippet": highlighted(r["snippet"])} for r in rows]
    return sorted(hits, key=lambda h: h["detected_at"], reverse=True)


async def _page(datasette, request, template: str, context: dict):
    return Response.html(await datasette.render_template(template, context, request=request))


@hookimpl
def register_routes():
    return [(r"^/$", home), (r"^/-/search$", search)]
