"""The policy of a page without declared selectors: everything the page shows, chrome removed by
structure.

A policy is the page's main content, and all of it: tables, notes, definition lists and asides are
policy text as much as paragraphs are, so nothing is scored away for looking unlike prose (a main-text
extractor tuned for articles, trafilatura, dropped a whole subsection, dated notes and every data
table of real policies). What goes is what HTML itself marks as not being the content: navigation,
the page's own header and footer, dialogs (cookie banners), controls (buttons, pickers), hidden
blocks, tables of contents (lists of links within the page), "back to top" links, and blocks of
links to other pages beside the text (sidebars of related links). No class name or wording of any
site is looked for.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.cssselect import CSSSelector

# Landmarks and elements that are never the content (ARIA roles as HTML maps them, and their
# explicit forms): navigation, dialogs and alerts over the page (cookie and consent banners), search
# boxes, form controls and embedded widgets.
_CHROME = CSSSelector("nav, dialog, [role=navigation], [role=banner], [role=contentinfo], [role=search], [role=dialog], "
                      "[role=alertdialog], [aria-modal=true], [aria-hidden=true], [hidden], button, select, input, textarea",
                      translator="html")
# Compiled once: compiling a selector costs more than matching it on a 500 KB page.
_MAIN, _ARTICLE = CSSSelector("main, [role=main]", translator="html"), CSSSelector("article, [role=article]", translator="html")
# A <header> or <footer> is the page's banner or content information only when no sectioning
# element holds it (HTML-AAM); inside <article> or <section> it is the title or notes of that part.
_SECTIONING = frozenset(("article", "aside", "main", "nav", "section"))
_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# A hidden block holding more than this share of the page's text is the page itself, kept hidden
# until a script runs (a browser with scripts shows it); smaller ones are menus and banners.
_REVEALED_SHARE = 0.5
# A block beside the text whose text is at least this share link labels is a list of other pages
# (related links, a sidebar), not part of the policy; a note beside the text, mostly prose, stays.
_LINK_BLOCK_SHARE = 0.5


def _length(el: etree._Element) -> int:
    return len("".join(el.itertext()).split())


def _root(doc: etree._Element) -> etree._Element:
    """The main landmark (``<main>`` or ``role=main``) when the page marks one, else its only
    article (``<article>`` or ``role=article``), else the body."""
    for found in (_MAIN(doc), _ARTICLE(doc)):
        if len(found) == 1 or (found and found[0].tag == "main"):
            return found[0]
    body = doc.find("body")
    return body if body is not None else doc


def _drop(elements) -> None:
    for el in list(elements):
        if el.getparent() is not None:
            el.drop_tree()


def _page_chrome(root: etree._Element) -> list[etree._Element]:
    """Headers and footers of the page itself (see ``_SECTIONING``)."""
    found = []
    for el in root.iter("header", "footer"):
        ancestor = el.getparent()
        while ancestor is not None and ancestor is not root and ancestor.tag not in _SECTIONING:
            ancestor = ancestor.getparent()
        if ancestor is None or ancestor.tag not in _SECTIONING:
            found.append(el)
    return found


def _hidden(root: etree._Element, words: int) -> list[etree._Element]:
    """Blocks hidden by their inline style; one that holds most of the page is shown instead."""
    found = []
    for el in root.iter():
        if isinstance(el.tag, str) and _DISPLAY_NONE.search(el.get("style") or ""):
            if _length(el) > _REVEALED_SHARE * words:
                del el.attrib["style"]
            else:
                found.append(el)
    return found


def _in_page(href: str | None, ids: set[str]) -> bool:
    """A link within the page: ``#...``, or a relative address whose fragment is an id of this page
    (``privacy?hl=en#intro`` on the page ``privacy``)."""
    if href is None or "#" not in href:
        return False
    address, fragment = href.split("#", 1)
    return not address or (fragment in ids and "//" not in address)


def _contents_and_top_links(root: etree._Element, tops: set[str], ids: set[str]) -> list[etree._Element]:
    """Tables of contents (blocks of two items or more, every item a link within the page and
    nothing else, with the heading that titles them when that is all their parent holds) and links
    back to the top (``#``, or the id of the page's root or body)."""
    found = []
    for block in root.iter():
        if len(block) < 2:
            continue
        items = [child for child in block if isinstance(child.tag, str)]
        if (block.text or "").strip() or any((item.tail or "").strip() for item in items):
            continue  # text of its own between the links: a paragraph that links, not a list
        if items and _HEADING.match(items[0].tag) and len(items) > 2:
            items = items[1:]
        if len(items) >= 2 and all(_only_an_in_page_link(item, ids) for item in items):
            found.append(block)
    for a in root.iter("a"):
        href = a.get("href")
        if href is not None and (href == "#" or href[1:] in tops) and _in_page(href, ids):
            found.append(a)
    return found


_HEADING = re.compile(r"h[1-6]\Z")


def _only_an_in_page_link(item: etree._Element, ids: set[str]) -> bool:
    """Only a link within the page, and nothing else; the first link is looked at before the
    item's whole text, so that a block of prose costs one step, not a walk of its subtree."""
    first = next(item.iter("a"), None)
    if first is None or not _in_page(first.get("href"), ids):
        return False
    links = list(item.iter("a"))
    return all(_in_page(a.get("href"), ids) for a in links) and \
        "".join(item.itertext()).split() == "".join(t for a in links for t in a.itertext()).split()


def _size(el: etree._Element) -> int:
    """Characters of text under ``el``: for shares of a page, as good as words and cheaper to count
    (no string is built)."""
    return sum(map(len, el.itertext()))


def _link_share(el: etree._Element) -> float:
    """The share of ``el``'s text that is link labels (none of a block without text: an image
    counts by its alt text, which is read later)."""
    size = _size(el)
    return sum(_size(a) for a in el.iter("a")) / size if size else 0.0


def _beside_the_text(root: etree._Element) -> list[etree._Element]:
    """Blocks of links beside the text: walking down from ``root`` through the child that holds
    more than half of its parent's text (the column the policy is in), the siblings met on the way
    whose text is mostly link labels. Within the text itself (where no child holds most of it),
    lists of links are the policy's own (related notices, services) and stay."""
    found = []
    el, words = root, _size(root)
    while True:
        lengths = [(_size(child), child) for child in el if isinstance(child.tag, str)]
        if not lengths:
            return found
        most, dominant = max(lengths, key=lambda pair: pair[0])
        if most <= words / 2:
            return found
        found += [child for _, child in lengths if child is not dominant and _link_share(child) >= _LINK_BLOCK_SHARE]
        el, words = dominant, most


def main_content(doc: etree._Element) -> etree._Element:
    """The element holding the page's policy, cut down to it (``doc`` is changed in place)."""
    body = doc.find("body")
    tops = {el.get("id") for el in (doc, body) if el is not None and el.get("id")} | {"top"}
    ids = {el.get("id") for el in doc.iter() if isinstance(el.tag, str) and el.get("id")}
    root = _root(doc)
    _drop(_hidden(root, _length(root)))
    _drop(_CHROME(root))
    _drop(_page_chrome(root))
    _drop(_contents_and_top_links(root, tops, ids))
    _drop(_beside_the_text(root))
    root.tag = "div"  # the converter reads a <body> or <main> as a document of its own
    return root
