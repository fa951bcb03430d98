"""Jinja filters for the archive's pages: captured Markdown made safe to show, and UTC times.

Captured text is hostile input. Markdown is rendered with raw HTML off (tags show as text) and
markdown-it's link check (no ``javascript:``, ``vbscript:``, ``data:`` links); the result is then
cleaned by bleach against a short allowlist, so that a renderer bug cannot add a script, an event
handler or a foreign image (images would also leak the reader to the policy's host).
"""

import re

import bleach
from datasette import hookimpl
from markdown_it import MarkdownIt
from markupsafe import Markup

_MARKDOWN = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
         "a", "table", "thead", "tbody", "tr", "th", "td", "br", "hr", "s", "del"}
_PROTOCOLS = {"http", "https", "mailto"}
_HEADING = re.compile(r"<(/?)h([1-6])>")
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})")


def safe_markdown(text: str | None) -> Markup:
    """Captured Markdown as HTML that cannot run anything: no raw HTML, links only to http(s) and mailto.

    Its headings go two levels down, below the page's own title and section headings."""
    html = _HEADING.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) + 2)}>", _MARKDOWN.render(text or ""))
    return Markup(bleach.clean(html, tags=_TAGS, attributes={"a": ["href", "title"]}, protocols=_PROTOCOLS, strip=True))


def utc(value: str | None) -> str:
    """An archive time (ISO 8601, UTC) as a reader writes it: ``2021-06-02 10:00:00 UTC``."""
    match = _ISO.match(value or "")
    return f"{match[1]} {match[2]} UTC" if match else (value or "")


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["safe_markdown"] = safe_markdown
    env.filters["utc"] = utc
