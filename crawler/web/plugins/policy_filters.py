"""Jinja filters for the archive's pages: captured Markdown made safe to show, UTC times and windows,
and versions numbered within their variant.

Captured text is hostile input. Markdown is rendered with raw HTML off (tags show as text) and
markdown-it's link check (no ``javascript:``, ``vbscript:``, ``data:`` links); the result is then
cleaned by bleach against a short allowlist, so that a renderer bug cannot add a script, an event
handler or a foreign image (images would also leak the reader to the policy's host).
"""

import re
import threading

import bleach
from datasette import hookimpl
from markdown_it import MarkdownIt
from markupsafe import Markup

from crawler.common.clock import between
from crawler.common.plural import count

_MARKDOWN = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
         "a", "table", "thead", "tbody", "tr", "th", "td", "br", "hr", "s", "del"}
_PROTOCOLS = {"http", "https", "mailto"}
_HEADING = re.compile(r"<(/?)h([1-6])>")
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})")
# One bleach Cleaner a thread: building one for each text cost a third of the cleaning (a search page
# cleans up to 200 snippets), and a Cleaner is not thread-safe (the SQL functions below run on
# Datasette's threads).
_CLEANERS = threading.local()


# A link to a place in the policy's own page (``[Cookies](#cookies)``): the archive's pages have no such
# place, so it is shown as its words, not as a link that leads nowhere.
_IN_PAGE_LINK = re.compile(r'<a href="#[^"]*"[^>]*>(.*?)</a>', re.DOTALL)
# A separator the policy draws with characters (``\*\*\*…``, escaped so Markdown keeps them): a rule.
_DRAWN_RULE = re.compile(r"<p>([*_=~-])\1{2,}</p>")


def safe_markdown(text: str | None) -> Markup:
    """Captured Markdown as HTML that cannot run anything: no raw HTML, links only to http(s) and mailto.

    Its headings go two levels down, below the page's own title and section headings; links within
    the policy's page are shown as their words, and separators drawn with characters as rules."""
    html = _HEADING.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) + 2)}>", _MARKDOWN.render(text or ""))
    html = _DRAWN_RULE.sub("<hr>", _IN_PAGE_LINK.sub(r"\1", html))
    if not hasattr(_CLEANERS, "cleaner"):
        _CLEANERS.cleaner = bleach.Cleaner(tags=_TAGS, attributes={"a": ["href", "title"]}, protocols=_PROTOCOLS, strip=True)
    return Markup(_CLEANERS.cleaner.clean(html))


_BLOCK_TAGS = re.compile(r"</?(?:p|ul|ol|li|blockquote|pre|table|thead|tbody|tr|th|td|hr|br)\b[^>]*>")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
# What is left of Markdown cut mid-construct (a snippet starts and ends anywhere): emphasis runs, a
# heading's marks, a link's brackets and target, an underscore of emphasis left at a word's edge.
_CUT_MARKUP = re.compile(r"\*{2,}|_{2,}|(?:^|(?<=\s))#{1,6}\s+|\]\([^)\s]*\)?|\[|(?<!\w)_|_(?!\w)")


def fragment_markdown(text: str | None) -> Markup:
    """Pieces of captured Markdown (the words a change added or removed, cut anywhere) typeset, the
    markup cut off at the pieces' ends dropped: for feed entries."""
    parts = _TAG_OR_TEXT.split(str(safe_markdown(text)))
    return Markup("".join(p if p.startswith("<") else _CUT_MARKUP.sub("", p) for p in parts))


def inline_markdown(text: str | None) -> Markup:
    """Captured Markdown, or a piece of it, typeset as one run of text for a search snippet or a
    home page line: emphasis and links kept, headings bold, blocks run together, markup cut off at
    the piece's ends dropped."""
    html = _HEADING.sub(lambda m: f"<{m[1]}strong>", str(fragment_markdown(text)))
    return Markup(" ".join(_BLOCK_TAGS.sub(" ", html).split()))


def marked(html: Markup, words: list[str]) -> Markup:
    """``html`` with each of ``words`` (as a term search matched them, casefolded) marked where it
    stands in the text, never inside a tag."""
    if not words:
        return html
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    parts = re.split(r"(<[^>]*>)", str(html))
    return Markup("".join(part if part.startswith("<") else pattern.sub(lambda m: f"<mark>{m[0]}</mark>", part)
                          for part in parts))


def plain(text: str | None) -> str:
    """Captured Markdown, or pieces of it, as the words a reader sees, for a home page line: no
    ``###``, ``**`` or ``[label](url)``, just the label, and no markup the pieces' ends cut off."""
    words = bleach.clean(str(fragment_markdown(text)), tags=set(), strip=True)
    return " ".join(words.split()).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def day(value: str | None) -> str:
    """An archive time as its UTC date, ``2021-06-02``, for windows read at a glance."""
    match = _ISO.match(value or "")
    return match[1] if match else (value or "")


def utc(value: str | None) -> str:
    """An archive time (ISO 8601, UTC) as a reader writes it: ``2021-06-02 10:00:00 UTC``."""
    match = _ISO.match(value or "")
    return f"{match[1]} {match[2]} UTC" if match else (value or "")


@hookimpl
def prepare_connection(conn):
    """``window_words(before, after)``: a window worded as the pages word it (``between`` is a keyword of
    SQL); ``markdown_html(text)``: the pieces of captured Markdown a change added or removed, typeset
    safely, for feed entries' content."""
    conn.create_function("window_words", 2, between, deterministic=True)
    conn.create_function("markdown_html", 1, lambda text: str(fragment_markdown(text)), deterministic=True)



@hookimpl
def prepare_jinja2_environment(env):
    env.filters["safe_markdown"] = safe_markdown
    env.filters["utc"] = utc
    env.filters["day"] = day
    env.filters["between"] = between
    env.filters["plain"] = plain
    env.filters["inline_markdown"] = inline_markdown
    env.filters["marked"] = marked
    env.filters["quantity"] = count  # "3 versions", "1 change" (Jinja's own "count" is its length)


# Versions are numbered within their variant: "v3" is the third text US English had, by first seen.
# Archive-wide ids run across variants (a variant's history can read 55-60, then 1-8), so pages, diffs
# and citations name a version by its number in its variant; the id stays in URLs. Templates call
# ``version_number(id)``: the numbers of a variant are read once per page, in one query.
_NUMBERS = """select id, row_number() over (order by first_seen, id) as number
    from versions where variant_id = (select variant_id from versions where id = ?)"""


@hookimpl
def extra_template_vars(datasette, database):
    numbers: dict[int, int] = {}

    async def version_number(version_id) -> int | str:
        """The version's number in its variant, or "?" for an id the archive does not hold."""
        if version_id is None:
            return "?"
        version_id = int(version_id)
        if version_id not in numbers:
            db = datasette.get_database(database) if database else datasette.get_database()
            numbers.update({r["id"]: r["number"] for r in await db.execute(_NUMBERS, [version_id])})
        return numbers.get(version_id, "?")

    return {"version_number": version_number}
