"""From a page to the normalised Markdown that versions are made of.

The page is parsed as a browser parses it (``parse.py``). Declared selectors (CSS, or a
start..end range) pick the policy out of it, ``remove`` drops what is not policy (icons, banners),
and the rest becomes Markdown. Where no selector is declared, the page's main content with its
chrome removed by structure (``maintext.py``) is the policy. ``normalize`` then removes what is not a wording
change (Unicode forms, invisible characters, whitespace), so that the hash of its output changes
only when the words do.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from copy import deepcopy
from dataclasses import dataclass

import charset_normalizer
from lxml import etree
from lxml.cssselect import CSSSelector
from html_to_markdown import ConversionOptions, PreprocessingOptions
from html_to_markdown import convert as html_to_markdown
from w3lib.encoding import html_to_unicode, read_bom

from crawler.declarations.catalog import Rules, Selector
from crawler.text.maintext import main_content
from crawler.text.parse import parse

# White space to make one space (a single space is one already: leaving it costs the regex engine less).
_SPACES = re.compile(r"[^\S\n]{2,}|[^\S \n]")
_SPACE_BEFORE_NEWLINE = re.compile(r" \n")
_BLANK_LINES = re.compile(r"\n{3,}")
_LINK_TARGET = re.compile(r"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")


@functools.cache
def _class_of(wanted) -> re.Pattern:
    """A regex class of the code points (planes 0, 1 and 14) for which ``wanted(char)`` holds, read
    from the Unicode database: a new code point of a category is covered without a list to keep.
    Built at first use, once a process (about 0.05 s each): a crawl that finds every page unchanged
    never needs one (issue 20)."""
    runs: list[list[int]] = []
    for c in (*range(0x20000), *range(0xE0000, 0xE1000)):
        if wanted(chr(c)):
            if runs and runs[-1][1] == c - 1:
                runs[-1][1] = c
            else:
                runs.append([c, c])
    # As ranges: a class of single characters costs the regex engine 15 times more per character.
    return re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs) + "]")


# Drawn although of category Cf: the prepended concatenation marks (Arabic number signs and the like).
_DRAWN_FORMATS = {"\u0600", "\u0601", "\u0602", "\u0603", "\u0604", "\u0605", "\u06dd", "\u070f", "\u0890", "\u0891",
                  "\u08e2", "\U000110bd", "\U000110cd"}
# Default-ignorable code points of other categories: combining grapheme joiner, Hangul fillers,
# Khmer inherent vowels, Mongolian free variation selectors, variation selectors.
_IGNORABLE = {"\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u3164", "\uffa0",
              *map(chr, range(0x180B, 0x1810)), *map(chr, range(0xFE00, 0xFE10)), *map(chr, range(0xE0100, 0xE01F0))}


def _invisible(char: str) -> bool:
    """No reader sees it: a format character (Cf: zero-width spaces and joiners, bidi marks and
    isolates, invisible operators, the Mongolian vowel separator, tags) but those drawn, a control
    (Cc) but white space, or another default-ignorable code point."""
    category = unicodedata.category(char)
    return (category == "Cf" and char not in _DRAWN_FORMATS) or char in _IGNORABLE or (category == "Cc" and not char.isspace())


# UTF-8 read as windows-1252 or Latin-1: a lead byte's letter (Â to ô) then a continuation byte's
# character. Only texts with such a pair are given to ftfy, which costs 8 ms on a 34 KB policy.
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160"
                       "\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]")
# ftfy repairs the encoding only: quotes stay curly, entities and widths as they are.
_FTFY = dict(unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False, fix_character_width=False,
             uncurl_quotes=False, fix_line_breaks=False, remove_control_chars=False, normalization=None, explain=False)

_SINGLE_BYTE_LATIN = {"cp437", "cp775", "cp850", "cp852", "mac_roman", "mac_latin2"}
# Labels under which UTF-8 pages are served by mistake (w3lib's names for them).
_LATIN_LABELS = {"cp1252", "latin_1", "iso8859-1", "ascii"}


class SelectorMiss(ValueError):
    """The declared selectors matched nothing: the page was redesigned, or is not the policy."""


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
    the XML declaration, which names the encoding of the bytes, goes with them.

    A page labelled windows-1252 or Latin-1 whose bytes are valid UTF-8 beyond ASCII is UTF-8
    mislabelled (a real cp1252 text is almost never valid UTF-8): read as labelled it would be
    mojibake, and a new version of the same words.
    """
    try:
        encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect)
    except (LookupError, UnicodeError):
        # A label naming a codec that is no text encoding (charset=base64, hex, idna, punycode): a
        # browser knows no such charset and ignores it; so is it here, and the bytes tell.
        bom_encoding, bom = read_bom(body)
        encoding = bom_encoding or _detect(body)
        text = body[len(bom or b""):].decode(encoding, "replace")
    if encoding in _LATIN_LABELS and not body.isascii():
        try:
            text = body.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        except UnicodeDecodeError:
            pass
    return _XML_DECLARATION.sub("", text, count=1)


