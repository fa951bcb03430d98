"""The archive's front door: what it holds, the latest changes, and search across texts and changes.

``/`` replaces Datasette's list of databases (still one click away, as "Tables and SQL");
``/-/search`` runs FTS5 over versions and changes, with highlighted snippets and facets on service,
document type, region and language. Every query is indexed or bounded: totals come from ``max(id)``
(nothing is ever deleted, so ids count rows) rather than full counts, and search looks at the newest
``MATCHES`` matching versions and changes only (a chosen facet narrows those), says so when there
are more, and cuts and typesets the snippets of one page of hits, from the clause index's clauses.
"""

import asyncio
import json
import re
import sqlite3
from collections import Counter
from functools import lru_cache
from operator import itemgetter
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from crawler.archive.history import folded
from crawler.archive.status import outcome_counts
from crawler.web.plugins.policy_filters import inline_markdown
from crawler.web.publish import page

RECENT_CHANGES = 10
# Changes fetched for the recent ones: enough that a flip-flop folded into one row
# (crawler/archive/history.py) still leaves RECENT_CHANGES rows, and a bound on the page's cost.
RECENT_FETCHED = 20 * RECENT_CHANGES
# Variants a page of search shows, and changes (the newest; the changes table holds the rest): each
# has a snippet to typeset, about 0.5 ms, the most of the page's cost that grows with what it shows.
HITS = 50
CHANGES = 25
FACET_VALUES = 20  # values a facet lists, most variants first (a common word's services run to thousands)
MATCHES = 5000  # matching versions that search looks at, newest first
# Facet name -> column; the only SQL the request's parameters choose.
FACETS = {"service": "variants.service", "type": "variants.type", "region": "variants.region", "language": "variants.language"}
# Snippet markers no policy text contains (private-use characters, which the Markdown renderer keeps);
# the snippet is typeset, then they become <mark>.
OPEN, CLOSE = "\ue004", "\ue005"


