"""Pages parsed as a browser parses them.

libxml2's HTML parser (``lxml.html.fromstring``) is not the browsers' algorithm: a stray
``</body>`` or ``</html>`` inside a table ends the body there, a form nested in a form loses its
text, an element nested about 256 deep drops everything after it. Real policy pages have all of
these, and the text lost that way was archived as an ordinary, shorter version. lexbor (through
selectolax) implements the WHATWG parsing algorithm, so the tree is the one a reader's browser
builds; it is copied into an lxml tree so that CSS selection (cssselect, with ``:has``), ranges and
the main-content fallback work on it unchanged. What is never text a reader sees goes before the
copy, in lexbor, and the words the page shows are counted there too: lexbor joins its text in C,
where joining the copy's took Python most of a millisecond on a 500 KB page (issue 20).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import lxml.html
from lxml import etree
from selectolax.lexbor import LexborHTMLParser, LexborNode

# Never text a reader sees: removed before the copy (the text after them is kept).
HIDDEN = frozenset(("script", "style", "noscript", "template", "svg", "iframe", "object", "embed"))

# Chromium's cap on the depth of the tree it builds (kMaximumHTMLParserDOMTreeDepth); past it, elements
# are unwrapped (see _copy).
MAX_DEPTH = 512

# Characters XML (so lxml) cannot hold: C0 controls but tab, newline and carriage return, and the
# two noncharacters. A form feed is white space in HTML; the others are invisible.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff]")
_UNCLEAN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NAME = re.compile(r"[A-Za-z_][\w.-]*\Z")
# A word's first letter or digit and the rest of its run: one match a word.
_VISIBLE_WORD = re.compile(r"[^\W_]\S*")


def _html_parser() -> etree.HTMLParser:
    """A parser whose elements are all ``HtmlElement`` (``drop_tree``, ``cssselect``), looked up in
    C: lxml.html's own lookup runs Python for every element made, a third of the copy's time."""
    parser = etree.HTMLParser()
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement))
    return parser


_HTML = _html_parser()


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text.replace("\x0c", " ")) if _UNCLEAN.search(text) else text


@functools.cache
def _xml_name(name: str) -> bool:
    return _NAME.match(name) is not None


def _attributes(node: LexborNode) -> dict[str, str]:
    """The node's attributes lxml can hold: names that are XML names (``a:b`` or ``"q`` are not)."""
    attributes = node.attributes
    return {name: _clean(value or "") for name, value in attributes.items() if _xml_name(name)} if attributes else attributes


def _copy(source: LexborNode, target: lxml.html.HtmlElement) -> None:
    """Copy the children of ``source`` under ``target``, depth first without recursion (a page may
    nest thousands deep). Past ``MAX_DEPTH`` (where Chromium stops nesting) elements are unwrapped,
    their text kept in order in the element at that depth, so that no converter down the line drops
    it for its depth (html-to-markdown drops what lies deeper than about 1,000). A tag
    that is not an XML name (``o:p`` from word processors) becomes a ``span``: its text stays where
    it was."""
    pending = [(source.child, target, 1)]
    while pending:
        node, parent, depth = pending.pop()
        while node is not None:
            tag = node.tag
            if tag == "-text":  # after the parent's last child, that child's tail; before any, the parent's text
                text = _clean(node.text_content or "")
                if len(parent):
                    last = parent[-1]
                    last.tail = (last.tail or "") + text
                else:
                    parent.text = (parent.text or "") + text
            elif not tag.startswith("-"):
                if depth < MAX_DEPTH:
                    element = etree.SubElement(parent, tag if _xml_name(tag) else "span", _attributes(node))
                child = node.child  # each access makes a node object: once
                if child is not None:
                    pending.append((node.next, parent, depth))
                    if depth < MAX_DEPTH:
                        parent, depth = element, depth + 1
                    node = child
                    continue
            node = node.next


def visible_words(text: str) -> int:
    """Words in plain text: runs without white space holding a letter or digit, counted by the
    regex engine (a page holds 10,000 words or more) in one pass."""
    return len(_VISIBLE_WORD.findall(text))


class Page(NamedTuple):
    """A page as a browser builds it: its ``<html>`` element, scripts, styles and embedded objects
    left out, and the words its body shows (each text between two tags its own words, as
    ``itertext`` gives them)."""

    root: lxml.html.HtmlElement
    words: int


def parse(html: str) -> Page:
    """The page parsed, what is never text removed, its words counted and its tree copied into lxml.
    Text that stood on both sides of a removed element is one text again, as in the copy."""
    parsed = LexborHTMLParser(html)
    parsed.strip_tags(list(HIDDEN))
    parsed.merge_text_nodes()
    root = parsed.root
    body = parsed.body if parsed.body is not None else root
    tree = _HTML.makeelement("html", _attributes(root) if root is not None else {})
    if root is not None:
        _copy(root, tree)
    return Page(tree, visible_words(body.text(separator=" ")) if body is not None else 0)