def repair(text: str) -> str:
    """Mojibake (UTF-8 read as windows-1252: ``â€œPlatformâ€\x9d``) repaired by ftfy, imported only
    for such a text: few pages need it, and every crawl's start-up would pay its import (issue 20)."""
    if not _MOJIBAKE.search(text):
        return text
    import ftfy

    return ftfy.fix_text(text, ftfy.TextFixerConfig(**_FTFY))


def normalize(text: str) -> str:
    """Text as stored: mojibake repaired, NFKC, no invisible characters, one space, at most one blank line."""
    text = _class_of(_invisible).sub("", unicodedata.normalize("NFKC", repair(text)))
    text = _SPACES.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _BLANK_LINES.sub("\n\n", _SPACE_BEFORE_NEWLINE.sub("\n", text)).strip()


# What Markdown only typesets, removed in this order by ``_markup_removed``.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_MARKUP = [
    (re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*$", re.MULTILINE), ""),  # link reference definitions
    (_LINK_TARGET, "]"),  # link and image targets (their words stay)
    (re.compile(r"<((?:https?|mailto):[^<>\s]*)>"), r" \1 "),  # autolinks show their address
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), " "),  # raw HTML tags
    (re.compile(r"^(?:[ \t]*>)+", re.MULTILINE), " "),  # block quotes
    (re.compile(r"^[ \t]*(?:[-*+\u2022]|\d{1,9}[.)])[ \t]+", re.MULTILINE), " "),  # list markers
    (re.compile(r"^ {0,3}#{1,6}(?=\s|$)|(?<=[ \t])#+[ \t]*$", re.MULTILINE), " "),  # ATX heading marks
    (re.compile(r"[*_`~\[\]]|!(?=\[)"), ""),  # emphasis, code spans, strike-through, link brackets
    (re.compile(r"\|"), " "),  # table cells
]
# Quotation marks of every style (initial and final punctuation, straight and low-9 quotes, primes
# used as quotes) are dropped from the key; dashes of every style (Pd, and the minus sign) are one.
def _quote(char: str) -> bool:
    return unicodedata.category(char) in ("Pi", "Pf") or char in "\"'\u201a\u201e\u2032\u2033"


def _dash(char: str) -> bool:
    return unicodedata.category(char) == "Pd" or char == "\u2212"


_WORD = re.compile(r"[^\W_]")


def _markup_removed(text: str) -> str:
    """The text a reader sees of Markdown: escaped characters are kept as characters (set aside in
    a private-use plane while the syntax goes), everything else that is syntax goes."""
    text = _ESCAPED.sub(lambda m: chr(0xF0000 + ord(m.group(1))), text)
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return re.sub("[\U000F0000-\U000F007F]", lambda m: chr(ord(m.group()) - 0xF0000), text)


# Clauses no longer than this have their key kept (a few megabytes at most): the clause index asks
# for the key of the same stored clauses again at every version of every sibling variant.
_REMEMBERED = 2000


def comparable(text: str) -> str:
    """The text as versions are told apart: its visible words in order, one space between them.

    Link targets and brackets, heading levels, emphasis, list markers, block quotes, table borders,
    curly or straight quotes, dash styles, white space, invisible characters and mojibake do not make
    a new version; a word, its case or its punctuation does. Tokens without a letter or digit
    (bullets, rules, a lone dash) are not words. The stored text keeps the Markdown, and the raw
    capture keeps everything.
    """
    return _clause_key(text) if len(text) <= _REMEMBERED else _key(text)


# What ``normalize`` would change besides mojibake, compatibility forms and invisible characters:
# white space other than single spaces and newlines, a space before a newline, 3 newlines in a row.
_UNNORMAL_SPACE = re.compile(r"[^\S\n ]|  | \n|\n\n\n")


