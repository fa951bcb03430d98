"""Atom feeds with no entry yet: datasette-atom dates a feed by ``max()`` over its rows, so a feed
with none (an empty archive, a watched term no change has touched, a service that never changed)
was an HTTP 500, where a feed reader should get a valid feed it can poll until entries come.

Registered last, so that this renderer of ``.atom`` replaces datasette-atom's, which it calls for
every feed that has rows. The feed's SQL gets ``phrase_verdict(phrase, old, new)``,
``url_quote(text)`` and ``public_path(path)``, for entries that say what a change did to the phrase
followed and link to the diff judging it, at the archive's public address when ``--base-url``
gives one (a feed reader elsewhere cannot follow a bare path). A feed narrowed to a term, service,
document or variant is named by it (``policyarchive changes: term 'biometric'``), so a reader's
feeds are told apart in her feed reader.
"""

from urllib.parse import quote
from xml.sax.saxutils import escape

from datasette import __version__, hookimpl
from datasette.utils.asgi import Response
from datasette_atom import REQUIRED_COLUMNS, can_render_atom, render_atom
from feedgen.feed import FeedGenerator

from crawler.text.terms import WATCHED
from crawler.web.publish import PLUGIN
from crawler.web.readable import verdicts


def _title(datasette, request, sql: str, database: str, query_name: str | None) -> str:
    """A canned query's title, as datasette-atom names the feed; the SQL otherwise."""
    queries = (datasette.metadata(database=database) or {}).get("queries") or {}
    return (queries.get(query_name) or {}).get("title") or request.args.get("_feed_title", sql)


def render(datasette, request, sql, columns, rows, database, table, query_name, view_name, data):
    narrowed = " and ".join(f"{name} {request.args[name]!r}" for name in ("term", "service", "document", "variant") if request.args.get(name))
    title = _title(datasette, request, sql, database, query_name)
    if rows or not REQUIRED_COLUMNS.issubset(columns):
        response = render_atom(datasette, request, sql, columns, rows, database, table, query_name, view_name, data)
        if rows and narrowed:  # a reader's feeds, one per term, document or variant, each named by what it follows
            named = (f"<title>{escape(t)}</title>".encode() for t in (title, f"{title}: {narrowed}"))
            response.body = response.body.replace(*named, 1)
        return response
    feed = FeedGenerator()  # dated now, as nothing in it has a date
    feed.generator(generator="Datasette", version=__version__, uri="https://github.com/simonw/datasette")
    feed.id(request.url)
    feed.link(href=request.url, rel="self")
    feed.title(f"{title}: no change matches {narrowed} yet" if narrowed else title)
    return Response(feed.atom_str(pretty=True), content_type="application/xml; charset=utf-8", status=200)


@hookimpl(trylast=True)
def register_output_renderer():
    return {"extension": "atom", "render": render, "can_render": can_render_atom}


def phrase_verdict(phrase: str, old: str | None, new: str | None) -> str | None:
    """What a change did to a phrase a reader follows (``'Joint Venture' added``), as the diff page says
    it; None for a watched term, whose feed entries list every watched term the change touches."""
    if phrase in WATCHED:
        return None
    return f"'{phrase}' {verdicts(old or '', new or '', [phrase]).get(phrase, 'in the words changed')}"


@hookimpl
def prepare_connection(conn, datasette):
    base = (datasette.plugin_config(PLUGIN) or {}).get("base_url") or ""
    conn.create_function("phrase_verdict", 3, phrase_verdict, deterministic=True)
    conn.create_function("url_quote", 1, lambda text: quote(text or "", safe=""), deterministic=True)
    conn.create_function("public_path", 1, lambda path: base + datasette.urls.path(path), deterministic=True)