def highlighted(snippet: str | None) -> Markup:
    """A snippet typeset, its matches marked; a match inside a tag (a link's target) loses its marks."""
    parts = re.split(r"(<[^>]*>)", str(inline_markdown(snippet)))
    return Markup("".join(p.replace(OPEN, "").replace(CLOSE, "") if p.startswith("<") else p.replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
                          for p in parts))


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
             variants.language, variants.type, substr(changes.added_text, 1, 600) as added, w.last_before, w.days,
             (select group_concat(distinct term) from change_terms where change_terms.change_id = changes.id) as terms
           from changes join variant_labels as variants on variants.id = changes.variant_id
             join change_windows as w on w.change_id = changes.id
           where changes.superseded_by is null and changes.visible
           order by changes.detected_at desc limit ?""",
        [RECENT_FETCHED],
    )
    return await page(datasette, request, "policy_home.html", {
        "holds": dict(holds), "documents": [dict(r) for r in documents], "last_run": dict(last_run, counts=outcome_counts(dict(last_run))) if last_run else None,
        "changes": folded([dict(r) for r in changes])[:RECENT_CHANGES], "database": db.name, "title": datasette.metadata("title") or "policyarchive",
        "queries": await datasette.get_canned_queries(db.name, request.actor),
    })


def _filters(request) -> tuple[str, dict]:
    chosen = {name: request.args.get(name) for name in FACETS if request.args.get(name)}
    sql = "".join(f" and {FACETS[name]} = :{name}" for name in chosen)
    return sql, chosen


async def _matching_variants(db, q: str) -> list[sqlite3.Row]:
    """The variants of the newest MATCHES versions whose text matches, in the order the page lists
    them (by service, document type, region, language): each with its labels, its latest matching
    version and how many of its versions match. What hits and facets count, and what the chosen
    facets narrow (in Python: a facet narrows what its count counted). A bound, so that a word in
    every policy costs no more than a rare one, with a facet chosen or not (in SQL a rare facet
    value read every match to find MATCHES of its own); grouped in SQL, not in Python (17 ms), and
    left as rows: up to MATCHES of them, of which a page shows HITS."""
    # The latest version: the one with the greatest first_seen, then id (SQLite takes a group's bare
    # columns from the row of its one max()).
    rows = await db.execute(
        f"""select versions.id as version_id, versions.variant_id, versions.first_seen, count(*) as versions,
              max(versions.first_seen || char(1) || printf('%020d', versions.id)) as latest, variants.document_id,
              {', '.join(f'{column} as {name}' for name, column in FACETS.items())}
            from (select rowid from versions_fts where versions_fts match :q order by rowid desc limit {MATCHES}) as newest
              join versions on versions.id = newest.rowid
              join variant_labels as variants on variants.id = versions.variant_id
            group by versions.variant_id order by service, type, region, language, versions.variant_id""",
        {"q": q},
    )
    return list(rows)


async def search(datasette, request):
    db = datasette.get_database()
    q = (request.args.get("q") or "").strip()
    where, chosen = _filters(request)
    start = _start(request)
    context = {"q": q, "chosen": chosen, "facets": {}, "variants": [], "changes": [], "database": db.name, "capped": False}
    if q:
        params = {"q": escape_fts(q), **chosen}
        try:
            (matching, capped, found, variants), changes = await asyncio.gather(_variant_hits(db, chosen, params["q"], start),
                                                                               _change_hits(db, where, params))
        except (sqlite3.Error, ValueError) as exc:
            return Response.html(f"<p>The search {escape(q)!s} cannot be run ({escape(str(exc))!s}): search for words, "
                                 f"or a phrase in double quotes.</p>", status=400)
        context.update(
            facets=_linked(datasette, q, chosen, _facets(matching)), capped=capped, matches=MATCHES,
            clear={name: _search_url(datasette, q, {**chosen, name: None}) for name in chosen},
            variants=variants, changes=changes, hits=HITS, shown=CHANGES, start=start, found=found,
            earlier=_search_url(datasette, q, chosen, max(0, start - HITS)) if start else None,
            later=_search_url(datasette, q, chosen, start + HITS) if start + HITS < found else None,
        )
    return await page(datasette, request, "policy_search.html", context)


def _start(request) -> int:
    """Where the page of variants starts in the list of them (``?start=``, from 0)."""
    try:
        return max(0, int(request.args.get("start") or 0))
    except ValueError:
        return 0


def _facets(variants: list[sqlite3.Row]) -> dict:
    """Matching variants counted by service, document type, region and language, most first."""
    return {name: sorted(Counter(map(itemgetter(name), variants)).items(), key=lambda kv: (-kv[1], str(kv[0])))
            for name in FACETS}


def _search_url(datasette, q: str, chosen: dict, start: int = 0) -> str:
    return datasette.urls.path("/-/search") + "?" + urlencode({"q": q, **{k: v for k, v in chosen.items() if v},
                                                               **({"start": start} if start else {})})


def _linked(datasette, q: str, chosen: dict, facets: dict) -> dict:
    """Each facet's FACET_VALUES first values with their counts and the search narrowed to each, and
    how many values it has besides."""
    return {name: ([(value, n, _search_url(datasette, q, {**chosen, name: value})) for value, n in counts[:FACET_VALUES]],
                   max(0, len(counts) - FACET_VALUES))
            for name, counts in facets.items()}


async def _variant_hits(db, chosen: dict, q: str, start: int) -> tuple[list[sqlite3.Row], bool, int, list[dict]]:
    """The matching variants of the chosen facets, whether more versions match than were looked at,
    how many variants match, and the page of their hits from ``start``, with a highlighted snippet
    each (only the page's are cut and typeset)."""
    newest = await _matching_variants(db, q)
    every = [v for v in newest if all(v[name] == value for name, value in chosen.items())] if chosen else newest
    hits = every[start:start + HITS]
    snippets = await _snippets(db, q, [h["version_id"] for h in hits])
    typeset = lru_cache(maxsize=None)(highlighted)  # a snippet shared by variants (one clause) typeset once
    return (every, sum(v["versions"] for v in newest) >= MATCHES, len(every),
            [{**h, "snippet": typeset(snippets.get(h["version_id"]))} for h in hits])


# A version's first clause that matches, a heading only if no other clause does (the clause index,
# docs/decisions/0014-clause-index.md): the snippet is cut from that clause, a paragraph stored once
# for every version that holds it, rather than from the whole version (about 30 KB to read and
# tokenize, 1.4 ms a hit at 100,000 versions). The clauses that match are distinct texts, however
# many versions hold them.
_CLAUSE_HITS = """select version_id, clause_id, min((clauses.text like '#%') * 1000000 + position) from version_clauses
      join clauses on clauses.id = version_clauses.clause_id
    where version_id in (select value from json_each(:ids))
      and clause_id in (select rowid from clauses_fts where clauses_fts match :q)
    group by version_id"""
_CLAUSE_SNIPPETS = f"""select rowid, snippet(clauses_fts, 0, '{OPEN}', '{CLOSE}', ' … ', 24) from clauses_fts
    where clauses_fts match :q and rowid in (select value from json_each(:ids))"""


def _any(q: str) -> str:
    """An escaped query's words and phrases, any of them (``"a" OR "b"``)."""
    return " OR ".join(re.findall(r'"[^"]*"', q))


async def _snippets(db, q: str, version_ids: list[int]) -> dict[int, str]:
    """Each version's snippet around the match: from its first clause that matches; for a version
    no one clause of which matches (words of the query in different paragraphs), from its first
    clause that has any of them; for a phrase across two clauses, from its whole text."""
    found: dict[int, str] = {}
    for query in dict.fromkeys([q, _any(q)]):
        rest = [version_id for version_id in version_ids if version_id not in found]
        if not rest:
            break
        first = {version_id: clause_id for version_id, clause_id, _ in await db.execute(
            _CLAUSE_HITS, {"q": query, "ids": json.dumps(rest)})}
        snippets = {clause_id: snippet for clause_id, snippet in await db.execute(
            _CLAUSE_SNIPPETS, {"q": query, "ids": json.dumps(sorted(set(first.values())))})}
        found.update({version_id: snippets[clause_id] for version_id, clause_id in first.items()})
    whole = [version_id for version_id in version_ids if version_id not in found]
    rows = await db.execute(
        f"""select rowid, snippet(versions_fts, 0, '{OPEN}', '{CLOSE}', ' … ', 24) from versions_fts
            where versions_fts match :q and rowid in (select value from json_each(:ids))""",
        {"q": q, "ids": json.dumps(whole)},
    ) if whole else []
    return {**found, **{version_id: snippet for version_id, snippet in rows}}


async def _change_hits(db, where: str, params: dict) -> list[dict]:
    """The newest changes whose added or removed text matches, newest first, with a snippet: the
    CHANGES newest of the chosen facets among the MATCHES newest that match, the bound of the
    versions' search (a rare facet value would otherwise read every match to find CHANGES of its own)."""
    rows = await db.execute(
        f"""select changes.id, changes.variant_id, changes.detected_at, changes.from_version_id, changes.to_version_id,
              changes.words_added, changes.words_removed, variants.service, variants.type, variants.region, variants.language,
              w.last_before, w.days,
              snippet(changes_fts, -1, '{OPEN}', '{CLOSE}', ' … ', 24) as snippet
            from changes_fts join changes on changes.id = changes_fts.rowid
              join variant_labels as variants on variants.id = changes.variant_id join change_windows as w on w.change_id = changes.id
            where changes_fts match :q and changes_fts.rowid >= (select min(rowid) from
                (select rowid from changes_fts where changes_fts match :q order by rowid desc limit {MATCHES}))
              and changes.superseded_by is null and changes.visible {where}
            order by changes_fts.rowid desc limit {CHANGES}""",
        params,
    )
    hits = [{**dict(r), "snippet": highlighted(r["snippet"])} for r in rows]
    return sorted(hits, key=lambda h: h["detected_at"], reverse=True)


@hookimpl
def register_routes():
    return [(r"^/$", home), (r"^/-/search$", search)]


# A path under /-/ of three parts or more that no page matched (the pages' routes come first: this
# one is registered last). Datasette would read it as a row of a database named "-" and, with rich
# installed, fail printing that 404 with a server error; Datasette's own static files stay its own.
UNKNOWN_PAGE = r"^/-/(?!static/|static-plugins/)[^/]+/[^/]*/.*$"


async def unknown_page(request):
    raise NotFound(f"No such page: {request.path}")


@hookimpl(specname="register_routes", trylast=True)
def register_unknown_pages():
    return [(UNKNOWN_PAGE, unknown_page)]