def _normalized(text: str) -> bool:
    """Whether ``normalize`` would return ``text`` as it is: true of the texts it returned, which
    ``comparable`` is mostly given (a version's text, its clauses). Looking costs half of normalising."""
    return (text == text.strip() and unicodedata.is_normalized("NFKC", text) and not _MOJIBAKE.search(text)
            and not _UNNORMAL_SPACE.search(text) and not _class_of(_invisible).search(text))


def comparable_normalized(text: str) -> str:
    """``comparable(text)`` of a ``text`` that ``normalize`` returned (an extraction's), for less.

    Such a text holds no invisible character (``normalize`` removes them, then only inserts spaces
    and newlines) and its white space is normal (its white-space steps leave their own output as it
    is), so of what ``_normalized`` looks for only two can be there: a text not in NFKC or with
    mojibake, when an invisible character removed stood between a letter and its accent (``e``,
    ZWJ, U+0301) or between the two halves of a mojibake pair. Not looking for the others saves a
    fresh page about 0.8 ms of its 20 (two scans of the text, the invisible class's the slower)."""
    return _key(text, unicodedata.is_normalized("NFKC", text) and not _MOJIBAKE.search(text))


def _key(text: str, normal: bool | None = None) -> str:
    """``comparable``'s key; ``normal`` is whether ``normalize`` would leave ``text`` as it is, when
    the caller knows (None: looked at here)."""
    normal = _normalized(text) if normal is None else normal
    text = _markup_removed(text if normal else normalize(text))
    text = _class_of(_dash).sub("-", _class_of(_quote).sub("", html.unescape(text)))
    return " ".join(token for token in text.split() if _WORD.search(token))


_clause_key = functools.lru_cache(maxsize=8192)(_key)


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


@functools.lru_cache(maxsize=1024)
def _css(expression: str) -> CSSSelector:
    """A CSS selector compiled once a process: lxml's ``cssselect`` method translates the CSS to
    XPath at every call, as long as the rest of a range's selection on a 500 KB page (issue 20)."""
    return CSSSelector(expression, translator="html")


def _select(doc: etree._Element, selector: Selector, alone: bool) -> list[etree._Element]:
    """What ``selector`` picks from ``doc``. A range cuts the document down, so it works on a copy
    unless it is the ``alone`` selector of the rules (the usual case; a copy of a 500 KB page and
    the second look-up in it cost as much as the cut)."""
    if selector.css is not None:
        return _css(selector.css)(doc)
    starts = _css(selector.start)(doc)
    if not starts:
        return []
    root = doc if alone else deepcopy(doc)
    start = starts[0] if alone else _css(selector.start)(root)[0]
    end = None
    if selector.end:
        ends = [e for e in _css(selector.end)(root) if _follows(start, e, root)]
        if not ends:  # the page was redesigned: running on to its end would version its footer as the policy's
            raise SelectorMiss(f"no element after the start of select {selector.to_json()} matches its end {selector.end!r}")
        end = ends[0]
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
# 500 KB policy page it takes 2 ms where markdownify, through BeautifulSoup, took 30. Its cleanup
# keeps forms: a browser shows their text, and some sites wrap the whole page in one.
_MARKDOWN = ConversionOptions(heading_style="atx", bullets="-", escape_asterisks=True, escape_underscores=True, extract_metadata=False,
                              preprocessing=PreprocessingOptions(remove_forms=False))


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


@dataclass(frozen=True)
class Extracted:
    """The extracted text, and how many words the whole page shows a reader: the text's own visible
    words (``comparable``) against ``page_words`` is how much of the page the extraction kept."""

    text: str
    page_words: int


def extract_counted(html: str, rules: Rules) -> Extracted:
    """The declared part of ``html`` as normalised Markdown, the page's main content when nothing is
    declared, with the words of the page it came from (counted before a range cuts the tree).

    Raises SelectorMiss when selectors are declared and none matches.
    """
    doc, shown = parse(html)
    if not rules.select:
        return Extracted(normalize(to_markdown([main_content(doc)])), shown)
    fragments: list[etree._Element] = []
    for selector in rules.select:
        fragments += _select(doc, selector, alone=len(rules.select) == 1)
    if not fragments:
        wanted = ", ".join(str(s.to_json()) for s in rules.select)
        raise SelectorMiss(f"no element matches select: {wanted}")
    for fragment in fragments:
        for css in rules.remove:
            for el in _css(css)(fragment):
                el.drop_tree()
    return Extracted(normalize(to_markdown(fragments)), shown)


def extract(html: str, rules: Rules) -> str:
    """``extract_counted``'s text."""
    return extract_counted(html, rules).text
