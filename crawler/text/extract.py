"""From a page to the normalised Markdown that versions are made of.

Declared selectors (CSS, or a start..end range) pick the policy out of the page, ``remove``
drops what is not policy (icons, banners), and the rest becomes Markdown. Where no selector is
declared, trafilatura finds the main text. ``normalize`` then removes what is not a wording
change (Unicode forms, invisible characters, whitespace), so that the hash of its output changes
only when the words do.
"""

from __future__ import annotations

import re
import unicodedata
from copy import deepcopy

import charset_normalizer
import lxml.html
import trafilatura
from lxml import etree
from html_to_markdown import ConversionOptions
from html_to_markdown import convert as html_to_markdown
from w3lib.encoding import html_to_unicode

from crawler.declarations.catalog import Rules, Selector

ALWAYS_REMOVE = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed")

# Invisible characters that differ between renderings of the same text.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f]")
_SPACES = re.compile(r"[^\S\n]+")
_SPACE_BEFORE_NEWLINE = re.compile(r" \n")
_BLANK_LINES = re.compile(r"\n{3,}")
_WORDLESS_LINE = re.compile(r"^[^\w\n]+$\n?", re.MULTILINE)
_LINK_TARGET = re.compile(r"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")


_SINGLE_BYTE_LATIN = {"cp437", "cp775", "cp850", "cp852", "mac_roman", "mac_latin2"}


class SelectorMiss(ValueError):
    """The declared selectors matched nothing: the page was redesigned, or is not the policy."""


class EmptyDocument(ValueError):
    """The page holds no element at all (only a comment, a byte order mark, whitespace)."""


def _detect(body: bytes) -> str | None:
    """Charset of an undeclared page: UTF-8 if it decodes, else a detected multi-byte charset
    (Shift_JIS, GB18030, ...), else windows-1252, the web's default for undeclared legacy pages:
    short Latin texts are too ambiguous to tell cp1252 from cp1250 or cp1257 by statistics."""
    sample = body[:100_000]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(sample).best()
    if best and best.encoding not in _SINGLE_BYTE_LATIN and not best.encoding.startswith(("cp12", "iso8859", "latin")):
        return best.encoding
    return "cp1252"


# An XML declaration (XHTML pages begin with one). Once the bytes are decoded it says nothing true
# about the text, and lxml refuses a str that carries one.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def decode(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text using the HTTP charset, the page's own declaration, or detection, in that order;
    the XML declaration, which names the encoding of the bytes, goes with them."""
    _, text = html_to_unicode(content_type, body, auto_detect_fun=_detect)
    return _XML_DECLARATION.sub("", text, count=1)


def normalize(text: str) -> str:
    """Text as compared and hashed: NFKC, no invisible characters, one space, at most one blank line."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = _SPACES.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _BLANK_LINES.sub("\n\n", _SPACE_BEFORE_NEWLINE.sub("\n", text)).strip()


def comparable(text: str) -> str:
    """The text as versions are told apart: Markdown link targets dropped, their words kept, and
    lines without a letter or digit (rules such as ``- - -``, table borders) dropped.

    A link moving from http to https, a tracking parameter in its URL or a horizontal rule added
    between sections is not a new wording; the stored text keeps them, and the raw capture keeps
    everything.
    """
    return _BLANK_LINES.sub("\n\n", _WORDLESS_LINE.sub("", _LINK_TARGET.sub("]", text))).strip()


def _in_range(root: etree._Element, start: etree._Element, end: etree._Element | None) -> etree._Element:
    """The document cut down to what lies between ``start`` and ``end`` in document order.

    What precedes ``start`` is the preceding siblings of it and of its ancestors (and their text
    before the first child); what follows ``end`` is ``end`` and the following siblings of it and of
    its ancestors (and their tails). Walking those, rather than the whole page, keeps the cost to
    the path's length.
    """
    doomed = []
    for el in (start, *start.iterancestors()):
        doomed += el.itersiblings(preceding=True)
    for el in start.iterancestors():
        el.text = None
    if end is not None:
        doomed.append(end)
        for el in (end, *end.iterancestors()):
            doomed += el.itersiblings()
        for el in end.iterancestors():
            el.tail = None
    for el in doomed:
        el.getparent().remove(el)
    return root


def _select(doc: etree._Element, selector: Selector, alone: bool) -> list[etree._Element]:
    """What ``selector`` picks from ``doc``. A range cuts the document down, so it works on a copy
    unless it is the ``alone`` selector of the rules (the usual case; a copy of a 500 KB page and
    the second look-up in it cost as much as the cut)."""
    if selector.css is not None:
        return doc.cssselect(selector.css)
    if not doc.cssselect(selector.start):
        return []
    root = doc if alone else deepcopy(doc)
    start = root.cssselect(selector.start)[0]
    end = None
    if selector.end:
        ends = [e for e in root.cssselect(selector.end) if _follows(start, e, root)]
        end = ends[0] if ends else None
    body = _in_range(root, start, end)
    return [body.find("body") if body.find("body") is not None else body]


def _follows(start: etree._Element, other: etree._Element, root: etree._Element) -> bool:
    seen = False
    for el in root.iter():
        if el is start:
            seen = True
        elif el is other:
            return seen
    return False


# ATX headings and '-' bullets; html-to-markdown (a Rust converter) rather than a Python one: on a
# 500 KB policy page it takes 2 ms where markdownify, through BeautifulSoup, took 30.
_MARKDOWN = ConversionOptions(heading_style="atx", bullets="-", escape_asterisks=True, escape_underscores=True, extract_metadata=False)


def _images_as_alt(fragment: etree._Element) -> None:
    """An image counts by its alt text only: image URLs churn (CDNs, sizes) without a wording change."""
    for img in fragment.iter("img"):
        alt = img.get("alt") or ""
        img.attrib.clear()
        img.tag, img.text = "span", alt


def to_markdown(fragments: list[etree._Element]) -> str:
    for fragment in fragments:
        _images_as_alt(fragment)
    html = "".join(etree.tostring(f, encoding="unicode", method="html") for f in fragments)
    return html_to_markdown(html, _MARKDOWN).content


def extract(html: str, rules: Rules, url: str | None = None) -> str:
    """The declared part of ``html`` as normalised Markdown; trafilatura when nothing is declared.

    Raises SelectorMiss when selectors are declared and none matches.
    """
    if not rules.select:
        text = trafilatura.extract(html, url=url, output_format="markdown", include_links=True, include_tables=True, favor_precision=True)
        return normalize(text or "")
    try:
        doc = lxml.html.fromstring(html)
    except etree.ParserError:
        raise EmptyDocument("the page holds no HTML element") from None
    for el in doc.iter(*ALWAYS_REMOVE):
        el.drop_tree()
    fragments: list[etree._Element] = []
    for selector in rules.select:
        fragments += _select(doc, selector, alone=len(rules.select) == 1)
    if not fragments:
        wanted = ", ".join(str(s.to_json()) for s in rules.select)
        raise SelectorMiss(f"no element matches select: {wanted}")
    for fragment in fragments:
        for css in rules.remove:
            for el in fragment.cssselect(css):
                el.drop_tree()
    return normalize(to_markdown(fragments))
